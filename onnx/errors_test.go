package onnx

import (
	"errors"
	"testing"

	"infertop/onnx/internal/onnxpb"
)

// TestBadFiles checks the one line each kind of bad file gets, and that it is an *Error.
func TestBadFiles(t *testing.T) {
	valid := encode(t, tinyModel())
	tests := []struct {
		name string
		data []byte                   // the file, when edit is nil
		edit func(*onnxpb.ModelProto) // changes tinyModel
		opts LoadOptions
		want string
	}{
		{name: "empty", data: []byte{}, want: "m.onnx: not an ONNX model (the file is empty)"},
		{name: "not protobuf", data: []byte(`{"graph": "json"}`),
			want: "m.onnx: not an ONNX model (protobuf: cannot parse invalid wire-format data)"},
		{name: "truncated", data: valid[:len(valid)-20], want: "m.onnx: truncated"},
		{name: "truncated in a tag", data: append(append([]byte{}, valid...), 0x80), want: "m.onnx: truncated"},
		{name: "no graph", edit: func(m *onnxpb.ModelProto) { m.Graph = nil },
			want: "m.onnx: not an ONNX model (it holds no graph)"},
		{name: "no IR version", edit: func(m *onnxpb.ModelProto) { m.IrVersion = 0 },
			want: "m.onnx: not an ONNX model (it has no IR version)"},
		{name: "opset too old", edit: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = 0 },
			want: "m.onnx: opset 0 is not supported (accepted: opsets 1 to 21)"},
		{name: "opset too new", edit: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = 22 },
			want: "m.onnx: opset 22 is not supported (accepted: opsets 1 to 21)"},
		{name: "no default opset", edit: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Domain = "ai.onnx.ml" },
			want: "m.onnx: the model imports no opset of ONNX's default domain (accepted: opsets 1 to 21)"},
		{name: "two default opsets", edit: func(m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx", Version: 13})
		}, want: "m.onnx: the model imports ONNX's default domain twice, at opsets 17 and 13"},
		{name: "input without shape", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = noShape("x", tFloat) },
			want: `m.onnx: graph input "x" has no shape (accepted: a shape whose dimensions are sizes or names)`},
		{name: "output without shape", edit: func(m *onnxpb.ModelProto) { m.Graph.Output[0] = noShape("y", tFloat) },
			want: `m.onnx: graph output "y" has no shape (accepted: a shape whose dimensions are sizes or names)`},
		{name: "input without type", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0].Type = nil },
			want: `m.onnx: graph input "x" declares no type (accepted: a tensor type)`},
		{name: "input without element type", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = valueInfo("x", 0, "batch", 3) },
			want: `m.onnx: graph input "x" has no element type`},
		{name: "input a sequence", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{}}}
		}, want: `m.onnx: graph input "x" is a sequence, not a tensor (accepted: tensors)`},
		{name: "negative dimension", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = valueInfo("x", tFloat, "batch", -3) },
			want: `m.onnx: graph input "x" has dimension -3 at axis 1 (accepted: sizes 0 to 2147483647, or names)`},
		{name: "unbound dim", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = valueInfo("x", tFloat, "batch", "feat") },
			want: `m.onnx: graph input "x" has the free dimension "feat" (shape [batch feat]): bind it with --dim feat=N`},
		{name: "dim bound to zero", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = valueInfo("x", tFloat, "batch", "feat") },
			opts: LoadOptions{Dims: map[string]int{"feat": 0}},
			want: `m.onnx: --dim feat=0: a dimension's size must be positive`},
		{name: "unnamed free dim", edit: func(m *onnxpb.ModelProto) { m.Graph.Input[0] = valueInfo("x", tFloat, "batch", nil) },
			want: `m.onnx: graph input "x" has a free dimension without a name at axis 1 (shape [batch ?]); accepted: sizes, or names bound with --dim NAME=N`},
		{name: "cycle", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[0] = "y" },
			want: `m.onnx: the graph has a cycle: mm → relu → add → mm`},
		{name: "node reads its own output", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[2].Input[0] = "y" },
			want: `m.onnx: the graph has a cycle: node "relu" reads its own output "y"`},
		{name: "node name twice", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[1].Name = "mm" },
			want: `m.onnx: node name "mm" is used twice`},
		{name: "value written twice", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[1].Output[0] = "xw" },
			want: `m.onnx: value "xw" is defined twice: by node "mm" and by node "add"`},
		{name: "node output shadows an input", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[0].Output[0] = "x" },
			want: `m.onnx: value "x" is defined twice: by a graph input and by node "mm"`},
		{name: "initializer twice", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].Name = "W" },
			want: `m.onnx: value "W" is defined twice: by an initializer and by an initializer`},
		{name: "initializer without name", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].Name = "" },
			want: `m.onnx: an initializer defines a value without a name`},
		{name: "output listed twice", edit: func(m *onnxpb.ModelProto) { m.Graph.Output = append(m.Graph.Output, m.Graph.Output[0]) },
			want: `m.onnx: graph output "y" is listed twice`},
		{name: "output never computed", edit: func(m *onnxpb.ModelProto) { m.Graph.Output[0].Name = "nowhere" },
			want: `m.onnx: graph output "nowhere" is never computed`},
		{name: "no outputs", edit: func(m *onnxpb.ModelProto) { m.Graph.Output = nil },
			want: `m.onnx: the graph has no outputs`},
		{name: "reads what nothing defines", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[1].Input[1] = "bias" },
			want: `m.onnx: node "add" reads "bias", which nothing defines`},
		{name: "node without op", edit: func(m *onnxpb.ModelProto) { m.Graph.Node[2].OpType = "" },
			want: `m.onnx: node "relu" has no op type`},
		{name: "initializer of the wrong size", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].Dims = []int64{2, 5} },
			want: `m.onnx: initializer "b" holds 2 values, its shape [2 5] needs 10`},
		{name: "raw initializer of the wrong size", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].Dims = []int64{10, 5} },
			want: `m.onnx: initializer "W" holds 6 values, its shape [10 5] needs 50`},
		{name: "raw initializer of odd bytes", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].RawData = make([]byte, 23) },
			want: `m.onnx: initializer "W" holds 23 bytes of raw data, its shape [3 2] of float32 needs 24`},
		{name: "initializer without data", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].FloatData = nil },
			want: `m.onnx: initializer "b" holds 0 values, its shape [2] needs 2`},
		{name: "initializer with data twice", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].FloatData = []float32{1} },
			want: `m.onnx: initializer "W" holds its data twice, in raw_data and in float_data`},
		{name: "initializer negative dim", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].Dims = []int64{-2} },
			want: `m.onnx: initializer "b" has a negative dimension in its shape [-2]`},
		{name: "initializer huge shape", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].Dims = []int64{1 << 30, 1 << 30, 0} },
			want: `m.onnx: initializer "b" has shape [1073741824 1073741824 0], over 2^40 elements (accepted: fewer)`},
		{name: "initializer without dtype", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].DataType = 0 },
			want: `m.onnx: initializer "b" has no data type`},
		{name: "initializer unknown dtype", edit: func(m *onnxpb.ModelProto) { m.Graph.Initializer[1].DataType = 99 },
			want: `m.onnx: initializer "b" has data type 99, which ONNX does not define (accepted: 1 to 22)`},
		{name: "initializer in segments", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[1].Segment = &onnxpb.TensorProto_Segment{Begin: 0, End: 2}
		}, want: `m.onnx: initializer "b" is stored in segments (accepted: whole tensors)`},
		{name: "sparse initializer", edit: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{}}
		}, want: `m.onnx: the graph holds sparse initializers (accepted: dense ones)`},
		{name: "attribute without type", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "alpha", F: 1}}
		}, want: `m.onnx: node "relu" has attribute "alpha" without a type`},
		{name: "attribute twice", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{intAttr("k", 1), intAttr("k", 2)}
		}, want: `m.onnx: node "relu" has attribute "k" twice`},
		{name: "attribute without name", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{intAttr("", 1)}
		}, want: `m.onnx: node "relu" has an attribute without a name`},
		{name: "attribute of unknown type", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "k", Type: 42}}
		}, want: `m.onnx: node "relu" has attribute "k" of type 42, which ONNX does not define`},
		{name: "tensor attribute of the wrong size", edit: func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "t", Type: onnxpb.AttributeProto_TENSOR,
				T: floatTensor("", []int64{3}, 1)}}
		}, want: `m.onnx: attribute "t" of node "relu" holds 1 value, its shape [3] needs 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if tt.edit != nil {
				mp := tinyModel()
				tt.edit(mp)
				data = encode(t, mp)
			}
			_, err := Read("m.onnx", data, "", tt.opts)
			if err == nil {
				t.Fatalf("no error; want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n  %s\nwant\n  %s", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "m.onnx" {
				t.Errorf("error %T is not an *Error naming the file", err)
			}
		})
	}
}
