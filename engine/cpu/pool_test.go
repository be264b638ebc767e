package cpu

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	hits      []atomic.Int32
	parts     atomic.Int32
	maxWorker atomic.Int32 // workers at or above it must not run chunks
	badWorker atomic.Int32
}

func (c *countTask) run(chunk, chunks, worker int) {
	c.hits[chunk].Add(1)
	c.parts.Store(int32(chunks))
	if worker >= int(c.maxWorker.Load()) {
		c.badWorker.Store(int32(worker))
	}
}

// Every chunk of every dispatch runs exactly once, whatever the chunk and
// part counts in a row, including after workers have gone to sleep, and only
// workers below the dispatch's part count run chunks.
func TestPoolRunsEachChunkOnce(t *testing.T) {
	p := newPool(4)
	defer p.close()
	const most = 13
	c := &countTask{hits: make([]atomic.Int32, most)}
	want := make([]int32, most)
	for i := 0; i < 3000; i++ {
		chunks := 1 + (i*7)%most
		parts := 1 + (i*5)%4
		c.maxWorker.Store(int32(parts))
		if i == 1500 {
			time.Sleep(30 * time.Millisecond) // workers poll, then sleep
		}
		p.do(c, chunks, parts)
		if got := int(c.parts.Load()); got != chunks {
			t.Fatalf("dispatch %d: a chunk saw %d chunks, want %d", i, got, chunks)
		}
		if w := c.badWorker.Load(); w != 0 {
			t.Fatalf("dispatch %d: worker %d ran a chunk of a %d-part dispatch", i, w, parts)
		}
		for w := 0; w < chunks; w++ {
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

func (p panicTask) run(chunk, chunks, worker int) {
	if chunk == p.part {
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
			p.do(panicTask{part}, 5, 3)
		}()
	}
	c := &countTask{hits: make([]atomic.Int32, 3)}
	c.maxWorker.Store(3)
	p.do(c, 3, 3) // still works
	if c.hits[2].Load() != 1 {
		t.Error("the pool does not work after a panic")
	}
}

func TestPoolCloseStopsSleepingWorkers(t *testing.T) {
	p := newPool(3)
	c := &countTask{hits: make([]atomic.Int32, 3)}
	c.maxWorker.Store(3)
	p.do(c, 3, 3)
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
