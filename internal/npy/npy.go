// Package npy reads and writes NumPy .npy files (format versions 1.0 and
// 2.0) as model tensors: C order, little-endian float32 (<f4), int64 (<i8),
// int32 (<i4) and bool (|b1). Any other dtype or layout is refused with a
// message that names it and says what is accepted.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"infertop/model"
)

// accepted lists the dtypes this package reads and writes, for messages.
const accepted = "<f4 (float32), <i8 (int64), <i4 (int32), |b1 (bool), little-endian, C order"

// maxHeader bounds the header dictionary a file may claim (NumPy's own
// headers are a few hundred bytes).
const maxHeader = 1 << 20

// magic opens every .npy file.
const magic = "\x93NUMPY"

// chunk is how many bytes of data are converted at a time.
const chunk = 64 << 10

// dtypeOf maps an accepted descr to its dtype and element size in the file.
func dtypeOf(descr string) (model.DType, int, bool) {
	switch descr {
	case "<f4":
		return model.Float32, 4, true
	case "<i8":
		return model.Int64, 8, true
	case "<i4":
		return model.Int32, 4, true
	case "|b1":
		return model.Bool, 1, true
	}
	return model.Undefined, 0, false
}

// descrOf is the descr a dtype is written with, or "".
func descrOf(dt model.DType) string {
	switch dt {
	case model.Float32:
		return "<f4"
	case model.Int64:
		return "<i8"
	case model.Int32:
		return "<i4"
	case model.Bool:
		return "|b1"
	}
	return ""
}

// refusedDType explains a descr this package does not read.
func refusedDType(descr string) error {
	what := ""
	if len(descr) >= 2 {
		switch descr[0] {
		case '>':
			what = " (big-endian)"
		case '<', '|', '=':
			names := map[string]string{"f2": "float16", "f8": "float64", "i1": "int8", "i2": "int16",
				"u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "c8": "complex64", "c16": "complex128"}
			if n, ok := names[descr[1:]]; ok {
				what = " (" + n + ")"
			}
		}
	}
	return fmt.Errorf("dtype %q%s is not supported (accepted: %s)", descr, what, accepted)
}

// ReadFile reads a .npy file into a tensor.
func ReadFile(path string) (*model.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	t, err := Decode(bufio.NewReaderSize(f, chunk), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Decode reads a .npy stream of size bytes into a tensor. The shape the
// header states is checked against size before any data is allocated.
func Decode(r io.Reader, size int64) (*model.Tensor, error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("not a .npy file: %d bytes, too short for its preamble", max(size, 0))
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("not a .npy file: it does not start with \\x93NUMPY")
	}
	var lenBytes int
	switch v := [2]byte{pre[6], pre[7]}; v {
	case [2]byte{1, 0}:
		lenBytes = 2
	case [2]byte{2, 0}:
		lenBytes = 4
	default:
		return nil, fmt.Errorf(".npy format version %d.%d is not supported (accepted: 1.0, 2.0)", v[0], v[1])
	}
	lb := make([]byte, 4)
	if _, err := io.ReadFull(r, lb[:lenBytes]); err != nil {
		return nil, fmt.Errorf("truncated .npy preamble: %w", err)
	}
	hlen := int64(binary.LittleEndian.Uint32(lb))
	start := 8 + int64(lenBytes) + hlen
	if hlen > maxHeader || start > size {
		return nil, fmt.Errorf("the header claims %d bytes, more than the file's %d", hlen, size)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("truncated .npy header: %w", err)
	}
	h, err := parseHeader(string(hb))
	if err != nil {
		return nil, err
	}
	dt, itemSize, ok := dtypeOf(h.descr)
	if !ok {
		return nil, refusedDType(h.descr)
	}
	if h.fortranOrder {
		return nil, fmt.Errorf("Fortran-order arrays are not supported (accepted: %s); save np.ascontiguousarray(a)", accepted)
	}
	need, ok := dataBytes(h.shape, itemSize)
	if !ok || need != size-start {
		return nil, fmt.Errorf("shape %v of %s needs %s data bytes, the file holds %d", h.shape, h.descr, needText(need, ok), size-start)
	}
	t := model.NewTensor(dt, h.shape...)
	if err := readData(r, t, itemSize); err != nil {
		return nil, fmt.Errorf("reading %d data bytes: %w", need, err)
	}
	return t, nil
}

// dataBytes is the product of the dimensions times the element size, and
// false when it overflows an int64.
func dataBytes(shape []int, itemSize int) (int64, bool) {
	n := int64(itemSize)
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

func needText(n int64, ok bool) string {
	if !ok {
		return "more than 2⁶³"
	}
	return fmt.Sprint(n)
}

// readData fills t's elements from little-endian bytes, a chunk at a time.
func readData(r io.Reader, t *model.Tensor, itemSize int) error {
	n := t.Len()
	buf := make([]byte, min(chunk, n*itemSize))
	per := max(len(buf)/itemSize, 1)
	for i := 0; i < n; i += per {
		k := min(per, n-i)
		b := buf[:k*itemSize]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		for j := 0; j < k; j++ {
			switch t.DType {
			case model.Float32:
				t.F32[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			case model.Int64:
				t.I64[i+j] = int64(binary.LittleEndian.Uint64(b[8*j:]))
			case model.Int32:
				t.I64[i+j] = int64(int32(binary.LittleEndian.Uint32(b[4*j:])))
			case model.Bool:
				t.Bool[i+j] = b[j] != 0
			}
		}
	}
	return nil
}

// Encode writes t in .npy format: version 1.0, or 2.0 when the header does
// not fit 1.0's 64 KiB, the header padded as NumPy pads it.
func Encode(w io.Writer, t *model.Tensor) error {
	descr := descrOf(t.DType)
	if descr == "" {
		return fmt.Errorf("dtype %s cannot be written (accepted: float32, int64, int32, bool)", t.DType)
	}
	if err := t.Check(); err != nil {
		return err
	}
	if t.DType == model.Int32 {
		for i, v := range t.I64 {
			if v != int64(int32(v)) {
				return fmt.Errorf("int32 tensor element %d is %d, outside int32's range", i, v)
			}
		}
	}
	h := formatHeader(descr, t.Shape)
	pre := 10
	if len(h)+1+pre > math.MaxUint16 {
		pre = 12
	}
	pad := (64 - (pre+len(h)+1)%64) % 64
	hb := []byte(h + string(bytes.Repeat([]byte{' '}, pad)) + "\n")
	bw := bufio.NewWriterSize(w, chunk)
	bw.WriteString(magic)
	if pre == 10 {
		bw.Write([]byte{1, 0})
		bw.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(hb))))
	} else {
		bw.Write([]byte{2, 0})
		bw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hb))))
	}
	bw.Write(hb)
	var b [8]byte
	for i := range t.Len() {
		switch t.DType {
		case model.Float32:
			bw.Write(binary.LittleEndian.AppendUint32(b[:0], math.Float32bits(t.F32[i])))
		case model.Int64:
			bw.Write(binary.LittleEndian.AppendUint64(b[:0], uint64(t.I64[i])))
		case model.Int32:
			bw.Write(binary.LittleEndian.AppendUint32(b[:0], uint32(int32(t.I64[i]))))
		case model.Bool:
			if t.Bool[i] {
				bw.WriteByte(1)
			} else {
				bw.WriteByte(0)
			}
		}
	}
	return bw.Flush()
}

// WriteFile writes t to path atomically: into a temporary file in the same
// folder, renamed over path once complete, so a reader never sees half a file.
func WriteFile(path string, t *model.Tensor) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = Encode(f, t); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
