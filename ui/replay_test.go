package ui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
)

// timed is one message of a fake run, at an offset from its start.
type timed struct {
	at  time.Duration
	msg tea.Msg
}

// fakeRun is 40 s of a GPU run: snapshots every 500 ms (warming, measuring,
// stable, with events), GPU samples between them, host readings every second,
// and at 25 s a new run at another batch size.
func fakeRun() (initial runner.Snapshot, msgs []timed) {
	base := gpuSnapshot()
	initial = runner.Snapshot{State: runner.Idle, Model: base.Model, Device: base.Device, Batch: base.Batch}
	var events []runner.Event
	addEvent := func(at time.Duration, k runner.EventKind, text string) {
		events = append(events, runner.Event{Seq: uint64(len(events)), Time: t0.Add(at), Kind: k, Text: text})
	}
	addEvent(0, runner.EventStarted, "started mlp on cuda:0")
	for i := 1; i <= 80; i++ {
		at := time.Duration(i) * 500 * time.Millisecond
		s := base
		s.Seq, s.Time, s.RunID = uint64(i), t0.Add(at), 1
		runStart := time.Duration(0)
		if at >= 25*time.Second {
			s.RunID, s.Batch, runStart = 2, 8192, 25*time.Second
			if at == 25*time.Second {
				addEvent(at, runner.EventBatch, "batch 8192")
			}
		}
		s.Elapsed = at - runStart
		measured := max(s.Elapsed-2*time.Second, 0)
		switch {
		case measured == 0:
			s.State = runner.Warming
		case measured < 6*time.Second:
			s.State = runner.Measuring
		default:
			s.State = runner.Stable
		}
		if measured == 500*time.Millisecond {
			addEvent(at, runner.EventWarmupDone, "warm-up done")
		}
		s.Measured = measured
		n := int(measured / time.Second)
		s.Windows = nil
		for w := range min(n, 60) {
			v := 100000 + float64((w*37+int(s.RunID)*11)%9)*1500
			s.Windows = append(s.Windows, runner.Window{Index: w, End: time.Duration(w+1) * time.Second,
				Throughput: runner.Throughput{Duration: time.Second, SamplesPerSec: v}, P50: time.Millisecond})
		}
		s.Overall.Samples = int64(measured/time.Millisecond) * int64(s.Batch) / 10
		s.Overall.SamplesPerSec = 100000 + float64(i%7)*1000
		s.Latency.Count = int64(measured / (10 * time.Millisecond))
		s.Events = append([]runner.Event(nil), events[max(len(events)-32, 0):]...)
		msgs = append(msgs, timed{at, snapshotMsg(s)})
		g := gpuSample(t0.Add(at + 250*time.Millisecond))
		g.GPUs[0].UtilGPUPercent = gpuinfo.Some(uint32(40 + i%50))
		g.GPUs[0].PowerDrawWatts = gpuinfo.Some(300 + float64(i))
		msgs = append(msgs, timed{at + 250*time.Millisecond, sampleMsg(g)})
		if i%2 == 0 {
			h := hostReadingFixture()
			h.Time, h.RSSBytes = t0.Add(at), int64(70+i)<<20
			msgs = append(msgs, timed{at, hostMsg(h)})
		}
	}
	return initial, msgs
}

type closeBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *closeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}
func (b *closeBuffer) Close() error { return nil }

func testDeviceRecords() []record.Device {
	var out []record.Device
	for _, d := range testDevices() {
		out = append(out, record.Device{Name: d.Name, Detail: d.Detail, BusID: d.BusID, GPUIndexes: d.GPUIndexes, Available: d.Available, Why: d.Why})
	}
	return out
}

// body is the screen without its last line (the key help, or the replay bar).
func body(view string) string {
	view = ansi.Strip(view)
	return view[:strings.LastIndexByte(view, '\n')]
}

// liveRun feeds the fake run to a live dashboard while recording it, and
// returns the dashboard's screens at the given offsets and the recording.
func liveRun(t *testing.T, w, h int, at ...time.Duration) (map[time.Duration]string, *record.File) {
	t.Helper()
	views, b := liveRunBytes(t, w, h, at...)
	return views, openRecording(t, b)
}

