package record

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/runner"
)

// profiled is snapshot seq of run with a step profile of batches profiling
// batches (nil when batches is 0).
func profiled(run, seq uint64, batches int64) runner.Snapshot {
	s := snapshot(seq)
	s.RunID = run
	if batches > 0 {
		s.Profile = &runner.Profile{Every: 10, Batches: batches, Kept: int(batches), Batch: time.Millisecond,
			Steps: []runner.StepStat{{Step: engine.Step{Name: "fc", Op: "infertop.Linear"}, P50: time.Duration(batches) * time.Microsecond}}}
	}
	return s
}

// A recording writes a run's step profile at most once per ProfileInterval,
// and at once for another run or when it comes back; a replay shows the
// profile written last on every snapshot in between, by Read and by File.
func TestProfileWrittenOncePerInterval(t *testing.T) {
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		snap    runner.Snapshot
		written bool  // the line carries the profile
		shows   int64 // the replay's profile's Batches, 0 for none
	}
	steps := []step{
		{profiled(3, 1, 1), true, 1},
		{profiled(3, 2, 2), false, 1}, // 100 ms later
		{profiled(3, 3, 3), false, 1}, // 200 ms
		{profiled(4, 4, 1), true, 1},  // another run
		{profiled(4, 5, 2), false, 1}, // 100 ms after it
		{profiled(4, 6, 0), false, 0}, // profiling off
		{profiled(4, 7, 4), true, 4},  // on again
		{profiled(4, 8, 5), false, 4}, // 100 ms
		{profiled(4, 18, 9), true, 9}, // 1.1 s after the last written
		{profiled(4, 19, 10), false, 9},
	}
	for i, s := range steps {
		d := 100 * time.Millisecond
		if i == 8 {
			d = time.Second
		}
		c.add(d)
		r.Snapshot(s.snap)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(f.bytes())), "\n")[1:]
	for i, s := range steps {
		if got := strings.Contains(lines[i], `"Profile":{`); got != s.written {
			t.Errorf("line of snapshot %d carries the profile: %v, want %v", i, got, s.written)
		}
		if got := strings.Contains(lines[i], `"SameProfile":true`); got != (!s.written && s.shows != 0) {
			t.Errorf("line of snapshot %d says SameProfile: %v", i, got)
		}
	}
	check := func(how string, i int, got *runner.Snapshot) {
		t.Helper()
		want := steps[i].shows
		switch {
		case want == 0 && got.Profile != nil:
			t.Errorf("%s: snapshot %d shows a profile of %d batches, want none", how, i, got.Profile.Batches)
		case want != 0 && (got.Profile == nil || got.Profile.Batches != want || got.Profile.Steps[0].P50 != time.Duration(want)*time.Microsecond):
			t.Errorf("%s: snapshot %d shows %+v, want the profile of %d batches", how, i, got.Profile, want)
		}
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range rec.Entries {
		check("Read", i, e.Snapshot)
	}
	rf, err := NewFile(bytes.NewReader(f.bytes()), int64(len(f.bytes())))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{9, 1, 5, 4, 8, 0, 2} { // a replay seeks back and forth
		e, err := rf.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		check("File", i, e.Snapshot)
	}
}
