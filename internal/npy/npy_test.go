package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/model"
)

// Files written by NumPy (testdata/make.py) read as the values it was given.
func TestReadNumPyFiles(t *testing.T) {
	cases := []struct {
		file  string
		dt    model.DType
		shape []int
		f32   []float32
		i64   []int64
		bools []bool
	}{
		{"f4_2x3.npy", model.Float32, []int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5}, nil, nil},
		{"f4_scalar.npy", model.Float32, []int{}, []float32{3.25}, nil, nil},
		{"f4_0x3.npy", model.Float32, []int{0, 3}, []float32{}, nil, nil},
		{"f4_2x2x2_v2.npy", model.Float32, []int{2, 2, 2}, []float32{0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875}, nil, nil},
		{"i8_3.npy", model.Int64, []int{3}, nil, []int64{-3, 0, 1 << 40}, nil},
		{"i4_2x2.npy", model.Int32, []int{2, 2}, nil, []int64{math.MinInt32, -1, 7, math.MaxInt32}, nil},
		{"b1_5.npy", model.Bool, []int{5}, nil, nil, []bool{true, false, false, true, true}},
	}
	for _, tc := range cases {
		got, err := ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if got.DType != tc.dt || !slices.Equal(got.Shape, tc.shape) {
			t.Errorf("%s: %s %v, want %s %v", tc.file, got.DType, got.Shape, tc.dt, tc.shape)
		}
		if !slices.Equal(got.F32, tc.f32) && len(got.F32)+len(tc.f32) > 0 ||
			!slices.Equal(got.I64, tc.i64) || !slices.Equal(got.Bool, tc.bools) {
			t.Errorf("%s: values %v %v %v, want %v %v %v", tc.file, got.F32, got.I64, got.Bool, tc.f32, tc.i64, tc.bools)
		}
		if err := got.Check(); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
}

