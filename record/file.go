package record

import (
	"fmt"
	"io"
	"os"
	"time"
)

// File is a recording read in place: Open checks every line as Read does
// but keeps only where each entry lies, and Entry decodes one when asked. A
// dashboard recording grows by about 100 MB per hour; read whole, most of
// that would stay on the heap for as long as it plays. A File is not safe
// for use by several goroutines at once.
type File struct {
	// Header is the recording's first line.
	Header Header
	// Stopped is set when the file was truncated or damaged: the entries are
	// those before it.
	Stopped *Stop

	src    io.ReaderAt
	closer io.Closer
	refs   []entryRef
	book   *eventBook
	buf    []byte
}

// entryRef is where one entry lies and what it is.
type entryRef struct {
	offset int64
	size   int32
	line   int32
	kind   Kind
	at     time.Duration
}

// Open reads the recording at path in place. Its errors are ReadFile's; the
// File must be closed.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("recording: %w", err)
	}
	rf, err := NewFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	rf.closer = f
	return rf, nil
}

// NewFile reads the size bytes of a recording in r in place (a file, or a
// bytes.Reader in tests). Its errors are Read's. r must stay readable, and
// unchanged, while the File is used.
func NewFile(r io.ReaderAt, size int64) (*File, error) {
	f := &File{src: r, book: newEventBook()}
	h, stop, err := scan(io.NewSectionReader(r, 0, size), f.book, func(e *Entry, offset int64, n int) {
		f.refs = append(f.refs, entryRef{offset: offset, size: int32(n), line: int32(e.Line), kind: e.Kind, at: e.At})
	})
	if err != nil {
		return nil, err
	}
	f.Header, f.Stopped = h, stop
	return f, nil
}

// Len is the number of entries.
func (f *File) Len() int { return len(f.refs) }

// Has reports whether the recording holds an entry of kind k (a selftest's
// has no snapshots for the dashboard's panels, nor has a run stopped before
// its first one).
func (f *File) Has(k Kind) bool {
	for _, r := range f.refs {
		if r.kind == k {
			return true
		}
	}
	return false
}

// Kind is what entry i holds.
func (f *File) Kind(i int) Kind { return f.refs[i].kind }

// At is entry i's offset from the recording's start.
func (f *File) At(i int) time.Duration { return f.refs[i].at }

// Duration is the offset of the last entry.
func (f *File) Duration() time.Duration {
	if n := len(f.refs); n > 0 {
		return f.refs[n-1].at
	}
	return 0
}

// Entry decodes entry i, as Read would have returned it. It fails only when
// the file cannot be read any more or was changed since it was opened.
func (f *File) Entry(i int) (Entry, error) {
	ref := f.refs[i]
	if cap(f.buf) < int(ref.size) {
		f.buf = make([]byte, ref.size)
	}
	raw := f.buf[:ref.size]
	if _, err := f.src.ReadAt(raw, ref.offset); err != nil {
		return Entry{}, readAgainError(ref, err)
	}
	e, err := decodeEntry(raw, int(ref.line), f.book)
	return f.checked(ref, e, err)
}

// checked is the entry decoded again from ref's line, or the error that says
// the line changed since the file was opened (its decoding failed, err, or
// it no longer holds the entry Open found there).
func (f *File) checked(ref entryRef, e *Entry, err error) (Entry, error) {
	switch {
	case err != nil:
		return Entry{}, fmt.Errorf("line %d of the recording changed since it was opened: %w", ref.line, err)
	case e == nil || e.Kind != ref.kind || e.At != ref.at:
		return Entry{}, fmt.Errorf("line %d of the recording changed since it was opened", ref.line)
	}
	return *e, nil
}

// Close closes the file Open opened (nothing for NewFile's).
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}
