package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"infertop/record"
)

// WriteRecordingEvents writes a recording without snapshots as text: what
// recorded it, why there is nothing to play, its events in order (a
// selftest's verdicts), and the GPU samples it holds. It needs no terminal.
// It fails when an entry cannot be read.
func WriteRecordingEvents(w io.Writer, name string, rec *record.File) error {
	h := rec.Header
	fmt.Fprintf(w, "%s: infertop %s recorded %s by infertop %s (%s) on %s\n", name, h.Command,
		h.Started.UTC().Format("2006-01-02 15:04:05 MST"), h.Build.Version, h.Build.Go, machineLine(h.Machine))
	if len(h.Options) > 0 {
		var opts []string
		for _, k := range slices.Sorted(maps.Keys(h.Options)) {
			opts = append(opts, fmt.Sprintf("%s=%v", k, h.Options[k]))
		}
		fmt.Fprintf(w, "options: %s\n", strings.Join(opts, " "))
	}
	why := "the run recorded none before it stopped"
	switch h.Command {
	case "selftest":
		why = "a selftest checks outputs against a baseline and measures no throughput"
	case record.CommandCompare:
		why = "a compare alternates two configurations window by window, which the one-run dashboard cannot show; " +
			"each window's figures are its compare_window lines"
	}
	fmt.Fprintf(w, "It has no snapshots to play in the dashboard (%s); its events:\n", why)
	events, samples := 0, 0
	var first, last time.Duration
	fake := false
	for i := range rec.Len() {
		switch rec.Kind(i) {
		case record.KindEvent, record.KindCompareEvent, record.KindSample:
		default:
			continue
		}
		e, err := rec.Entry(i)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch e.Kind {
		case record.KindEvent:
			events++
			fmt.Fprintf(w, "  %9s  %s\n", "+"+fmtOffset(e.At), e.Event.Text)
		case record.KindCompareEvent:
			events++
			fmt.Fprintf(w, "  %9s  %s\n", "+"+fmtOffset(e.At), e.CompareEvent.Text)
		case record.KindSample:
			if samples == 0 {
				first = e.At
			}
			samples++
			last, fake = e.At, fake || e.Sample.Fake
		}
	}
	if events == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	switch {
	case samples > 0:
		sim := ""
		if fake {
			sim = " (FAKE: simulated GPUs)"
		}
		fmt.Fprintf(w, "GPU samples: %d%s, from +%s to +%s\n", samples, sim, fmtOffset(first), fmtOffset(last))
	case h.Machine.NVMLError != "":
		fmt.Fprintf(w, "GPU samples: none (%s)\n", h.Machine.NVMLError)
	default:
		fmt.Fprintln(w, "GPU samples: none")
	}
	return nil
}

// machineLine is "host (CPU model, N CPUs; GPUs …)".
func machineLine(m record.Machine) string {
	s := fmt.Sprintf("%s (%s, %d CPUs", m.Hostname, m.CPUModel, m.CPUs)
	if len(m.GPUs) > 0 {
		names := make([]string, 0, len(m.GPUs))
		for _, g := range m.GPUs {
			names = append(names, g.Name)
		}
		s += fmt.Sprintf("; %d GPUs: %s; driver %s", len(m.GPUs), strings.Join(names, ", "), m.Driver)
	}
	return s + ")"
}

// fmtOffset writes an offset from the recording's start as seconds.
func fmtOffset(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
