package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"infertop/internal/blas"
)

// task is work cut into chunks; run computes one chunk on behalf of worker
// (0 is the calling goroutine, 1.. the pool's workers), which indexes any
// per-worker scratch buffer. A task is a pointer to a struct the caller keeps,
// so handing it to the pool allocates nothing.
type task interface {
	run(chunk, chunks, worker int)
}

// pool runs the chunks of a task on long-lived worker goroutines plus the
// calling goroutine: with threads t there are t−1 workers, so at most t
// goroutines compute at once. Parallel regions never overlap a BLAS call that
// itself uses threads (the engine runs BLAS single-threaded inside chunks), so
// the machine is never oversubscribed.
//
// Chunks are claimed one at a time from a shared counter, so a thread the
// system delays (a busy machine) only delays the chunk it holds: the others
// take the rest, and the caller waits for chunks, not for every worker to
// show up. Hand-off is by atomics: an idle worker spins, then polls, then
// parks (see spinFor), and the caller spins until every chunk is done.
// Blocking on channels or a WaitGroup on every op would allocate now and then
// (the runtime's wait records) and cost microseconds per wake-up.
type pool struct {
	threads int
	// gen is gen<<16 | parts: each dispatch bumps the generation, and says
	// which workers (those below parts) take part; waiting workers watch it.
	gen atomic.Uint64
	// claim is gen<<32 | chunks<<16 | the next unclaimed chunk. A chunk is
	// claimed by a compare-and-swap that also checks the generation, so a
	// worker that wakes late can never take a chunk of a later dispatch for an
	// earlier one, and it learns the chunk count from the same word.
	claim atomic.Uint64
	// done counts the finished chunks of the current dispatch.
	done    atomic.Int64
	quit    atomic.Bool
	workers []*poolWorker
	stopped sync.WaitGroup

	// The current dispatch's task, in slot gen%len(slots). A worker reads its
	// slot only after claiming a chunk of that generation, and the dispatch
	// cannot end (so no later one can reuse the slot) before that chunk is done.
	slots [4]task
	// One recovered panic per worker, re-raised on the caller's goroutine.
	panics []any
}

type poolWorker struct {
	sleeping atomic.Bool
	wake     chan struct{} // buffered 1: a token from whoever clears sleeping
}

// An idle worker spins (yielding, see yield) for spinFor, then polls with
// sleeps growing to maxPoll until it has been idle for pollFor, then parks on
// its channel. Sleeping allocates nothing; parking on a channel may (the
// runtime's wait record), which only happens after a long idle.
const (
	spinFor = 300 * time.Microsecond
	maxPoll = 2 * time.Millisecond
	pollFor = 2 * time.Second
)

// maxChunks and maxThreads keep the claim word's 16-bit chunk counter from
// overflowing (each participant claims at most once past the last chunk).
const (
	maxChunks  = 1 << 15
	maxThreads = 1 << 14
)

func newPool(threads int) *pool {
	threads = min(max(threads, 1), maxThreads)
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
		for spins := 1; ; spins++ {
			if g := p.gen.Load(); g != seen {
				seen = g
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
				yield()
				continue
			case since < pollFor:
				time.Sleep(min(since/8, maxPoll))
				continue
			}
			wk.sleeping.Store(true)
			if p.gen.Load() != seen || p.quit.Load() {
				if !wk.sleeping.CompareAndSwap(true, false) {
					<-wk.wake // a waker cleared it and sent (or is sending) a token
				}
			} else {
				<-wk.wake
			}
			idle = time.Now()
		}
		if w < int(seen&0xffff) {
			p.work(seen>>16, w)
		}
	}
}

// yield lets other goroutines run on this thread and, on Linux, other
// threads run on this CPU: on a machine busier than its cores, a spinning
// thread would otherwise take turns from the ones doing the work.
func yield() {
	runtime.Gosched()
	osYield()
}

func (wk *poolWorker) rouse() {
	if wk.sleeping.CompareAndSwap(true, false) {
		wk.wake <- struct{}{}
	}
}