// Writing what was read gives NumPy's bytes back: the same header, padding and data.
func TestWriteMatchesNumPy(t *testing.T) {
	for _, f := range []string{"f4_2x3.npy", "f4_scalar.npy", "f4_0x3.npy", "i8_3.npy", "i4_2x2.npy", "b1_5.npy"} {
		want, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		tensor, err := Decode(bytes.NewReader(want), int64(len(want)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var got bytes.Buffer
		if err := Encode(&got, tensor); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: wrote\n%q\nNumPy wrote\n%q", f, got.Bytes(), want)
		}
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct{ file, want string }{
		{"f8_2.npy", `dtype "<f8" (float64) is not supported (accepted: <f4 (float32), <i8 (int64), <i4 (int32), |b1 (bool), little-endian, C order)`},
		{"f4_big_endian.npy", `dtype ">f4" (big-endian) is not supported (accepted: <f4`},
		{"f4_fortran.npy", "Fortran-order arrays are not supported (accepted: <f4"},
		{"structured.npy", "descr is not a type string such as '<f4' (a structured dtype?); accepted: <f4"},
	}
	for _, tc := range cases {
		_, err := ReadFile(filepath.Join("testdata", tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.file, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), filepath.Join("testdata", tc.file)+": ") {
			t.Errorf("%s: the error does not name the file: %v", tc.file, err)
		}
	}
}

// npyBytes makes a version 1.0 file from a header dictionary and data.
func npyBytes(dict string, data []byte) []byte {
	b := []byte(magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(b, dict+"\n"...)
	return append(b, data...)
}

// Malformed files are refused with what was wrong, before any large allocation.
func TestDecodeErrors(t *testing.T) {
	v3 := []byte(magic + "\x03\x00\x04\x00\x00\x00{}  ")
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "not a .npy file: 0 bytes, too short for its preamble"},
		{"no magic", []byte("PK\x03\x04 this is a zip file"), `not a .npy file: it does not start with \x93NUMPY`},
		{"version 3", v3, ".npy format version 3.0 is not supported (accepted: 1.0, 2.0)"},
		{"header past the end", []byte(magic + "\x01\x00\xff\xff{"), "the header claims 65535 bytes, more than the file's 11"},
		{"short data", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", make([]byte, 20)),
			"shape [2 3] of <f4 needs 24 data bytes, the file holds 20"},
		{"trailing data", npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", make([]byte, 3)),
			"shape [2] of |b1 needs 2 data bytes, the file holds 3"},
		{"huge shape", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", nil),
			"needs more than 2⁶³ data bytes, the file holds 0"},
		{"claims a terabyte", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (137438953472,), }", make([]byte, 8)),
			"shape [137438953472] of <i8 needs 1099511627776 data bytes, the file holds 8"},
		{"missing key", npyBytes("{'descr': '<f4', 'shape': (1,), }", make([]byte, 4)), `header has no "fortran_order" key`},
		{"extra key", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", make([]byte, 4)),
			`unknown header key "x"`},
		{"negative dim", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", nil),
			"shape: want a dimension (a non-negative integer) at byte"},
	}
	for _, tc := range cases {
		_, err := Decode(bytes.NewReader(tc.file), int64(len(tc.file)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	cases := []struct {
		in    string
		descr string
		shape []int
	}{
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }    \n", "<f4", []int{2, 3}},
		{`{"shape": (7,), "descr": "|b1", "fortran_order": False}`, "|b1", []int{7}},
		{"{'descr':'<i8','fortran_order':False,'shape':()}", "<i8", []int{}},
		{"{'descr': '<i4', 'fortran_order': False, 'shape': (3L, 4L), }", "<i4", []int{3, 4}},
	}
	for _, tc := range cases {
		h, err := parseHeader(tc.in)
		if err != nil || h.descr != tc.descr || !slices.Equal(h.shape, tc.shape) || h.fortranOrder {
			t.Errorf("%q: %+v %v, want %s %v", tc.in, h, err, tc.descr, tc.shape)
		}
	}
}

func TestWriteFileRoundTripsAndIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	tensors := []*model.Tensor{
		model.Floats([]int{2, 1, 3}, []float32{1, -2, float32(math.Inf(1)), 0, 1e-30, -0.0}),
		{DType: model.Int32, Shape: []int{2}, I64: []int64{-5, 1 << 20}},
		model.Ints([]int{1}, []int64{math.MinInt64}),
		{DType: model.Bool, Shape: []int{3}, Bool: []bool{false, true, true}},
		model.Floats([]int{70000}, make([]float32, 70000)),
	}
	for _, want := range tensors {
		if err := WriteFile(path, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !slices.Equal(got.I64, want.I64) ||
			!slices.Equal(got.Bool, want.Bool) || !bitsEqual(got.F32, want.F32) {
			t.Errorf("wrote %s %v, read back %s %v", want.DType, want.Shape, got.DType, got.Shape)
		}
	}
	// A refused write leaves the previous file whole and no temporary file behind.
	bad := &model.Tensor{DType: model.Int32, Shape: []int{1}, I64: []int64{1 << 40}}
	if err := WriteFile(path, bad); err == nil || !strings.Contains(err.Error(), "int32 tensor element 0 is 1099511627776, outside int32's range") {
		t.Errorf("got %v", err)
	}
	if _, err := ReadFile(path); err != nil {
		t.Errorf("the earlier file was damaged: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only x.npy", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "y.npy"), tensors[0]); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

func TestWriteRefusesBadTensors(t *testing.T) {
	cases := []struct {
		t    *model.Tensor
		want string
	}{
		{&model.Tensor{DType: model.Float64, Shape: []int{1}}, "dtype float64 cannot be written (accepted: float32, int64, int32, bool)"},
		{model.Floats([]int{2, 2}, []float32{1, 2, 3}), "shape [2 2] needs 4 elements, data holds 3"},
	}
	for _, tc := range cases {
		if err := Encode(&bytes.Buffer{}, tc.t); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// A header too large for version 1.0 is written as version 2.0.
func TestLongHeaderIsVersion2(t *testing.T) {
	shape := make([]int, 30000)
	for i := range shape {
		shape[i] = 1
	}
	var b bytes.Buffer
	if err := Encode(&b, model.Floats(shape, []float32{2.5})); err != nil {
		t.Fatal(err)
	}
	if b.Bytes()[6] != 2 {
		t.Fatalf("version %d.%d, want 2.0", b.Bytes()[6], b.Bytes()[7])
	}
	if hl := binary.LittleEndian.Uint32(b.Bytes()[8:]); (12+hl)%64 != 0 {
		t.Errorf("data starts at %d, not a multiple of 64", 12+hl)
	}
	got, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil || len(got.Shape) != 30000 || got.F32[0] != 2.5 {
		t.Fatalf("read back %v", err)
	}
}

func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// Any header either parses into what formatHeader writes back the same, or
// is refused: never a panic.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		"{'descr': '|b1', 'fortran_order': True, 'shape': (), }",
		"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
		`{"descr": "<i8", "shape": (1L,), "fortran_order": False}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeader(s)
		if err != nil {
			return
		}
		again, err := parseHeader(formatHeader(h.descr, h.shape))
		if err != nil || again.descr != h.descr || !slices.Equal(again.shape, h.shape) {
			t.Fatalf("%q parsed to %+v, which reads back as %+v, %v", s, h, again, err)
		}
	})
}

// Any byte string either decodes into a tensor that encodes and decodes to
// itself, or is refused: never a panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"f4_2x3.npy", "b1_5.npy", "i4_2x2.npy", "f4_2x2x2_v2.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Decode(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, x); err != nil {
			t.Fatal(err)
		}
		y, err := Decode(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || !slices.Equal(x.Shape, y.Shape) || !bitsEqual(x.F32, y.F32) || !slices.Equal(x.I64, y.I64) || !slices.Equal(x.Bool, y.Bool) {
			t.Fatalf("round trip changed the tensor: %v", err)
		}
	})
}
