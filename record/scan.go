package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
	// parsed and errs are filled by parseChunk.
	parsed []line
	errs   []error
}

// scan reads the header and then every line after it, handing each entry
// to keep, in the file's order, with its line's byte offset and length
// (without the newline); the events go into book too. A damaged line ends
// the reading there: the Stop says where and why.
//
// The lines are read in chunks, their JSON is decoded on every CPU
// (parallelInOrder), and scan itself books the events and keeps the
// entries, chunk after chunk in order.
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
	var stop *Stop
	produce := func(emit func(*scanChunk) bool) { readChunks(br, 2, int64(len(raw))+1, emit) }
	parallelInOrder(produce, parseChunk, func(c *scanChunk) bool {
		for i, raw := range c.raw {
			n := c.first + i
			err := c.errs[i]
			var e *Entry
			if err == nil {
				e, err = entryOf(&c.parsed[i], n, book)
			}
			if err != nil {
				stop = &Stop{Line: n, Offset: c.offset[i], Reason: err.Error()}
				return false
			}
			if e != nil {
				keep(e, c.offset[i], len(raw))
			}
		}
		stop = c.stop
		return stop == nil
	})
	return h, stop, nil
}

// readChunks reads the lines from line first at byte offset on and emits
// them in chunks, until the end of the file, a line it cannot read, or
// emit returning false.
func readChunks(br *bufio.Reader, first int, offset int64, emit func(*scanChunk) bool) {
	n := first
	for {
		c := &scanChunk{first: n}
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
		if !emit(c) || c.eof || c.stop != nil {
			return
		}
	}
}

// parseChunk decodes the JSON of every line of c.
func parseChunk(c *scanChunk) {
	c.parsed, c.errs = make([]line, len(c.raw)), make([]error, len(c.raw))
	for i, raw := range c.raw {
		c.errs[i] = parseLine(raw, &c.parsed[i])
	}
}
