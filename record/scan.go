package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// scanChunkLines is how many lines a parsing worker takes at a time.
const scanChunkLines = 256

// scanChunk is a run of consecutive lines after the header.
type scanChunk struct {
	first  int // the number of its first line
	raw    [][]byte
	offset []int64 // each line's byte offset
	// stop is set when reading ended after these lines with a damaged or
	// incomplete line; eof when the file ended cleanly.
	stop *Stop
	eof  bool
	// parsed and errs are filled by a worker, which then closes done.
	parsed []line
	errs   []error
	done   chan struct{}
}

// scan reads the header and then every line after it, handing each entry
// to keep, in the file's order, with its line's byte offset and length
// (without the newline); the events go into book too. A damaged line ends
// the reading there: the Stop says where and why.
//
// Decoding the JSON is most of the work, and no line's decoding depends on
// another's, so one goroutine reads the lines in chunks, a worker per CPU
// decodes each chunk, and scan itself books the events and keeps the
// entries, chunk after chunk in order. scan owns them all: when it returns
// it tells the reader to stop, the reader then closes the workers' queue,
// and the workers end with it.
func scan(r io.Reader, book *eventBook, keep func(e *Entry, offset int64, size int)) (Header, *Stop, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var h Header
	raw, err := readLine(br)
	switch {
	case len(raw) == 0 && err == io.EOF:
		return h, nil, errors.New("the file is empty")
	case err == io.EOF: // no newline: the program ended while writing it
		return h, nil, errors.New("the header line is incomplete")
	case err != nil:
		return h, nil, fmt.Errorf("reading the header: %w", err)
	}
	if err := readHeader(raw, &h); err != nil {
		return h, nil, err
	}
	workers := min(max(runtime.GOMAXPROCS(0), 1), 8)
	quit := make(chan struct{})
	defer close(quit)
	work, ordered := make(chan *scanChunk, 2*workers), make(chan *scanChunk, 2*workers)
	go readChunks(br, 2, int64(len(raw))+1, work, ordered, quit)
	for range workers {
		go parseChunks(work)
	}
	for c := range ordered {
		<-c.done
		for i, raw := range c.raw {
			n := c.first + i
			err := c.errs[i]
			var e *Entry
			if err == nil {
				e, err = entryOf(&c.parsed[i], n, book)
			}
			if err != nil {
				return h, &Stop{Line: n, Offset: c.offset[i], Reason: err.Error()}, nil
			}
			if e != nil {
				keep(e, c.offset[i], len(raw))
			}
		}
		if c.stop != nil {
			return h, c.stop, nil
		}
	}
	return h, nil, nil
}

// readChunks reads the lines from line first at byte offset on, hands each
// chunk to ordered (for scan, in order) and to work (for a worker), and
// ends at the end of the file, at a line it cannot read, or on quit. It
// closes both channels.
func readChunks(br *bufio.Reader, first int, offset int64, work, ordered chan<- *scanChunk, quit <-chan struct{}) {
	defer close(work)
	defer close(ordered)
	n := first
	for {
		c := &scanChunk{first: n, done: make(chan struct{})}
		for len(c.raw) < scanChunkLines {
			raw, err := readLine(br)
			if len(raw) == 0 && err == io.EOF {
				c.eof = true
				break
			}
			if err != nil {
				reason := err.Error()
				if err == io.EOF {
					reason = "an incomplete last line (the recording program was stopped while writing it)"
				}
				c.stop = &Stop{Line: n, Offset: offset, Reason: reason}
				break
			}
			c.raw, c.offset = append(c.raw, raw), append(c.offset, offset)
			offset += int64(len(raw)) + 1
			n++
		}
		select {
		case ordered <- c:
		case <-quit:
			return
		}
		select {
		case work <- c:
		case <-quit:
			return
		}
		if c.eof || c.stop != nil {
			return
		}
	}
}

// parseChunks decodes the JSON of every chunk from work until it closes.
func parseChunks(work <-chan *scanChunk) {
	for c := range work {
		c.parsed, c.errs = make([]line, len(c.raw)), make([]error, len(c.raw))
		for i, raw := range c.raw {
			c.errs[i] = parseLine(raw, &c.parsed[i])
		}
		close(c.done)
	}
}
