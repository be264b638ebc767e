package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/record"
	"infertop/runner"
)

// recordWithTuning records the fake run as liveRun does, and between 6 s and
// 12 s the lines of a race (c) and between 14 s and 20 s those of a sweep
// (s), as the dashboard writes them while it records.
func recordWithTuning(t *testing.T) *record.File {
	t.Helper()
	initial, msgs := fakeRun()
	now := t0
	buf := &closeBuffer{}
	rec, err := record.New(buf, record.Header{Command: "dashboard", Devices: testDeviceRecords()}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	rec.Snapshot(initial)
	probeEvents := []runner.Event{{Seq: 0, Time: t0, Kind: runner.EventStarted, Text: "started mlp on cuda:0"}}
	for _, tm := range msgs {
		now = t0.Add(tm.at)
		switch v := tm.msg.(type) {
		case snapshotMsg:
			rec.Snapshot(runner.Snapshot(v))
		case sampleMsg:
			rec.Sample(gpuinfo.Sample(v))
		case hostMsg:
			rec.Host(hostinfo.Stat(v))
		}
		switch at := tm.at; {
		case at == 6*time.Second:
			rec.CompareEvent(record.CompareBatchStarted, 256, "batch 256: warming up cpu and cuda:0")
		case at > 6*time.Second && at < 12*time.Second:
			side := []string{"a", "b"}[int(at/time.Second)%2]
			rec.CompareWindow(record.CompareWindow{Model: "mlp", Batch: 256, Side: side, Device: "cpu", Config: "cpu", Pair: 1,
				Samples: 1000, Batches: 4, Duration: 500 * time.Millisecond, SamplesPerSec: 2000})
			rec.CompareEvent(record.CompareWindowDone, 256, "batch 256, pair 1: window")
		case at == 12*time.Second:
			rec.CompareEvent(record.CompareBatchDone, 256, "batch 256: B/A ×9.000 (pairs ×8.000–×10.000, 3 pairs)")
			rec.CompareEvent(record.CompareEnded, 0, "interrupted after 1 compared batch size(s)")
		case at >= 14*time.Second && at < 20*time.Second:
			p := runner.Snapshot{RunID: 1, Seq: uint64(at / (100 * time.Millisecond)), Model: "mlp", Device: "cuda:0",
				Batch: 1 << (int(at/time.Second) - 14), State: runner.Warming, Events: probeEvents}
			rec.SweepSnapshot(p)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return openRecording(t, buf.Bytes())
}

// A recording with a race's and a sweep's lines replays the dashboard's run
// exactly as the live dashboard showed it, played forward and after seeking:
// the dashboard's view ignores those lines.
func TestReplayIgnoresRaceAndSweepLines(t *testing.T) {
	times := []time.Duration{5 * time.Second, 8 * time.Second, 12 * time.Second, 15 * time.Second, 19 * time.Second, 26 * time.Second}
	const w, h = 120, 36
	live, plain := liveRun(t, w, h, times...)
	rec := recordWithTuning(t)
	counts := map[record.Kind]int{}
	for i := range rec.Len() {
		counts[rec.Kind(i)]++
	}
	if counts[record.KindCompareWindow] == 0 || counts[record.KindCompareEvent] == 0 || counts[record.KindSweepSnapshot] == 0 ||
		counts[record.KindSweepEvent] == 0 {
		t.Fatalf("the recording lacks race or sweep lines: %v", counts)
	}
	if rec.Duration() != plain.Duration() {
		t.Fatalf("duration %v, without the race %v", rec.Duration(), plain.Duration())
	}
	rp := newTestReplay(rec, w, h)
	for _, at := range times {
		playTo(rp, at)
		if got := rp.render(); body(got) != body(live[at]) {
			t.Fatalf("at %v: replay differs from live\n%s", at, diffLines(body(got), body(live[at])))
		}
	}
	rp.seek(8 * time.Second)
	if got := rp.render(); body(got) != body(live[8*time.Second]) {
		t.Fatalf("after seeking back to 8 s: replay differs from live\n%s", diffLines(body(got), body(live[8*time.Second])))
	}
	rp.Update(tea.KeyPressMsg{Code: tea.KeyRight})
	if rp.Position() != 18*time.Second {
		t.Fatalf("position %v after → from 8 s", rp.Position())
	}
}
