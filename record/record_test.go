package record

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// memFile keeps every Write separately, so tests can see what reached the file.
type memFile struct {
	mu     sync.Mutex
	writes [][]byte
	closed bool
}

func (m *memFile) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes = append(m.writes, append([]byte(nil), b...))
	return len(b), nil
}

func (m *memFile) Close() error { m.closed = true; return nil }

func (m *memFile) bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Join(m.writes, nil)
}

// clock is a hand-driven clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func event(seq uint64, k runner.EventKind, text string) runner.Event {
	return runner.Event{Seq: seq, Time: t0.Add(time.Duration(seq) * time.Second), Kind: k, Text: text}
}

func snapshot(seq uint64, events ...runner.Event) runner.Snapshot {
	return runner.Snapshot{
		RunID: 3, Seq: seq, Time: t0.Add(time.Duration(seq) * 100 * time.Millisecond), Model: "mlp", Device: "cpu",
		Batch: 256, State: runner.Measuring, Elapsed: time.Duration(seq) * 100 * time.Millisecond,
		Overall:   runner.Throughput{Duration: time.Second, Batches: int64(seq), Samples: int64(seq) * 256, SamplesPerSec: 2560},
		Latency:   runner.Percentiles{Count: int64(seq), P50: time.Millisecond, P99: 3 * time.Millisecond},
		Stability: runner.Stability{WindowCount: 2, ThroughputSpread: math.Inf(1), IQROverMedian: 0.05},
		Windows:   []runner.Window{{Index: 0, End: time.Second, P50: time.Millisecond}},
		Histogram: []runner.Bucket{{Lo: time.Millisecond, Hi: 2 * time.Millisecond, Count: int64(seq)}},
		Events:    events,
	}
}

func header() Header {
	return Header{Command: "dashboard", Build: Build{Version: "0.1.0", Go: "go1.26"},
		Machine: Machine{OS: "linux", Arch: "amd64", CPUModel: "Test CPU", CPUs: 2,
			GPUs: []gpuinfo.DeviceInfo{{Index: 0, Name: "FAKE NVIDIA H100 80GB HBM3", UUID: "GPU-1", Fake: true}}, Driver: "550.54.15"},
		Options: map[string]any{"model": "mlp", "batch": float64(256)}}
}