// liveRunBytes is liveRun with the recording as written.
func liveRunBytes(t *testing.T, w, h int, at ...time.Duration) (map[time.Duration]string, []byte) {
	t.Helper()
	initial, msgs := fakeRun()
	now := t0
	buf := &closeBuffer{}
	rec, err := record.New(buf, record.Header{Command: "dashboard", Devices: testDeviceRecords()}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Session: &fakeControl{}, Initial: initial, Catalog: presets.NewModels(presets.DefaultSeed), Devices: testDevices(),
		Location: time.UTC, NoColor: true, Dark: true})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	rec.Snapshot(initial)
	views := map[time.Duration]string{}
	next := 0
	capture := func(upTo time.Duration) {
		for next < len(at) && at[next] < upTo {
			views[at[next]] = m.render()
			next++
		}
	}
	for _, tm := range msgs {
		capture(tm.at)
		now = t0.Add(tm.at)
		m.Update(tm.msg)
		switch v := tm.msg.(type) {
		case snapshotMsg:
			rec.Snapshot(runner.Snapshot(v))
		case sampleMsg:
			rec.Sample(gpuinfo.Sample(v))
		case hostMsg:
			rec.Host(hostinfo.Stat(v))
		}
	}
	capture(time.Hour)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return views, buf.Bytes()
}

// openRecording opens a recording held in memory, as replay opens a file.
func openRecording(t *testing.T, b []byte) *record.File {
	t.Helper()
	r, err := record.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil || r.Stopped != nil {
		t.Fatalf("reading the recording: %v %v", err, r.Stopped)
	}
	return r
}

func newTestReplay(r *record.File, w, h int) *Replay {
	rp := NewReplay(ReplayOptions{Recording: r, Name: "run.jsonl", Speed: 1, Catalog: presets.NewModels(presets.DefaultSeed),
		Location: time.UTC, NoColor: true, Dark: true})
	rp.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return rp
}

// playTo ticks the replay's clock until it reaches at (ticks of 100 ms).
func playTo(rp *Replay, at time.Duration) {
	tick := t0
	rp.Update(replayTickMsg(tick))
	for rp.Position() < at {
		step := min(100*time.Millisecond, at-rp.Position())
		tick = tick.Add(step)
		rp.Update(replayTickMsg(tick))
	}
}

// The replay shows the live screens at the same moments: played forward,
// and after seeking back and forth.
// Both ways of crossing entries are checked: one by one, and decoded in bulk
// (record.File.Entries) for every stretch of 3 or more.
func TestReplayShowsTheLiveScreens(t *testing.T) {
	times := []time.Duration{0, 1200 * time.Millisecond, 5 * time.Second, 15 * time.Second, 25 * time.Second, 26 * time.Second, 37 * time.Second}
	for _, c := range []struct{ w, h, bulk int }{{120, 36, bulkAdvance}, {80, 24, bulkAdvance}, {120, 36, 3}} {
		w, h := c.w, c.h
		live, rec := liveRun(t, w, h, times...)
		rp := newTestReplay(rec, w, h)
		rp.bulk = c.bulk
		for _, at := range times {
			playTo(rp, at)
			got := rp.render()
			checkSize(t, got, w, h)
			if body(got) != body(live[at]) {
				t.Fatalf("%d×%d at %v: replay differs from live\n%s", w, h, at, diffLines(body(got), body(live[at])))
			}
		}
		// ← twice from 37 s is 17 s; → from 5 s is 15 s.
		pressReplay(rp, tea.KeyPressMsg{Code: tea.KeyLeft})
		pressReplay(rp, tea.KeyPressMsg{Code: tea.KeyLeft})
		if rp.Position() != 17*time.Second {
			t.Fatalf("position %v after two ←", rp.Position())
		}
		rp2 := newTestReplay(rec, w, h)
		rp2.bulk = c.bulk
		playTo(rp2, 5*time.Second)
		pressReplay(rp2, tea.KeyPressMsg{Code: tea.KeyRight})
		if rp2.Position() != 15*time.Second || body(rp2.render()) != body(live[15*time.Second]) {
			t.Fatalf("%d×%d: after → from 5 s, at %v, not the live screen at 15 s:\n%s", w, h, rp2.Position(), diffLines(body(rp2.render()), body(live[15*time.Second])))
		}
		rp.seek(15 * time.Second)
		if body(rp.render()) != body(live[15*time.Second]) {
			t.Fatalf("%d×%d: after seeking back to 15 s, not the live screen:\n%s", w, h, diffLines(body(rp.render()), body(live[15*time.Second])))
		}
	}
}

// Seeking back resumes from a saved state of the feeds and still shows the
// live screens exactly; keyframes every 7 entries make every seek use one.
func TestReplaySeeksBackFromKeyframes(t *testing.T) {
	times := []time.Duration{0, 1200 * time.Millisecond, 5 * time.Second, 15 * time.Second, 25 * time.Second, 26 * time.Second, 37 * time.Second}
	const w, h = 120, 36
	live, rec := liveRun(t, w, h, times...)
	for _, bulk := range []int{bulkAdvance, 3} {
		seekBackFromKeyframes(t, live, rec, times, bulk)
	}
}

