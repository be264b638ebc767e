package ui

import (
	"fmt"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/serve"
)

// maxServingLines bounds the lines serving mode adds to the header, so that
// a narrow terminal keeps room for the panels.
const maxServingLines = 6

// servingLines are the header's lines of a serving run: the arrival and
// the batcher's policy; the rates of the last window and the requests; and,
// while the runner says the device does not keep up, its saturation line
// (and, when it says the batcher woke late, a line of that).
// The achieved rate is "answered", as the runner's texts and
// docs/serving.md call it.
// Every figure is the snapshot's.
func servingLines(st styles, sv *runner.Serving, w int) []string {
	kv := func(label, value string) string { return st.label.Render(label+" ") + st.value.Render(value) }
	delay := units.Latency(sv.MaxDelay)
	if sv.MaxDelay == 0 {
		delay = "0 (at once)"
	}
	policy := []string{kv("arrival", sv.Arrival), kv("max batch", units.Thousands(int64(sv.MaxBatch))), kv("max delay", delay)}
	if len(sv.Preferred) > 0 {
		policy = append(policy, kv("preferred", serve.FormatSizes(sv.Preferred)))
	}
	if n := len(sv.Instances); n > 0 {
		policy = append(policy, kv("instances", fmt.Sprint(n)))
	}
	if sv.QueueLimit > 0 {
		policy = append(policy, kv("queue limit", units.Thousands(int64(sv.QueueLimit))))
	}
	if sv.RequestSize > 1 {
		policy = append(policy, kv("request", fmt.Sprintf("%d samples", sv.RequestSize)))
	}
	if sv.Simulated {
		policy = append(policy, st.warn.Render("simulated service times"))
	}
	rate := func(label string, v float64) string { return kv(label, units.Short(v)) + st.label.Render(" req/s") }
	good := rate("goodput", sv.Goodput)
	if sv.SLOP99 > 0 {
		good += st.dim.Render(" (p99 ≤ " + units.Latency(sv.SLOP99) + ")")
	}
	count := func(label string, n int64) string {
		v := units.Thousands(n)
		switch {
		case n > 0 && label == "rejected":
			return st.label.Render(label+" ") + st.bad.Render(v)
		case n > 0 && label == "unanswered":
			return st.label.Render(label+" ") + st.warn.Render(v)
		}
		return kv(label, v)
	}
	overall := st.dim.Render(fmt.Sprintf("overall %s/%s/%s", units.Short(sv.OverallOffered), units.Short(sv.OverallAchieved), units.Short(sv.OverallGoodput)))
	lines := pack(w, "", policy...)
	lines = append(lines, pack(w, "", rate("offered", sv.Offered), rate("answered", sv.Achieved), good, overall,
		st.value.Render(units.Thousands(sv.Requests))+st.label.Render(" of ")+st.value.Render(units.Thousands(sv.Arrived))+
			st.label.Render(" answered"),
		count("rejected", sv.Rejected), count("unanswered", sv.Unanswered))...)
	if sv.LateNote != "" { // the runner's word on its own lateness, one line
		lines = append(lines, wrap(st.dim, sv.LateNote, w)[0])
	}
	var sat []string
	if sv.Saturated {
		sat = wrap(st.warn, fmt.Sprintf("saturated at about %s req/s — %s", units.Thousands(int64(sv.SaturatedAt+0.5)), sv.SaturationWhy), w)
		sat = sat[:min(len(sat), 2)]
	}
	// The saturation line stays whole; the figures above it give way.
	return append(lines[:min(len(lines), maxServingLines-len(sat))], sat...)
}
