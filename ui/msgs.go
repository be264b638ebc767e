package ui

import (
	tea "charm.land/bubbletea/v2"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/runner"
)

// snapshotMsg carries one runner snapshot to Update.
type snapshotMsg runner.Snapshot

// runnerDoneMsg says the runner's loop has ended.
type runnerDoneMsg struct{}

// sampleMsg carries one GPU telemetry sample.
type sampleMsg gpuinfo.Sample

// samplerDoneMsg says the GPU sampler has ended (its channel closed).
type samplerDoneMsg struct{}

// hostMsg carries one host reading.
type hostMsg hostinfo.Stat

// hostDoneMsg says the host sampler has ended.
type hostDoneMsg struct{}

// controlMsg reports the result of one control call.
type controlMsg struct {
	// what names the request for messages ("batch 512", "preset lenet5").
	what string
	err  error
}

// waitSnapshot blocks on one receive from the runner (bubbletea's
// examples/realtime pattern); Update re-arms it after each message.
func waitSnapshot(ch <-chan runner.Snapshot, done <-chan struct{}) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case s := <-ch:
			return snapshotMsg(s)
		case <-done:
			return runnerDoneMsg{}
		}
	}
}

// waitSample blocks on one GPU sample; a closed channel ends the feed.
func waitSample(ch <-chan gpuinfo.Sample) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return samplerDoneMsg{}
		}
		return sampleMsg(s)
	}
}

// waitHost blocks on one host reading; a closed channel ends the feed.
func waitHost(ch <-chan hostinfo.Stat) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return hostDoneMsg{}
		}
		return hostMsg(s)
	}
}

// controlCall is one control call the keys asked for.
type controlCall struct {
	what string
	f    func() error
}

// control queues one control call, to run off the UI goroutine after the
// ones asked for before it. bubbletea runs each command in a goroutine of
// its own: calls in flight together reached the runner, and came back, in
// any order (a burst of + and - left a batch other than the last asked
// for, and "batch 8: done" before "batch 4: done"). One at a time, they are
// applied and acknowledged in the order of the keys.
func (m *Model) control(what string, f func() error) tea.Cmd {
	m.controls = append(m.controls, controlCall{what: what, f: f})
	return m.nextControl()
}

// nextControl starts the first queued call when none is in flight.
func (m *Model) nextControl() tea.Cmd {
	if m.controlBusy || len(m.controls) == 0 {
		return nil
	}
	c := m.controls[0]
	m.controls = m.controls[1:]
	m.controlBusy = true
	return func() tea.Msg { return controlMsg{what: c.what, err: c.f()} }
}
