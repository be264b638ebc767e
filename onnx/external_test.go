package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/onnx/internal/onnxpb"
)

// externalW makes tinyModel's W read from external data with these entries.
func externalW(kv ...string) func(*onnxpb.ModelProto) {
	return func(m *onnxpb.ModelProto) {
		w := m.Graph.Initializer[0]
		w.RawData = nil
		w.DataLocation = onnxpb.TensorProto_EXTERNAL
		for i := 0; i+1 < len(kv); i += 2 {
			w.ExternalData = append(w.ExternalData, &onnxpb.StringStringEntryProto{Key: kv[i], Value: kv[i+1]})
		}
	}
}

// externalDir is a model directory holding weights.bin (16 bytes of padding,
// then W's six floats) and data/w.bin (W's floats alone).
func externalDir(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, dir, "weights.bin", append(make([]byte, 16), rawFloats(1, 2, 3, 4, 5, 6)...))
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, filepath.Join("data", "w.bin"), rawFloats(1, 2, 3, 4, 5, 6))
	return dir
}

func TestExternalData(t *testing.T) {
	dir := externalDir(t)
	for _, edit := range []func(*onnxpb.ModelProto){
		externalW("location", "weights.bin", "offset", "16", "length", "24", "checksum", "ignored"),
		externalW("location", "weights.bin", "offset", "16"),
		externalW("location", "data/w.bin"),
	} {
		mp := tinyModel()
		edit(mp)
		path := writeFile(t, dir, "m.onnx", encode(t, mp))
		m, err := Load(path, LoadOptions{})
		if err != nil {
			t.Errorf("%v: %v", mp.Graph.Initializer[0].ExternalData, err)
			continue
		}
		if w := m.Graph.Const("W"); !slices.Equal(w.F32, []float32{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%v: W = %v", mp.Graph.Initializer[0].ExternalData, w.F32)
		}
	}
}

func TestExternalDataInChunks(t *testing.T) {
	dir := t.TempDir()
	const n = 300_000 // 1.2 MB: more than one read
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	writeFile(t, dir, "big.bin", rawFloats(v...))
	tp := &onnxpb.TensorProto{Name: "big", Dims: []int64{n}, DataType: tFloat, DataLocation: onnxpb.TensorProto_EXTERNAL,
		ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "big.bin"}}}
	name, got, err := LoadTensor(writeFile(t, dir, "big.pb", encode(t, tp)))
	if err != nil {
		t.Fatal(err)
	}
	if name != "big" || !slices.Equal(got.F32, v) {
		t.Errorf("read %q, %d values; want big and %d values 0, 1, 2 ...", name, len(got.F32), n)
	}
}

func TestBadExternalData(t *testing.T) {
	dir := externalDir(t)
	outside := writeFile(t, t.TempDir(), "outside.bin", rawFloats(1, 2, 3, 4, 5, 6))
	if err := os.Symlink(outside, filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*onnxpb.ModelProto)
		dir  string
		want string // the whole message, or its start when it ends in "…"
	}{
		{"missing", externalW("location", "absent.bin"), dir,
			`m.onnx: initializer "W": external data "absent.bin" is missing (…`},
		{"offset past the end", externalW("location", "weights.bin", "offset", "64"), dir,
			`m.onnx: initializer "W": external data "weights.bin" holds 40 bytes, its offset 64 is past the end`},
		{"length past the end", externalW("location", "weights.bin", "offset", "16", "length", "400"), dir,
			`m.onnx: initializer "W": external data "weights.bin" holds 40 bytes, offset 16 + length 400 runs past its end`},
		{"wrong size", externalW("location", "weights.bin", "offset", "20"), dir,
			`m.onnx: initializer "W" holds 5 values, its shape [3 2] needs 6`},
		{"parent directory", externalW("location", "../weights.bin"), dir,
			`m.onnx: initializer "W": external data "../weights.bin" is outside the model's directory (accepted: a relative path inside it)`},
		{"absolute path", externalW("location", outside), dir,
			`m.onnx: initializer "W": external data "` + outside + `" is outside the model's directory (accepted: a relative path inside it)`},
		{"a link out of the directory", externalW("location", "link.bin"), dir,
			`m.onnx: initializer "W": external data "link.bin" leads outside the model's directory (accepted: a file inside it)`},
		{"no location", externalW("offset", "0"), dir,
			`m.onnx: initializer "W" keeps its data in an external file but names no location`},
		{"bad offset", externalW("location", "weights.bin", "offset", "-4"), dir,
			`m.onnx: initializer "W" has external data offset "-4" (accepted: a byte count)`},
		{"no directory", externalW("location", "weights.bin"), "",
			`m.onnx: initializer "W" keeps its data in "weights.bin", but the model was read without a directory to find it in`},
		{"a directory", externalW("location", "data"), dir,
			`m.onnx: initializer "W": external data "data" is not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := tinyModel()
			tt.edit(mp)
			_, err := Read("m.onnx", encode(t, mp), tt.dir, LoadOptions{})
			if err == nil {
				t.Fatalf("no error; want %q", tt.want)
			}
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok && !strings.HasPrefix(err.Error(), prefix) ||
				!ok && err.Error() != tt.want {
				t.Errorf("error\n  %s\nwant\n  %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not an *Error", err)
			}
		})
	}

}