// recordFixture records three snapshots (whose event lists overlap), a GPU
// sample and a host reading, 100 ms apart.
func recordFixture(t *testing.T) (*memFile, []runner.Snapshot) {
	t.Helper()
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	e0, e1, e2 := event(0, runner.EventStarted, "started"), event(1, runner.EventWarmupDone, "warm-up done"), event(2, runner.EventStable, "stable")
	snaps := []runner.Snapshot{snapshot(1, e0), snapshot(2, e0, e1), snapshot(3, e1, e2)}
	for i, s := range snaps {
		c.add(100 * time.Millisecond)
		r.Snapshot(s)
		if i == 1 {
			r.Sample(gpuinfo.Sample{Time: c.now(), DriverVersion: "550.54.15", GPUs: []gpuinfo.GPU{{Index: 0, UUID: "GPU-1",
				TemperatureC: gpuinfo.Some[uint32](60)}}})
			r.Host(map[string]any{"RSSBytes": 1024})
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !f.closed {
		t.Error("Close did not close the file")
	}
	return f, snaps
}

func TestRoundTrip(t *testing.T) {
	f, snaps := recordFixture(t)
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stopped != nil {
		t.Fatalf("stopped: %v", rec.Stopped)
	}
	h := header()
	h.Format, h.Started = FormatVersion, t0
	if !reflect.DeepEqual(rec.Header, h) {
		t.Errorf("header\n got %+v\nwant %+v", rec.Header, h)
	}
	var kinds []Kind
	var got []runner.Snapshot
	for _, e := range rec.Entries {
		kinds = append(kinds, e.Kind)
		if e.Kind == KindSnapshot {
			got = append(got, *e.Snapshot)
		}
	}
	want := []Kind{KindEvent, KindSnapshot, KindEvent, KindSnapshot, KindSample, KindHost, KindEvent, KindSnapshot}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v (each event once, before the first snapshot carrying it)", kinds, want)
	}
	if !reflect.DeepEqual(got, snaps) {
		t.Errorf("snapshots differ after the round trip\n got %+v\nwant %+v", got, snaps)
	}
	if d := rec.Duration(); d != 300*time.Millisecond {
		t.Errorf("duration %v, want 300ms", d)
	}
	if e := rec.Entries[4]; e.At != 200*time.Millisecond || e.Sample.GPUs[0].TemperatureC.V != 60 || e.Line != 6 {
		t.Errorf("sample entry %+v", e)
	}
	if !math.IsInf(got[0].Stability.ThroughputSpread, 1) {
		t.Error("an infinite spread did not survive")
	}
}

// Every write to the file is whole lines, so a killed program leaves a file
// that is valid JSON Lines up to its end.
func TestWritesAreWholeLines(t *testing.T) {
	f, _ := recordFixture(t)
	if len(f.writes) < 2 {
		t.Fatalf("%d writes: the header should be written at once", len(f.writes))
	}
	for i, w := range f.writes {
		if len(w) == 0 || w[len(w)-1] != '\n' {
			t.Errorf("write %d does not end a line: %q", i, w)
		}
	}
}

func TestTruncatedRecordingReadsToLastWholeLine(t *testing.T) {
	f, snaps := recordFixture(t)
	b := f.bytes()
	lines := bytes.SplitAfter(b, []byte("\n"))
	cut := len(b) - len(lines[len(lines)-2])/2 // half of the last snapshot line
	rec, err := Read(bytes.NewReader(b[:cut]))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stopped == nil || rec.Stopped.Line != 9 || !strings.Contains(rec.Stopped.String(), "line 9") ||
		!strings.Contains(rec.Stopped.Reason, "incomplete") {
		t.Fatalf("stopped %+v", rec.Stopped)
	}
	if rec.Stopped.Offset != int64(len(b)-len(lines[len(lines)-2])) {
		t.Errorf("offset %d", rec.Stopped.Offset)
	}
	last := rec.Entries[len(rec.Entries)-1]
	if last.Kind != KindEvent || len(rec.Entries) != 7 {
		t.Errorf("%d entries, last %v", len(rec.Entries), last.Kind)
	}
	if s := rec.Entries[3].Snapshot; !reflect.DeepEqual(*s, snaps[1]) {
		t.Errorf("the snapshot before the cut differs")
	}
}

func TestCorruptLineStopsThere(t *testing.T) {
	f, _ := recordFixture(t)
	lines := bytes.SplitAfter(f.bytes(), []byte("\n"))
	lines[4] = []byte("{\"type\":\"snapshot\",\"at_ns\":garbage}\n")
	rec, err := Read(bytes.NewReader(bytes.Join(lines, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stopped == nil || rec.Stopped.Line != 5 || !strings.Contains(rec.Stopped.Reason, "not valid JSON") {
		t.Fatalf("stopped %+v", rec.Stopped)
	}
	if len(rec.Entries) != 3 {
		t.Errorf("%d entries before the damaged line, want 3", len(rec.Entries))
	}
}

func TestNewerFormatRefused(t *testing.T) {
	in := `{"type":"header","format":7,"build":{"version":"9.0.0"}}` + "\n"
	_, err := Read(strings.NewReader(in))
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "version 7") || !strings.Contains(err.Error(), "9.0.0") {
		t.Fatalf("error %v: want ErrNewerFormat naming version 7", err)
	}
}

func TestNotARecording(t *testing.T) {
	for name, in := range map[string]string{
		"empty": "", "text": "hello\n", "json without header": `{"type":"snapshot"}` + "\n",
		"cut header": `{"type":"header","for`,
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	f := &memFile{}
	r, err := New(f, header(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i%2 == 0 {
					r.Snapshot(snapshot(uint64(j + 1)))
				} else {
					r.Sample(gpuinfo.Sample{Time: t0})
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.Snapshot(snapshot(1)) // after Close: dropped
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil || len(rec.Entries) != 200 {
		t.Fatalf("err %v, stopped %v, %d entries (want 200)", err, rec.Stopped, len(rec.Entries))
	}
}
