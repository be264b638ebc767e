package onnx

import (
	"errors"
	"fmt"

	"infertop/model"
)

// Error says what is wrong with a file's content: it is not an ONNX model,
// it is truncated, its external data is missing, a name is used twice, a
// node needs what cannot be computed (Err is then a *model.UnsupportedError
// carrying the whole list) ... It reads as one line that begins with the file.
type Error struct {
	// File is the path the file was given by, or the name given to Read.
	File string
	// Err says what was wrong.
	Err error
}

// Error reads like `model.onnx: truncated`.
func (e *Error) Error() string {
	var u *model.UnsupportedError
	if errors.As(e.Err, &u) && u.Graph == e.File {
		return u.Error() // it names the file already
	}
	return e.File + ": " + e.Err.Error()
}

// Unwrap returns what was wrong.
func (e *Error) Unwrap() error { return e.Err }

// ioFailure marks an error reading a file (as opposed to what a file holds)
// on its way out of the loader, so that it is not reported as an *Error.
type ioFailure struct{ err error }

func (f ioFailure) Error() string { return f.err.Error() }
func (f ioFailure) Unwrap() error { return f.err }

// wrapErr turns an error of the loader into what Load returns: an *Error,
// or a plain error naming the file for a failure to read.
func wrapErr(file string, err error) error {
	var f ioFailure
	if errors.As(err, &f) {
		return fmt.Errorf("%s: %w", file, err)
	}
	return &Error{File: file, Err: err}
}
