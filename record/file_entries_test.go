package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// longRecording is a dashboard-like recording of rounds snapshots whose
// event lists grow and slide, with host readings and GPU samples between:
// enough entries for several batches of several workers.
func longRecording(t *testing.T, rounds int) []byte {
	t.Helper()
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	var evs []runner.Event
	for i := range rounds {
		c.add(100 * time.Millisecond)
		if i%5 == 0 {
			evs = append(evs, event(uint64(len(evs)), runner.EventWarning, fmt.Sprintf("warning %d", i)))
			evs = evs[max(len(evs)-4, 0):]
		}
		s := snapshot(uint64(i), evs...)
		r.Snapshot(s)
		switch i % 3 {
		case 0:
			r.Host(map[string]any{"RSSBytes": i})
		case 1:
			r.Sample(gpuinfo.Sample{Time: t0.Add(time.Duration(i) * time.Millisecond), Interval: time.Second})
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return f.bytes()
}

// Entries gives, in order, exactly what Entry gives entry by entry, for
// every range and filter, and stops its goroutines.
func TestEntriesMatchEntry(t *testing.T) {
	b := longRecording(t, 400)
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() < 4*entriesChunk {
		t.Fatalf("only %d entries", f.Len())
	}
	want := make([]Entry, f.Len())
	for i := range want {
		if want[i], err = f.Entry(i); err != nil {
			t.Fatal(err)
		}
	}
	goroutines := runtime.NumGoroutine()
	snapshots := func(k Kind) bool { return k == KindSnapshot }
	for _, c := range []struct {
		lo, hi int
		want   func(Kind) bool
	}{{0, f.Len(), nil}, {0, f.Len(), snapshots}, {7, 3*entriesChunk + 5, nil}, {f.Len() - 3, f.Len() + 10, snapshots}, {-4, 2, nil}, {5, 5, nil}} {
		next := max(c.lo, 0)
		end, err := f.Entries(c.lo, c.hi, c.want, func(i int, e *Entry) {
			if i != next {
				t.Fatalf("[%d, %d): entry %d handed after %d", c.lo, c.hi, i, next-1)
			}
			next++
			switch decoded := c.want == nil || c.want(f.Kind(i)); {
			case decoded && (e == nil || !reflect.DeepEqual(*e, want[i])):
				t.Errorf("[%d, %d): entry %d\n got %+v\nwant %+v", c.lo, c.hi, i, e, want[i])
			case !decoded && e != nil:
				t.Errorf("[%d, %d): entry %d of kind %v decoded although not wanted", c.lo, c.hi, i, f.Kind(i))
			}
		})
		if wantEnd := min(max(c.hi, 0), f.Len()); err != nil || end != wantEnd || next != max(wantEnd, max(c.lo, 0)) {
			t.Errorf("[%d, %d): ended at %d (handed up to %d), %v; want %d", c.lo, c.hi, end, next, err, wantEnd)
		}
	}
	settle(t, goroutines)
}

// failAfter is a reader whose reads past an offset fail.
type failAfter struct {
	r   io.ReaderAt
	off int64
}

func (f failAfter) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.off {
		return 0, errors.New("disk gone")
	}
	return f.r.ReadAt(p, off)
}

// A changed line or one that can no longer be read stops Entries at that
// entry with Entry's error; the entries before it were all handed over.
func TestEntriesStopAtAChangedLine(t *testing.T) {
	b := longRecording(t, 300)
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	bad := 3*entriesChunk + 11
	for f.Kind(bad) != KindSnapshot {
		bad++
	}
	ref := f.refs[bad]
	changed := bytes.Clone(b)
	copy(changed[ref.offset:], `{"type":"snapshoT"`)
	goroutines := runtime.NumGoroutine()
	for name, src := range map[string]io.ReaderAt{
		"changed":    bytes.NewReader(changed),
		"unreadable": failAfter{bytes.NewReader(b), ref.offset},
	} {
		f.src = src
		_, wantErr := f.Entry(bad)
		handed := 0
		end, err := f.Entries(0, f.Len(), nil, func(i int, _ *Entry) { handed++ })
		if end != bad || handed != bad || err == nil || wantErr == nil || err.Error() != wantErr.Error() {
			t.Errorf("%s: stopped at %d after %d entries: %v; want %d with %v", name, end, handed, err, bad, wantErr)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("line %d", ref.line)) {
			t.Errorf("%s: %v does not name line %d", name, err, ref.line)
		}
	}
	settle(t, goroutines)
}

// settle checks that the goroutine count falls back to n: Entries has its
// goroutines finish before it returns, and each then exits (it may still
// be on its way out, so the count gets a moment).
func settle(t *testing.T, n int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}
