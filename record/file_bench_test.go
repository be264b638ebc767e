package record

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"infertop/runner"
)

// benchRecording writes a dashboard-like recording of n snapshots, 100 ms
// apart, each carrying a full window list and histogram.
func benchRecording(b *testing.B, n int) string {
	b.Helper()
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		b.Fatal(err)
	}
	s := snapshot(1, event(0, runner.EventStarted, "started"))
	for i := range 10 {
		s.Windows = append(s.Windows, runner.Window{Index: i, End: time.Duration(i) * time.Second, P50: time.Millisecond})
	}
	for i := range 40 {
		s.Histogram = append(s.Histogram, runner.Bucket{Lo: time.Duration(i) * time.Microsecond, Hi: time.Duration(i+1) * time.Microsecond, Count: int64(i)})
	}
	for i := range n {
		c.add(100 * time.Millisecond)
		s.Seq = uint64(i)
		r.Snapshot(s)
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "run.jsonl")
	if err := os.WriteFile(path, f.bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// retained is the heap in use after a collection.
func retained() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Reading a recording whole keeps every decoded entry; opening it in place
// keeps an index. retained-MB is the heap still held by the result.
func BenchmarkReadFileWhole(b *testing.B) {
	path := benchRecording(b, 5000)
	for b.Loop() {
		before := retained()
		rec, err := ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(retained()-before)/(1<<20), "retained-MB")
		runtime.KeepAlive(rec)
	}
}

func BenchmarkOpenInPlace(b *testing.B) {
	path := benchRecording(b, 5000)
	for b.Loop() {
		before := retained()
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(retained()-before)/(1<<20), "retained-MB")
		f.Close()
	}
}

// Decoding one snapshot again, as a replay does for every entry it plays.
func BenchmarkFileEntry(b *testing.B) {
	path := benchRecording(b, 1000)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	i := 0
	for b.Loop() {
		if _, err := f.Entry(i % f.Len()); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// Crossing a whole recording of 2,000 snapshots: entry by entry (Entry),
// then in bulk (Entries, a worker per CPU); ns/op is one crossing, ns/entry
// one entry of it.
func BenchmarkCrossEntryByEntry(b *testing.B) { benchCross(b, false) }
func BenchmarkCrossInBulk(b *testing.B)       { benchCross(b, true) }

func benchCross(b *testing.B, bulk bool) {
	path := benchRecording(b, 2000)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n := 0
	for b.Loop() {
		if bulk {
			if _, err := f.Entries(0, f.Len(), nil, func(int, *Entry) { n++ }); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for i := range f.Len() {
			if _, err := f.Entry(i); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(n, 1)), "ns/entry")
}
