package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"infertop/onnx/internal/onnxpb"
)

// fuzzDir holds model.onnx, a PyTorch export, and weights.bin, its external
// data (60 bytes), which the fuzz seeds refer to.
const fuzzDir = "testdata/torch"

// allocLimit bounds what reading data may allocate: a constant, a multiple
// of the file (each byte of protobuf may become a message, a value, a node),
// and the external data there is to read.
func allocLimit(data []byte) uint64 { return 1<<20 + 1024*uint64(len(data)) + 64 }

// fuzzSeeds are valid small models and tensors, some cut short.
func fuzzSeeds(tb testing.TB) [][]byte {
	ext := tinyModel()
	externalW("location", "weights.bin", "offset", "16", "length", "24")(ext)
	unnamed := tinyModel()
	unnamed.Graph.Node[0].Name = ""
	gelu := tinyModel()
	gelu.Graph.Node[2].OpType = "Gelu"
	tiny := encode(tb, tinyModel())
	torch, err := os.ReadFile(filepath.Join(fuzzDir, "model.onnx"))
	if err != nil {
		tb.Fatal(err)
	}
	seeds := [][]byte{torch,
		tiny, tiny[:len(tiny)/2], tiny[:len(tiny)-1], tiny[:12],
		encode(tb, ext), encode(tb, unnamed), encode(tb, gelu),
		encode(tb, constantModel(node("Constant", "c", nil, []string{"k"}, intAttr("value_int", 7)))),
		encode(tb, withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tFloat16, Int32Data: []int32{1, 2, 3}})),
		encode(tb, withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tBool, RawData: []byte{0, 1, 1}})),
		encode(tb, &onnxpb.TensorProto{Name: "x", Dims: []int64{2}, DataType: tInt32, Int32Data: []int32{1, 2}}),
	}
	for _, name := range []string{"test_relu", "test_conv_with_strides_padding", "test_gather_0", "test_if"} {
		if b, err := os.ReadFile(filepath.Join(backendData, "node", name, "model.onnx")); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzLoad reads arbitrary bytes as a model and as a tensor: nothing panics,
// every error is one line in an *Error, what loads is a valid graph, and no
// read allocates more than the bytes it was given can justify.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Read("fuzz.onnx", data, fuzzDir, LoadOptions{Dims: map[string]int{"seq": 2}})
		_, _, terr := ParseTensor("fuzz.pb", data, fuzzDir)
		runtime.ReadMemStats(&after)
		if got, limit := after.TotalAlloc-before.TotalAlloc, allocLimit(data); got > limit {
			t.Errorf("reading %d bytes allocated %d, over %d", len(data), got, limit)
		}
		for _, e := range []error{err, terr} {
			var fe *Error
			if e != nil && (!errors.As(e, &fe) || strings.Contains(e.Error(), "\n")) {
				t.Errorf("error %q (%T) is not one line in an *Error", e, e)
			}
		}
		if err == nil {
			if verr := m.Graph.Validate(); verr != nil {
				t.Errorf("a loaded graph does not validate: %v", verr)
			}
		}
	})
}

// TestAllocationIsBoundedByTheFile reads small files that claim huge
// tensors: each is refused without allocating what it claims.
func TestAllocationIsBoundedByTheFile(t *testing.T) {
	huge := []int64{1 << 20, 1 << 19} // 2^39 elements: 2 TiB of float32
	tests := []struct {
		name string
		mp   *onnxpb.ModelProto
	}{
		{"raw data", withInit(&onnxpb.TensorProto{Dims: huge, DataType: tFloat, RawData: rawFloats(1)})},
		{"typed data", withInit(&onnxpb.TensorProto{Dims: huge, DataType: tInt32, Int32Data: []int32{1}})},
		{"no data", withInit(&onnxpb.TensorProto{Dims: huge, DataType: tBool})},
		{"external data", withInit(&onnxpb.TensorProto{Dims: huge, DataType: tFloat, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "weights.bin"}, {Key: "length", Value: "8796093022208"}}})},
		{"external data to the end", withInit(&onnxpb.TensorProto{Dims: huge, DataType: tFloat, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "weights.bin"}}})},
		{"constant attribute", constantModel(node("Constant", "c", nil, []string{"k"}, &onnxpb.AttributeProto{Name: "value",
			Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{Dims: huge, DataType: tInt64}}))},
	}
	for _, tt := range tests {
		data := encode(t, tt.mp)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read("m.onnx", data, fuzzDir, LoadOptions{})
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: a tensor of 2^39 elements in %d bytes loads", tt.name, len(data))
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > allocLimit(data) {
			t.Errorf("%s: %d bytes allocated reading %d (%v)", tt.name, got, len(data), err)
		}
	}
}