// work runs chunks of generation gen as worker w until none is left.
func (p *pool) work(gen uint64, w int) {
	for {
		c := p.claim.Load()
		if c>>32 != gen&0xffffffff {
			return // a later dispatch: not ours
		}
		chunk, chunks := int(c&0xffff), int(c>>16&0xffff)
		if chunk >= chunks {
			return
		}
		if !p.claim.CompareAndSwap(c, c+1) {
			continue
		}
		p.runChunk(p.slots[gen%uint64(len(p.slots))], chunk, chunks, w)
		p.done.Add(1)
	}
}

func (p *pool) runChunk(t task, chunk, chunks, w int) {
	defer func() {
		if r := recover(); r != nil && p.panics[w] == nil {
			p.panics[w] = r
		}
	}()
	t.run(chunk, chunks, w)
}

// do runs the chunks of t on up to parts goroutines (the caller and workers
// 1..parts−1, which index per-worker buffers below parts) and returns when all
// are done. A panic in any chunk is re-raised here, in the caller's goroutine,
// after the other chunks finished. do is not reentrant: a chunk must not call do.
func (p *pool) do(t task, chunks, parts int) {
	if chunks <= 0 {
		return
	}
	if chunks > maxChunks {
		panic(fmt.Sprintf("pool: %d chunks, at most %d", chunks, maxChunks))
	}
	parts = min(max(parts, 1), p.threads, chunks)
	if parts == 1 {
		for c := 0; c < chunks; c++ {
			t.run(c, chunks, 0)
		}
		return
	}
	gen := p.gen.Load()>>16 + 1
	p.slots[gen%uint64(len(p.slots))] = t
	p.done.Store(0)
	p.claim.Store((gen&0xffffffff)<<32 | uint64(chunks)<<16)
	p.gen.Store(gen<<16 | uint64(parts))
	for w := 1; w < parts; w++ {
		p.workers[w-1].rouse()
	}
	p.work(gen, 0)
	for spins := 1; p.done.Load() != int64(chunks); spins++ {
		if spins%32 == 0 {
			yield()
		}
	}
	p.slots[gen%uint64(len(p.slots))] = nil
	for w, r := range p.panics {
		if r != nil {
			clear(p.panics)
			panic(fmt.Sprintf("worker %d: %v", w, r))
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

// chunksFor cuts n items into about chunksPerPart chunks per part, each of at least minItems.
func chunksFor(n, parts, minItems int) int {
	if parts <= 1 {
		return 1
	}
	return min(max(n/max(minItems, 1), parts), parts*chunksPerPart, max(n, 1))
}

// chunksPerPart is how many chunks each thread gets on average: enough that
// a delayed thread's share is picked up by the others, few enough that each
// chunk stays large.
const chunksPerPart = 4

// compute is what every kernel computes with: the worker pool, the BLAS,
// and the instruction set of the packed product kernel (isaNone: products
// never take the packed way).
type compute struct {
	pool *pool
	lib  blas.Library
	isa  isa
}

// Work thresholds for going parallel: a part should do enough to amortize
// waking a worker (a few microseconds).
const (
	minPartFlops = 1 << 18 // multiply-adds per part of a matrix product
	minPartElems = 1 << 14 // values per part of an element-wise pass
)

func partsFor(work, minWork, threads int) int {
	return min(max(work/minWork, 1), threads)
}

// rowSplit is how a kernel that treats its data as rows of equal length
// splits them: parts goroutines, chunks claimed one at a time.
type rowSplit struct {
	rows, parts, chunks int
}

// splitRows splits rows rows of rowLen values each (rowLen the work of one row).
func splitRows(threads, rows, rowLen int) rowSplit {
	parts := min(partsFor(rows*rowLen, minPartElems, threads), max(rows, 1))
	return rowSplit{rows: rows, parts: parts, chunks: chunksFor(rows, parts, 1)}
}

// span returns the rows of chunk c.
func (s *rowSplit) span(c, chunks int) (int, int) { return span(s.rows, c, chunks, 1) }

// do runs t's chunks on the pool as s splits them.
func (s *rowSplit) do(c *compute, t task) error {
	c.pool.do(t, s.chunks, s.parts)
	return nil
}
