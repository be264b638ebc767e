package onnx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// externalRef is where a tensor's data lies outside the model file: bytes
// offset to offset+length of the file at location, relative to the model's
// directory (length -1: to the end of the file).
type externalRef struct {
	location       string
	offset, length int64
}

// parseExternal reads a TensorProto's external_data entries; the keys it does
// not use (checksum) are ignored.
func parseExternal(entries []*onnxpb.StringStringEntryProto, what string) (externalRef, error) {
	ref := externalRef{length: -1}
	for _, e := range entries {
		switch e.GetKey() {
		case "location":
			ref.location = e.GetValue()
		case "offset", "length":
			v, err := strconv.ParseInt(e.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return ref, fmt.Errorf("%s has external data %s %q (accepted: a byte count)", what, e.GetKey(), e.GetValue())
			}
			if e.GetKey() == "offset" {
				ref.offset = v
			} else {
				ref.length = v
			}
		}
	}
	if ref.location == "" {
		return ref, fmt.Errorf("%s keeps its data in an external file but names no location", what)
	}
	return ref, nil
}

// external reads a tensor's external data, checking the byte range against
// the file's size and against what the shape needs before allocating.
func (l *loader) external(tp *onnxpb.TensorProto, what string, dt model.DType, shape []int, n int) (*model.Tensor, error) {
	ref, err := parseExternal(tp.GetExternalData(), what)
	if err != nil {
		return nil, err
	}
	f, err := l.openExternal(ref.location, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: external data %q: %w", what, ref.location, ioFailure{err})
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: external data %q is not a regular file", what, ref.location)
	}
	size := fi.Size()
	if ref.offset > size {
		return nil, fmt.Errorf("%s: external data %q holds %d bytes, its offset %d is past the end", what, ref.location, size, ref.offset)
	}
	length := ref.length
	if length < 0 {
		length = size - ref.offset
	}
	if length > size-ref.offset {
		return nil, fmt.Errorf("%s: external data %q holds %d bytes, offset %d + length %d runs past its end",
			what, ref.location, size, ref.offset, length)
	}
	if err := checkBytes(length, dt, tp.GetDims(), n, what, fmt.Sprintf("external data %q", ref.location)); err != nil {
		return nil, err
	}
	t := newTensor(dt, shape)
	if !dt.Computable() {
		return t, nil
	}
	if err := readLE(t, io.NewSectionReader(f, ref.offset, length)); err != nil {
		return nil, fmt.Errorf("%s: reading external data %q: %w", what, ref.location, ioFailure{err})
	}
	return t, nil
}

// readLE fills t with the little-endian elements r holds, a chunk at a time.
func readLE(t *model.Tensor, r io.Reader) error {
	size := int(elemBits(t.DType) / 8)
	buf := make([]byte, min(1<<20, t.Len()*size))
	for at := 0; at < t.Len(); {
		k := min(len(buf), (t.Len()-at)*size)
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return err
		}
		decodeLE(t, at, buf[:k])
		at += k / size
	}
	return nil
}

// openExternal opens a file of external data: a path relative to the
// model's directory that stays inside it.
func (l *loader) openExternal(location, what string) (*os.File, error) {
	if l.dir == "" {
		return nil, fmt.Errorf("%s keeps its data in %q, but the model was read without a directory to find it in", what, location)
	}
	path := filepath.FromSlash(location)
	if !filepath.IsLocal(path) {
		return nil, fmt.Errorf("%s: external data %q is outside the model's directory (accepted: a relative path inside it)", what, location)
	}
	if l.root == nil {
		root, err := os.OpenRoot(l.dir)
		if err != nil {
			return nil, l.openFailure(location, what, err)
		}
		l.root = root
	}
	f, err := l.root.Open(path)
	if err != nil {
		return nil, l.openFailure(location, what, err)
	}
	return f, nil
}

// openFailure tells external data that cannot be there (missing, a path no
// file can have, a link out of the model's directory: the file's fault)
// from a failure to read what is there.
func (l *loader) openFailure(location, what string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: external data %q is missing (%v)", what, location, err)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%s: external data %q cannot be opened (%v)", what, location, err)
	case errors.Is(err, fs.ErrPermission):
	case l.root != nil && statOK(filepath.Join(l.dir, filepath.FromSlash(location))):
		// The file is there, but not for the root: a link leads out of the directory.
		return fmt.Errorf("%s: external data %q leads outside the model's directory (accepted: a file inside it)", what, location)
	}
	return fmt.Errorf("%s: external data %q: %w", what, location, ioFailure{err})
}

func statOK(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
