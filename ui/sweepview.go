package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/engine"
	"infertop/sweep"
)

// SweepFunc sweeps preset on device, calling progress after every step; it
// returns when a stop rule holds or ctx ends, with what was measured.
type SweepFunc func(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error)

// CompareFunc races two configurations of preset at batch until ctx ends,
// calling progress after every window.
type CompareFunc func(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error)

// Tuning is what the batch-tuning views (s, c) and the export key (e) need.
type Tuning struct {
	// Sweep and Compare run the jobs; nil says the view is not available.
	Sweep   SweepFunc
	Compare CompareFunc
	// ExportDir is where e writes the run (default the working directory).
	ExportDir string
}

type tuneView int

const (
	tuneNone tuneView = iota
	tuneSweep
	tuneCompare
)

// tuning is the state of the batch-tuning views. One job runs at a time; it
// is owned by the command that runs it and ends with its context.
type tuning struct {
	ctx     context.Context
	fns     Tuning
	view    tuneView
	job     int
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
	ch      chan tuneMsg
	// resume says the dashboard's run was running when the job paused it.
	resume bool

	preset, device string
	batch          int
	sw             sweep.Result
	status         string
	cmp            sweep.CompareResult
	err            string
}

// tuneMsg is any message of the tuning views.
type tuneMsg interface{ tune() }

type tuneProgressMsg struct {
	job    int
	sw     *sweep.Result
	cmp    *sweep.CompareResult
	status string
}

type tuneDoneMsg struct {
	job int
	sw  *sweep.Result
	cmp *sweep.CompareResult
	err error
}

type tuneIdleMsg struct{}

func (tuneProgressMsg) tune() {}
func (tuneDoneMsg) tune()     {}
func (tuneIdleMsg) tune()     {}
func (exportedMsg) tune()     {}

// WithBatchTuning enables the sweep (s) and compare (c) views; their jobs
// end when ctx ends or StopTuning is called.
func (m *Model) WithBatchTuning(ctx context.Context, t Tuning) *Model {
	m.tune.ctx, m.tune.fns = ctx, t
	return m
}

// StopTuning ends a running sweep or compare and waits for it.
func (m *Model) StopTuning() {
	if t := &m.tune; t.cancel != nil {
		t.cancel()
		<-t.done
	}
}

// tuningKey handles s, c, e and the keys of an open tuning view; ok is false
// when the key is not for it.
func (m *Model) tuningKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	t := &m.tune
	if t.view != tuneNone {
		switch {
		case k.String() == "ctrl+c", key.Matches(k, m.keys.Quit):
			m.StopTuning()
			return tea.Quit, true
		case key.Matches(k, m.keys.Cancel) && t.running:
			t.cancel()
			t.status = "stopping…"
		case key.Matches(k, m.keys.Cancel):
			t.view = tuneNone
			if t.resume {
				t.resume = false
				m.pending++
				return control("resume", m.opts.Control.Resume), true
			}
		case key.Matches(k, m.keys.Export):
			return m.export(), true
		}
		return nil, true
	}
	if m.mode != modeDash {
		return nil, false
	}
	switch {
	case key.Matches(k, m.keys.Sweep):
		return m.startTune(tuneSweep), true
	case key.Matches(k, m.keys.Compare):
		return m.startTune(tuneCompare), true
	case key.Matches(k, m.keys.Export):
		return m.export(), true
	}
	return nil, false
}

// startTune pauses the dashboard's run (the job needs the same cores) and
// starts the view's job in a command; progress arrives through a channel
// that holds the latest message only.
func (m *Model) startTune(v tuneView) tea.Cmd {
	t := &m.tune
	if (v == tuneSweep && t.fns.Sweep == nil) || (v == tuneCompare && t.fns.Compare == nil) || t.ctx == nil {
		m.setStatus("batch tuning is not available in this dashboard", true)
		return nil
	}
	m.StopTuning()
	t.job++
	job, fns := t.job, t.fns
	ctx, cancel := context.WithCancel(t.ctx)
	done, ch := make(chan struct{}), make(chan tuneMsg, 1)
	t.view, t.running, t.cancel, t.done, t.ch, t.err = v, true, cancel, done, ch, ""
	t.preset, t.device, t.batch = m.snap.Preset, m.snap.Device, m.currentBatch()
	t.sw, t.cmp, t.status = sweep.Result{}, sweep.CompareResult{}, "starting…"
	t.resume = t.resume || m.snap.State.Running()
	preset, device, batch, ctl := t.preset, t.device, t.batch, m.opts.Control
	send := func(msg tuneMsg) {
		select {
		case <-ch:
		default:
		}
		ch <- msg
	}
	run := func() tea.Msg {
		defer close(done)
		defer cancel()
		_ = ctl.Pause()
		if v == tuneSweep {
			res, err := fns.Sweep(ctx, preset, device, func(r sweep.Result, s string) { send(tuneProgressMsg{job: job, sw: &r, status: s}) })
			return tuneDoneMsg{job: job, sw: &res, err: err}
		}
		res, err := fns.Compare(ctx, preset, batch, func(r sweep.CompareResult) { send(tuneProgressMsg{job: job, cmp: &r}) })
		return tuneDoneMsg{job: job, cmp: &res, err: err}
	}
	return tea.Batch(run, waitTune(ch, done))
}

// waitTune blocks on the next progress message until the job is done.
func waitTune(ch <-chan tuneMsg, done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case msg := <-ch:
			return msg
		case <-done:
			return tuneIdleMsg{}
		}
	}
}

