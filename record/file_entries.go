package record

import (
	"fmt"
	"runtime"
	"sync"
)

// entriesChunk is how many entries an Entries worker parses at a time.
const entriesChunk = 64

// entryBatch is a run of consecutive entries for one worker.
type entryBatch struct {
	lo, hi int
	want   []bool // by entry, from lo: whether to decode it
	// parsed, errs (parsing) and readErrs (reading the line again) are
	// filled by a worker, which then closes done.
	parsed   []line
	errs     []error
	readErrs []error
	done     chan struct{}
}

// Entries decodes entries [lo, hi) and hands each to fn in order: the
// decoded entry when want accepts its kind (want nil accepts all), nil
// otherwise. Each entry decodes exactly as Entry decodes it, but the JSON,
// most of the work, is parsed on a goroutine per CPU (up to 8) ahead of fn,
// which runs on the caller's goroutine: crossing a long stretch of a
// recording takes a fraction of the time entry after entry would. On the
// first entry that cannot be decoded it stops and returns that entry's
// index and Entry's error; otherwise hi and nil. Entries owns its goroutines
// and has stopped them all when it returns.
func (f *File) Entries(lo, hi int, want func(Kind) bool, fn func(i int, e *Entry)) (int, error) {
	lo, hi = max(lo, 0), min(hi, len(f.refs))
	if lo >= hi {
		return hi, nil
	}
	workers := min(max(runtime.GOMAXPROCS(0), 1), 8)
	quit := make(chan struct{})
	work, ordered := make(chan *entryBatch, 2*workers), make(chan *entryBatch, 2*workers)
	var wg sync.WaitGroup
	defer func() {
		close(quit)
		wg.Wait()
	}()
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		f.batchEntries(lo, hi, want, work, ordered, quit)
	}()
	for range workers {
		go func() {
			defer wg.Done()
			f.parseBatches(work)
		}()
	}
	for b := range ordered {
		<-b.done
		for k := range b.hi - b.lo {
			i := b.lo + k
			if !b.want[k] {
				fn(i, nil)
				continue
			}
			if err := b.readErrs[k]; err != nil {
				return i, err
			}
			var e *Entry
			err := b.errs[k]
			if err == nil {
				e, err = entryOf(&b.parsed[k], int(f.refs[i].line), f.book)
			}
			got, err := f.checked(f.refs[i], e, err)
			if err != nil {
				return i, err
			}
			fn(i, &got)
		}
	}
	return hi, nil
}

// batchEntries cuts [lo, hi) into batches and hands each to ordered (for
// Entries, in order) and to work (for a worker), until done or quit. It
// closes both channels.
func (f *File) batchEntries(lo, hi int, want func(Kind) bool, work, ordered chan<- *entryBatch, quit <-chan struct{}) {
	defer close(work)
	defer close(ordered)
	for at := lo; at < hi; at += entriesChunk {
		b := &entryBatch{lo: at, hi: min(at+entriesChunk, hi), done: make(chan struct{})}
		b.want = make([]bool, b.hi-b.lo)
		for k := range b.want {
			b.want[k] = want == nil || want(f.refs[at+k].kind)
		}
		select {
		case ordered <- b:
		case <-quit:
			return
		}
		select {
		case work <- b:
		case <-quit:
			return
		}
	}
}

// parseBatches reads and parses the wanted lines of every batch from work
// until it closes. Each worker has its own buffer; the file is read with
// ReadAt, which may run concurrently.
func (f *File) parseBatches(work <-chan *entryBatch) {
	var buf []byte
	for b := range work {
		n := b.hi - b.lo
		b.parsed, b.errs, b.readErrs = make([]line, n), make([]error, n), make([]error, n)
		for k := range b.want {
			if !b.want[k] {
				continue
			}
			ref := f.refs[b.lo+k]
			if cap(buf) < int(ref.size) {
				buf = make([]byte, ref.size)
			}
			raw := buf[:ref.size]
			if _, err := f.src.ReadAt(raw, ref.offset); err != nil {
				b.readErrs[k] = readAgainError(ref, err)
				continue
			}
			b.errs[k] = parseLine(raw, &b.parsed[k])
		}
		close(b.done)
	}
}

// readAgainError is the error of a line that cannot be read again.
func readAgainError(ref entryRef, err error) error {
	return fmt.Errorf("reading line %d of the recording again: %w", ref.line, err)
}
