package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// task is work split into parts; run computes one part. A task is a pointer
// to a struct the caller keeps, so handing it to the pool allocates nothing.
type task interface {
	run(part, parts int)
}

// pool runs the parts of a task on long-lived worker goroutines plus the
// calling goroutine: with threads t there are t−1 workers, so at most t
// goroutines compute at once. Parallel regions never overlap a BLAS call that
// itself uses threads (the engine runs BLAS single-threaded inside parts), so
// the machine is never oversubscribed.
//
// Hand-off is by atomics: an idle worker spins, then polls, then parks (see
// spinFor), and the caller spins until every part is done. Blocking on
// channels or a WaitGroup on every op would allocate now and then (the
// runtime's wait records) and cost microseconds per wake-up.
type pool struct {
	threads int
	// state is gen<<16 | parts: each dispatch bumps gen and says how many
	// parts it has in the same word, so a worker never pairs one dispatch's
	// generation with another's part count.
	state   atomic.Uint64
	pending atomic.Int32 // parts not yet done by workers
	quit    atomic.Bool
	workers []*poolWorker
	stopped sync.WaitGroup

	// Set by do before bumping the generation (which publishes it). A worker
	// reads it only for a dispatch that has a part for it, and do does not
	// return (so t is not replaced) until every such part is done.
	t task
	// One recovered panic per part, re-raised on the caller's goroutine.
	panics []any
}

type poolWorker struct {
	sleeping atomic.Bool
	wake     chan struct{} // buffered 1: a token from whoever clears sleeping
}

// An idle worker spins (yielding its thread) for spinFor, then polls with
// sleeps growing to maxPoll until it has been idle for pollFor, then parks on
// its channel. Sleeping allocates nothing; parking on a channel may (the
// runtime's wait record), which only happens after a long idle.
const (
	spinFor = time.Millisecond
	maxPoll = 2 * time.Millisecond
	pollFor = 2 * time.Second
)

func newPool(threads int) *pool {
	threads = min(max(threads, 1), 1<<16-1)
	p := &pool{threads: threads, panics: make([]any, threads)}
	for w := 1; w < threads; w++ {
		wk := &poolWorker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, wk)
		p.stopped.Add(1)
		go p.worker(w, wk)
	}
	return p
}

func (p *pool) worker(w int, wk *poolWorker) {
	defer p.stopped.Done()
	// The runtime gives a goroutine its sleep timer on its first sleep: take it
	// now rather than in the middle of a run.
	time.Sleep(time.Nanosecond)
	var seen uint64 // the generation starts at 0: a dispatch before this goroutine runs is not missed
	for {
		// Wait for a new generation: spin, then poll, then park.
		idle := time.Now()
		parts := 0
		for spins := 1; ; spins++ {
			if s := p.state.Load(); s>>16 != seen {
				seen, parts = s>>16, int(s&0xffff)
				break
			}
			if p.quit.Load() {
				return
			}
			if spins%32 != 0 {
				continue
			}
			switch since := time.Since(idle); {
			case since < spinFor:
				runtime.Gosched()
				continue
			case since < pollFor:
				time.Sleep(min(since/8, maxPoll))
				continue
			}
			wk.sleeping.Store(true)
			if p.state.Load()>>16 != seen || p.quit.Load() {
				if !wk.sleeping.CompareAndSwap(true, false) {
					<-wk.wake // a waker cleared it and sent (or is sending) a token
				}
			} else {
				<-wk.wake
			}
			idle = time.Now()
		}
		if w < parts {
			p.runPart(w, parts)
			p.pending.Add(-1)
		}
	}
}

func (wk *poolWorker) rouse() {
	if wk.sleeping.CompareAndSwap(true, false) {
		wk.wake <- struct{}{}
	}
}

func (p *pool) runPart(w, parts int) {
	defer func() {
		if r := recover(); r != nil {
			p.panics[w] = r
		}
	}()
	p.t.run(w, parts)
}

// do runs parts parts of t (1 ≤ parts ≤ threads) and returns when all are
// done. A panic in any part is re-raised here, in the caller's goroutine.
// do is not reentrant: a part must not call do.
func (p *pool) do(t task, parts int) {
	parts = min(max(parts, 1), p.threads)
	if parts == 1 {
		t.run(0, 1)
		return
	}
	p.t = t
	p.pending.Store(int32(parts - 1))
	gen := p.state.Load()>>16 + 1
	p.state.Store(gen<<16 | uint64(parts))
	for w := 1; w < parts; w++ {
		p.workers[w-1].rouse()
	}
	p.runPart(0, parts)
	for spins := 1; p.pending.Load() != 0; spins++ {
		if spins%32 == 0 {
			runtime.Gosched()
		}
	}
	p.t = nil
	for w := 0; w < parts; w++ {
		if r := p.panics[w]; r != nil {
			clear(p.panics)
			panic(fmt.Sprintf("part %d of %d: %v", w, parts, r))
		}
	}
}

// close stops the workers and waits for them to exit.
func (p *pool) close() {
	if p.quit.Swap(true) {
		return
	}
	for _, wk := range p.workers {
		wk.rouse()
	}
	p.stopped.Wait()
}

// span returns the half-open range of part of n items split into parts, with
// boundaries rounded to multiples of align (the last part takes the rest).
func span(n, part, parts, align int) (lo, hi int) {
	lo = roundUp(n*part/parts, align)
	hi = roundUp(n*(part+1)/parts, align)
	if part == parts-1 || hi > n {
		hi = n
	}
	return min(lo, n), hi
}

func roundUp(v, a int) int {
	if a <= 1 {
		return v
	}
	return (v + a - 1) / a * a
}