func seekBackFromKeyframes(t *testing.T, live map[time.Duration]string, rec *record.File, times []time.Duration, bulk int) {
	t.Helper()
	rp := newTestReplay(rec, 120, 36)
	rp.every, rp.bulk = 7, bulk
	if bulk < rec.Len() {
		rp.advance(rec.Duration()) // one jump: in bulk, keyframes included
	} else {
		playTo(rp, rec.Duration())
	}
	if len(rp.keyframes) != rec.Len()/7 {
		t.Fatalf("%d keyframes over %d entries, want one every 7", len(rp.keyframes), rec.Len())
	}
	for i := len(times) - 1; i >= 0; i-- {
		at := times[i]
		rp.resumeBefore(at)
		if at >= 5*time.Second && rp.pos == 0 {
			t.Fatalf("bulk from %d: seeking back to %v started from the recording's start", bulk, at)
		}
		rp.advance(at)
		if got := rp.render(); body(got) != body(live[at]) {
			t.Fatalf("bulk from %d: after seeking back to %v: replay differs from live\n%s", bulk, at, diffLines(body(got), body(live[at])))
		}
	}
	if len(rp.keyframes) != rec.Len()/7 {
		t.Errorf("%d keyframes after seeking back, want %d: one was saved twice", len(rp.keyframes), rec.Len()/7)
	}
}

// --from starts playback where it says; PgUp/PgDn move a minute (within
// the recording), Home and End to its ends; each shows the live screen of
// that moment.
func TestReplayFromAndLongSeeks(t *testing.T) {
	times := []time.Duration{0, 15 * time.Second}
	const w, h = 120, 36
	live, rec := liveRun(t, w, h, times...)
	rp := NewReplay(ReplayOptions{Recording: rec, Name: "run.jsonl", Speed: 1, From: 15 * time.Second, Catalog: presets.NewModels(presets.DefaultSeed),
		Location: time.UTC, NoColor: true, Dark: true})
	rp.Update(tea.WindowSizeMsg{Width: w, Height: h})
	if rp.Position() != 15*time.Second || body(rp.render()) != body(live[15*time.Second]) {
		t.Fatalf("from 15 s: at %v, not the live screen:\n%s", rp.Position(), diffLines(body(rp.render()), body(live[15*time.Second])))
	}
	for _, c := range []struct {
		key  tea.KeyPressMsg
		want time.Duration
	}{
		{tea.KeyPressMsg{Code: tea.KeyPgDown}, rec.Duration()}, // 15 s + 1 min is past the end
		{tea.KeyPressMsg{Code: tea.KeyPgUp}, 0},
		{tea.KeyPressMsg{Code: tea.KeyEnd}, rec.Duration()},
		{tea.KeyPressMsg{Code: tea.KeyHome}, 0},
	} {
		pressReplay(rp, c.key)
		if rp.Position() != c.want {
			t.Errorf("%s: at %v, want %v", c.key, rp.Position(), c.want)
		}
	}
	if body(rp.render()) != body(live[0]) {
		t.Errorf("after Home, not the live screen at 0:\n%s", diffLines(body(rp.render()), body(live[0])))
	}
	if bar := ansi.Strip(rp.bar()); !strings.Contains(bar, "PgUp/PgDn 1m · Home/End") || !strings.Contains(bar, "read-only") {
		t.Errorf("bar at %d columns: %q", w, bar)
	}
	rp.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if bar := ansi.Strip(rp.bar()); !strings.HasSuffix(strings.TrimRight(bar, " "), "q quit · read-only") {
		t.Errorf("bar at 80 columns: %q", bar)
	}
}

func pressReplay(rp *Replay, k tea.KeyPressMsg) tea.Cmd {
	_, cmd := rp.Update(k)
	return cmd
}

