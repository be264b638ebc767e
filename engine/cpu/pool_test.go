package cpu

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	hits  []atomic.Int32
	parts atomic.Int32
}

func (c *countTask) run(part, parts int) {
	c.hits[part].Add(1)
	c.parts.Store(int32(parts))
}

// Every part of every dispatch runs exactly once, whatever the part counts
// in a row, including after workers have gone to sleep.
func TestPoolRunsEachPartOnce(t *testing.T) {
	p := newPool(4)
	defer p.close()
	c := &countTask{hits: make([]atomic.Int32, 4)}
	want := make([]int32, 4)
	for i := 0; i < 3000; i++ {
		parts := 1 + (i*7)%4
		if i == 1500 {
			time.Sleep(30 * time.Millisecond) // workers poll, then sleep
		}
		p.do(c, parts)
		if got := int(c.parts.Load()); got != parts {
			t.Fatalf("dispatch %d: a part saw %d parts, want %d", i, got, parts)
		}
		for w := 0; w < parts; w++ {
			want[w]++
		}
		for w := range want {
			if got := c.hits[w].Load(); got != want[w] {
				t.Fatalf("dispatch %d: part %d ran %d times, want %d", i, w, got, want[w])
			}
		}
	}
}

type panicTask struct{ part int }

func (p panicTask) run(part, parts int) {
	if part == p.part {
		panic("boom")
	}
}

func TestPoolReraisesWorkerPanics(t *testing.T) {
	p := newPool(3)
	defer p.close()
	for _, part := range []int{0, 2} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, "boom") {
					t.Errorf("part %d: recovered %v", part, r)
				}
			}()
			p.do(panicTask{part}, 3)
		}()
	}
	c := &countTask{hits: make([]atomic.Int32, 3)}
	p.do(c, 3) // still works
	if c.hits[2].Load() != 1 {
		t.Error("the pool does not work after a panic")
	}
}

func TestPoolCloseStopsSleepingWorkers(t *testing.T) {
	p := newPool(3)
	c := &countTask{hits: make([]atomic.Int32, 3)}
	p.do(c, 3)
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { p.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return")
	}
	p.close() // twice is fine
}

func TestSpan(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1001} {
		for parts := 1; parts <= 5; parts++ {
			for _, align := range []int{1, 8, 16} {
				next := 0
				for part := 0; part < parts; part++ {
					lo, hi := span(n, part, parts, align)
					if lo != next && !(lo > next && hi == lo) || hi < lo {
						t.Fatalf("span(%d, %d, %d, %d) = [%d,%d), expected to start at %d", n, part, parts, align, lo, hi, next)
					}
					next = max(next, hi)
				}
				if next != n {
					t.Fatalf("span(%d, _, %d, %d) covers [0,%d)", n, parts, align, next)
				}
			}
		}
	}
}
