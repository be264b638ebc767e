package ui

import (
	"context"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"infertop/sweep"
)

type tuneView int

const (
	tuneNone tuneView = iota
	tuneSweep
	tuneCompare
)

// tuning is the state of the batch-tuning views. One job runs at a time; it
// is owned by the command that runs it and ends with its context.
type tuning struct {
	// ctx is the jobs' parent; nil until WithBatchTuning (no jobs).
	ctx     context.Context
	view    tuneView
	job     int
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
	started chan struct{} // closed when the job's command begins
	ch      chan tuneMsg
	// resume says the dashboard's run was running when the job paused it.
	resume bool

	model, device string
	batch         int
	sw            sweep.Result
	status        string
	cmp           sweep.CompareResult
	err           string
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

// WithBatchTuning enables the sweep (s) and compare (c) views, whose jobs
// the Session runs; they end when ctx ends or StopTuning is called.
func (m *Model) WithBatchTuning(ctx context.Context) *Model {
	m.tune.ctx = ctx
	return m
}

// StopTuning ends a running sweep or compare and waits for it. A job whose
// command never began (the program ended first) finds its context ended.
func (m *Model) StopTuning() {
	if t := &m.tune; t.cancel != nil {
		t.cancel()
		select {
		case <-t.started:
			<-t.done
		default:
		}
	}
}

// tuneViewKey handles a key while a tuning view is open: esc stops the job,
// then closes the view (resuming the run the job paused), e exports, q quits.
func (m *Model) tuneViewKey(k tea.KeyPressMsg) tea.Cmd {
	t := &m.tune
	switch {
	case k.String() == "ctrl+c", key.Matches(k, m.keys.Quit):
		m.StopTuning()
		return tea.Quit
	case key.Matches(k, m.keys.Cancel) && t.running:
		t.cancel()
		t.status = "stopping…"
	case key.Matches(k, m.keys.Cancel):
		t.view = tuneNone
		if t.resume {
			t.resume = false
			m.pending++
			return m.control("resume", m.opts.Session.Resume)
		}
	case key.Matches(k, m.keys.Export):
		return m.export()
	}
	return nil
}

// startTune pauses the dashboard's run (the job needs the same cores) and
// starts the view's job in a command; progress arrives through a channel
// that holds the latest message only.
func (m *Model) startTune(v tuneView) tea.Cmd {
	t := &m.tune
	if t.ctx == nil {
		m.setStatus("batch tuning is not available in this dashboard", true)
		return nil
	}
	m.StopTuning()
	t.job++
	job, sess := t.job, m.opts.Session
	ctx, cancel := context.WithCancel(t.ctx)
	done, started, ch := make(chan struct{}), make(chan struct{}), make(chan tuneMsg, 1)
	t.started = started
	t.view, t.running, t.cancel, t.done, t.ch, t.err = v, true, cancel, done, ch, ""
	t.model, t.device, t.batch = m.snap.Model, m.snap.Device, m.currentBatch()
	// Starting one view clears its own results only: e exports both.
	if t.status = "starting…"; v == tuneSweep {
		t.sw = sweep.Result{}
	} else {
		t.cmp = sweep.CompareResult{}
	}
	t.resume = t.resume || m.snap.State.Running()
	model, device, batch := t.model, t.device, t.batch
	send := func(msg tuneMsg) {
		select {
		case <-ch:
		default:
		}
		ch <- msg
	}
	run := func() tea.Msg {
		close(started)
		defer close(done)
		defer cancel()
		_ = sess.Pause()
		if v == tuneSweep {
			res, err := sess.Sweep(ctx, model, device, func(r sweep.Result, s string) { send(tuneProgressMsg{job: job, sw: &r, status: s}) })
			return tuneDoneMsg{job: job, sw: &res, err: err}
		}
		res, err := sess.Compare(ctx, model, batch, func(r sweep.CompareResult) { send(tuneProgressMsg{job: job, cmp: &r}) })
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
			if msg.sw.Interrupted() {
				t.status = "stopped: " + msg.sw.StopText
			}
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