func TestReplayPauseSpeedAndEnd(t *testing.T) {
	_, rec := liveRun(t, 100, 30)
	rp := NewReplay(ReplayOptions{Recording: rec, Name: "run.jsonl", Speed: 2, Catalog: presets.NewModels(presets.DefaultSeed), Location: time.UTC, NoColor: true})
	rp.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	rp.Update(replayTickMsg(t0))
	rp.Update(replayTickMsg(t0.Add(time.Second)))
	if rp.Position() != 2*time.Second {
		t.Fatalf("at 2× one second played %v", rp.Position())
	}
	pressReplay(rp, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	rp.Update(replayTickMsg(t0.Add(3 * time.Second)))
	if !rp.Paused() || rp.Position() != 2*time.Second {
		t.Fatalf("paused %v, position %v", rp.Paused(), rp.Position())
	}
	bar := ansi.Strip(rp.bar())
	for _, want := range []string{"REPLAY", "run.jsonl", "0:02 / 0:40", "2×", "paused", "read-only"} {
		if !strings.Contains(bar, want) {
			t.Errorf("bar %q lacks %q", bar, want)
		}
	}
	pressReplay(rp, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	rp.Update(replayTickMsg(t0.Add(time.Hour)))
	if rp.Position() != rec.Duration() || !strings.Contains(ansi.Strip(rp.bar()), "end") {
		t.Fatalf("position %v after an hour, bar %q", rp.Position(), ansi.Strip(rp.bar()))
	}
	if cmd := pressReplay(rp, text("q")); cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.Quit()) {
		t.Error("q does not quit")
	}
}

// Keys that would change the run are refused, say so, and call nothing.
func TestReplayIsReadOnly(t *testing.T) {
	_, rec := liveRun(t, 100, 30)
	rp := newTestReplay(rec, 100, 30)
	playTo(rp, 10*time.Second)
	before := rp.inner.snap
	for _, k := range []tea.KeyPressMsg{text("+"), text("-"), text("b"), text("p"), text("d"), text("r"),
		{Code: tea.KeyUp}, {Code: tea.KeyDown}} {
		if cmd := pressReplay(rp, k); cmd != nil {
			t.Errorf("%s: a command was issued", k)
		}
		if rp.inner.mode != modeDash {
			t.Errorf("%s: opened %v", k, rp.inner.mode)
		}
		if !strings.Contains(rp.inner.status, "read-only") || !rp.inner.statusBad {
			t.Errorf("%s: status %q", k, rp.inner.status)
		}
	}
	if rp.inner.snap.Seq != before.Seq {
		t.Error("a key changed the replayed run")
	}
	for _, f := range []func() error{readOnly{}.Pause, readOnly{}.Reset, func() error { return readOnly{}.CheckBatch(8) }} {
		if f() != ErrReadOnly {
			t.Error("a control call was not refused")
		}
	}
}

func TestReplayOfDamagedRecordingSaysWhereItStopped(t *testing.T) {
	_, rec := liveRun(t, 100, 30)
	rec.Stopped = &record.Stop{Line: 120, Offset: 99999, Reason: "an incomplete last line"}
	rp := newTestReplay(rec, 100, 30)
	if v := ansi.Strip(rp.render()); !strings.Contains(v, "stopped at line 120") {
		t.Errorf("the screen does not say where the recording stopped:\n%s", v)
	}
}

// A recording changed on disk while it plays (here: cut to half) ends the
// playback at the first entry that cannot be read again, and says why.
func TestReplayOfARecordingChangedWhilePlaying(t *testing.T) {
	for _, bulk := range []int{bulkAdvance, 3} {
		t.Run(fmt.Sprintf("bulk from %d", bulk), func(t *testing.T) { replayChangedWhilePlaying(t, bulk) })
	}
}

func replayChangedWhilePlaying(t *testing.T, bulk int) {
	_, b := liveRunBytes(t, 100, 30)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	rp := newTestReplay(rec, 100, 30)
	rp.bulk = bulk
	if err := os.Truncate(path, int64(len(b)/2)); err != nil {
		t.Fatal(err)
	}
	rp.Update(replayTickMsg(t0))
	rp.Update(replayTickMsg(t0.Add(time.Hour)))
	if !rp.inner.statusBad || !strings.Contains(rp.inner.status, "the replay ends here: reading line") {
		t.Errorf("status %q", rp.inner.status)
	}
	if rp.Position() <= 0 || rp.Position() >= rec.Duration() || rp.pos != rp.limit {
		t.Errorf("stopped at %v of %v (entry %d of %d)", rp.Position(), rec.Duration(), rp.pos, rp.limit)
	}
	if bar := ansi.Strip(rp.bar()); !strings.Contains(bar, "end") || !strings.Contains(bar, FormatPosition(rp.Position())+" / "+FormatPosition(rp.Position())) {
		t.Errorf("bar %q", bar)
	}
	rp.seek(time.Second) // back: rebuilt from the start, the status stays
	if !strings.Contains(rp.inner.status, "the replay ends here") || rp.Position() != time.Second {
		t.Errorf("after seeking back: at %v, status %q", rp.Position(), rp.inner.status)
	}
}

// diffLines lists the lines that differ, for failure messages.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d\n got %s\nwant %s\n", i+1, gl, wl)
		}
	}
	return b.String()
}
