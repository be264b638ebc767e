package record

import "fmt"

// entriesChunk is how many entries an Entries worker parses at a time.
const entriesChunk = 64

// entryBatch is a run of consecutive entries for one worker.
type entryBatch struct {
	lo, hi int
	want   []bool // by entry, from lo: whether to decode it
	// parsed, errs (parsing) and readErrs (reading the line again) are
	// filled by parseBatch.
	parsed   []line
	errs     []error
	readErrs []error
}

// Entries decodes entries [lo, hi) and hands each to fn in order: the
// decoded entry when want accepts its kind (want nil accepts all), nil
// otherwise. Each entry decodes exactly as Entry decodes it, but the JSON,
// most of the work, is parsed on every CPU ahead of fn (parallelInOrder),
// which runs on the caller's goroutine: crossing a long stretch of a
// recording takes a fraction of the time entry after entry would. On the
// first entry that cannot be decoded it stops and returns that entry's
// index and Entry's error; otherwise hi and nil. Its goroutines have all
// finished when it returns.
func (f *File) Entries(lo, hi int, want func(Kind) bool, fn func(i int, e *Entry)) (int, error) {
	lo, hi = max(lo, 0), min(hi, len(f.refs))
	if lo >= hi {
		return hi, nil
	}
	produce := func(emit func(*entryBatch) bool) {
		for at := lo; at < hi; at += entriesChunk {
			b := &entryBatch{lo: at, hi: min(at+entriesChunk, hi)}
			b.want = make([]bool, b.hi-b.lo)
			for k := range b.want {
				b.want[k] = want == nil || want(f.refs[at+k].kind)
			}
			if !emit(b) {
				return
			}
		}
	}
	end, failed := hi, error(nil)
	parallelInOrder(produce, f.parseBatch, func(b *entryBatch) bool {
		for k := range b.hi - b.lo {
			i := b.lo + k
			if !b.want[k] {
				fn(i, nil)
				continue
			}
			if err := b.readErrs[k]; err != nil {
				end, failed = i, err
				return false
			}
			var e *Entry
			err := b.errs[k]
			if err == nil {
				e, err = entryOf(&b.parsed[k], int(f.refs[i].line), f.book)
			}
			got, err := f.checked(f.refs[i], e, err)
			if err != nil {
				end, failed = i, err
				return false
			}
			fn(i, &got)
		}
		return true
	})
	return end, failed
}

// parseBatch reads the wanted lines of b again and parses their JSON. The
// file is read with ReadAt, which may run on several goroutines at once.
func (f *File) parseBatch(b *entryBatch) {
	n := b.hi - b.lo
	b.parsed, b.errs, b.readErrs = make([]line, n), make([]error, n), make([]error, n)
	var buf []byte
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
}

// readAgainError is the error of a line that cannot be read again.
func readAgainError(ref entryRef, err error) error {
	return fmt.Errorf("reading line %d of the recording again: %w", ref.line, err)
}