// takeTune applies a tuning message; progress re-arms the wait.
func (m *Model) takeTune(msg tuneMsg) tea.Cmd {
	t := &m.tune
	switch msg := msg.(type) {
	case tuneProgressMsg:
		if msg.job != t.job || !t.running {
			return nil
		}
		if msg.sw != nil {
			t.sw = *msg.sw
			if msg.status != "" {
				t.status = msg.status
			}
		}
		if msg.cmp != nil {
			t.cmp, t.status = *msg.cmp, "racing in alternating windows"
		}
		return waitTune(t.ch, t.done)
	case tuneDoneMsg:
		if msg.job != t.job {
			return nil
		}
		t.running, t.status = false, "stopped; esc closes"
		if msg.sw != nil {
			t.sw, t.status = *msg.sw, "done: "+msg.sw.StopText
		}
		if msg.cmp != nil {
			t.cmp = *msg.cmp
		}
		if msg.err != nil {
			t.err = msg.err.Error()
		}
	case exportedMsg:
		if msg.err != nil {
			m.setStatus("export: "+msg.err.Error(), true)
		} else {
			m.setStatus("run written to "+msg.path, false)
		}
	}
	return nil
}

// sweepView draws the sweep: one row per batch with throughput and p99 bars
// growing as points arrive, the memory, the fit, the edge and the recommendation.
func sweepView(st styles, t *tuning, w, h int) string {
	r := t.sw
	var b strings.Builder
	head := fmt.Sprintf("Batch sweep · %s on %s · ", t.preset, t.device)
	fmt.Fprintln(&b, st.title.Render(head)+st.label.Render(t.status))
	barW := max((w-56)/2, 4) // batch, two figures, memory and the recommendation mark take 56 cells
	fmt.Fprintf(&b, "%s\n", st.label.Render(fmt.Sprintf("%6s %-*s %9s %-*s %9s %11s", "BATCH", barW, " throughput", "samples/s",
		barW, " p99 latency", "p99 ms", "engine mem")))
	var maxT, maxL float64
	for _, p := range r.Points {
		maxT, maxL = max(maxT, p.SamplesPerSec), max(maxL, p.P99MS)
	}
	rows := r.Points
	if room := h - 9; len(rows) > room {
		rows = rows[len(rows)-max(room, 1):]
	}
	for _, p := range rows {
		mark := ""
		if p.Batch == r.Rec.Batch {
			mark = st.good.Render(" ◀ recommended")
		}
		lat := fmt.Sprintf("%9.3g", p.P99MS)
		if r.SLOMS > 0 && p.P99MS > r.SLOMS {
			lat = st.bad.Render(lat)
		}
		unstable := " "
		if !p.Stable {
			unstable = st.warn.Render("~")
		}
		fmt.Fprintf(&b, "%6d %s %9s %s %s %11s%s%s\n", p.Batch, st.bar.Render(bar(p.SamplesPerSec, maxT, barW)), fmtRate(p.SamplesPerSec),
			st.line.Render(bar(p.P99MS, maxL, barW)), lat, engine.FormatBytes(p.EngineBytes), unstable, mark)
	}
	if e := r.Edge; e != nil {
		fmt.Fprintln(&b, st.bad.Render(fmt.Sprintf("%6d out of memory", e.Failed))+st.label.Render(fmt.Sprintf(" · largest that fits: %d", e.Largest)))
	}
	var lines []string
	if f := r.Fit; f != nil {
		s := f.String()
		if f.PredictedOOM > 0 {
			s += fmt.Sprintf(" · predicted out of memory at batch %d", f.PredictedOOM)
		}
		lines = append(lines, st.label.Render("fit: ")+s)
	}
	if r.Rec.Batch > 0 {
		s := st.good.Render(fmt.Sprintf("recommended: batch %d", r.Rec.Batch))
		if r.Rec.HeadroomKnown {
			s += st.label.Render(" · headroom " + engine.FormatBytes(r.Rec.HeadroomBytes))
		}
		lines = append(lines, s)
		lines = append(lines, wrap(st.dim, r.Rec.Why, w)...)
	}
	if slices.ContainsFunc(r.Points, func(p sweep.Point) bool { return !p.Stable }) {
		lines = append(lines, st.dim.Render("~ unstable: the time cap ended the measurement"))
	}
	for _, n := range r.Notes {
		lines = append(lines, wrap(st.dim, "note: "+n, w)...)
	}
	if t.err != "" {
		lines = append(lines, st.bad.Render(t.err))
	}
	lines = append(lines, st.dim.Render(tuneHint(t)))
	return b.String() + strings.Join(lines, "\n")
}

// tuneHint says what esc does now.
func tuneHint(t *tuning) string {
	if t.running {
		return "esc stop (keeps what was measured) · e export"
	}
	return "esc close and resume the dashboard · e export"
}

// wrap breaks text into lines of at most w cells at spaces, each rendered in style.
func wrap(style lipgloss.Style, text string, w int) []string {
	var out []string
	for _, l := range pack(max(w, 10), "", strings.Fields(text)...) {
		out = append(out, style.Render(strings.ReplaceAll(l, "  ", " ")))
	}
	return out
}

// bar is a horizontal bar of v against top in w cells, in eighths.
func bar(v, top float64, w int) string {
	if top <= 0 || v <= 0 {
		return strings.Repeat(" ", w)
	}
	eighths := int(v / top * float64(w*8))
	full, part := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if part > 0 && full < w {
		s += string([]rune(" ▏▎▍▌▋▊▉")[part])
	}
	return s + strings.Repeat(" ", max(w-len([]rune(s)), 0))
}
