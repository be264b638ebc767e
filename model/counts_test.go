package model

import (
	"fmt"
	"testing"
)

// presetBuilder writes the five presets' architectures (DESIGN.md) as graphs
// of fused ops, to count their FLOPs and parameters against hand counts.
type presetBuilder struct {
	*Builder
	n int
}

func (p *presetBuilder) name(s string) string {
	p.n++
	return fmt.Sprintf("%s%d", s, p.n)
}

func (p *presetBuilder) linear(x string, k, n int, act string) string {
	name := p.name("fc")
	w := p.Const(name+".w", NewTensor(Float32, n, k))
	b := p.Const(name+".b", NewTensor(Float32, n))
	attrs := Attrs{}
	if act != "" {
		attrs[AttrActivation] = StringAttr(act)
	}
	return p.Op(OpLinear, name, attrs, x, w, b)
}

func (p *presetBuilder) conv(x string, cin, cout, k, stride, pad int, act string, res string) string {
	name := p.name("conv")
	w := p.Const(name+".w", NewTensor(Float32, cout, cin, k, k))
	b := p.Const(name+".b", NewTensor(Float32, cout))
	pd, st := int64(pad), int64(stride)
	attrs := Attrs{"pads": IntsAttr(pd, pd, pd, pd), "strides": IntsAttr(st, st)}
	if act != "" {
		attrs[AttrActivation] = StringAttr(act)
	}
	in := []string{x, w, b}
	if res != "" {
		in = append(in, res)
	}
	return p.Op(OpFusedConv, name, attrs, in...)
}

func buildPreset(t *testing.T, preset string, batch int) *Graph {
	t.Helper()
	p := &presetBuilder{Builder: NewBuilder(preset)}
	var y string
	switch preset {
	case "linear":
		y = p.linear(p.Input("x", Float32, ShapeOf(batch, 10)), 10, 1, "")
	case "mlp":
		y = p.linear(p.Input("x", Float32, ShapeOf(batch, 784)), 784, 1024, "Relu")
		y = p.linear(p.linear(y, 1024, 1024, "Relu"), 1024, 10, "")
	case "lenet5":
		x := p.Input("x", Float32, ShapeOf(batch, 1, 28, 28))
		pool := Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2)}
		y = p.Op("MaxPool", "pool1", pool, p.conv(x, 1, 6, 5, 1, 0, "Relu", ""))
		y = p.Op("MaxPool", "pool2", pool, p.conv(y, 6, 16, 5, 1, 0, "Relu", ""))
		y = p.Op("Flatten", "flat", nil, y)
		y = p.linear(p.linear(p.linear(y, 256, 120, "Relu"), 120, 84, "Relu"), 84, 10, "")
	case "resnet":
		y = p.conv(p.Input("x", Float32, ShapeOf(batch, 3, 32, 32)), 3, 32, 3, 1, 1, "Relu", "")
		for _, c := range []int{32, 64} {
			if c == 64 {
				y = p.conv(y, 32, 64, 3, 2, 1, "Relu", "")
			}
			for range 2 {
				y = p.conv(p.conv(y, c, c, 3, 1, 1, "Relu", ""), c, c, 3, 1, 1, "Relu", y)
			}
		}
		y = p.linear(p.Op("Flatten", "flat", nil, p.Op("GlobalAveragePool", "gap", nil, y)), 64, 10, "")
	case "transformer":
		x := p.Input("x", Float32, ShapeOf(batch, 128, 256))
		norm := func(x string) string {
			name := p.name("ln")
			return p.Op("LayerNormalization", name, nil, x,
				p.Const(name+".s", NewTensor(Float32, 256)), p.Const(name+".b", NewTensor(Float32, 256)))
		}
		a := p.Op(OpAttention, "attn", Attrs{"num_heads": IntAttr(4)}, p.linear(norm(x), 256, 768, ""))
		proj := p.Const("proj.w", NewTensor(Float32, 256, 256))
		r := p.Op(OpLinear, "proj", nil, a, proj, p.Const("proj.b", NewTensor(Float32, 256)), x)
		h := p.linear(norm(r), 256, 1024, "Gelu")
		y = p.Op(OpLinear, "ffn2", nil, h, p.Const("ffn2.w", NewTensor(Float32, 256, 1024)), p.Const("ffn2.b", NewTensor(Float32, 256)), r)
	}
	p.Output(y)
	g, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := InferShapes(g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPresetFLOPsAndParameters(t *testing.T) {
	tests := []struct {
		preset string
		flops  int64 // per sample
		params int64
	}{
		{"linear", 2 * 10, 10 + 1},
		{"mlp", 2 * (784*1024 + 1024*1024 + 1024*10), 784*1024 + 1024 + 1024*1024 + 1024 + 1024*10 + 10},
		// conv1 6·24·24 outputs × 25 taps, conv2 16·8·8 × 6·25, then 256·120, 120·84, 84·10.
		{"lenet5", 2 * (6*24*24*25 + 16*8*8*150 + 256*120 + 120*84 + 84*10),
			(6*25 + 6) + (16*150 + 16) + (256*120 + 120) + (120*84 + 84) + (84*10 + 10)},
		// stem 32·32·32 × 27; four 32→32 at 32·32 × 288; 32→64 stride 2 at 16·16 × 288; four 64→64 × 576; 64·10.
		{"resnet", 2 * (32*1024*27 + 4*32*1024*288 + 64*256*288 + 4*64*256*576 + 64*10),
			(27*32 + 32) + 4*(288*32+32) + (288*64 + 64) + 4*(576*64+64) + (64*10 + 10)},
		// QKV 128·768 × 256, attention 2 × 2·4·128·128·64, projection 128·256 × 256, FFN 2 × 128·256·1024.
		{"transformer", 2*128*768*256 + 2*2*4*128*128*64 + 2*128*256*256 + 2*2*128*256*1024,
			2*512 + (256*768 + 768) + (256*256 + 256) + (256*1024 + 1024) + (1024*256 + 256)},
	}
	for _, tc := range tests {
		t.Run(tc.preset, func(t *testing.T) {
			g := buildPreset(t, tc.preset, 1)
			if got := g.FLOPs(); got != tc.flops {
				t.Errorf("FLOPs %d, want %d", got, tc.flops)
			}
			if got := g.ParamCount(); got != tc.params {
				t.Errorf("parameters %d, want %d", got, tc.params)
			}
			if got := buildPreset(t, tc.preset, 3).FLOPs(); got != 3*tc.flops {
				t.Errorf("FLOPs at batch 3: %d, want %d", got, 3*tc.flops)
			}
		})
	}
}

// TestHandCountsMatchTheQuotedFigures pins the per-sample figures the
// dashboard shows (mlp: 2·(802816 + 1048576 + 10240)).
func TestHandCountsMatchTheQuotedFigures(t *testing.T) {
	for preset, want := range map[string]int64{"linear": 20, "mlp": 3723264, "lenet5": 563280, "resnet": 162202880, "transformer": 218103808} {
		if got := buildPreset(t, preset, 1).FLOPs(); got != want {
			t.Errorf("%s: %d FLOPs, want %d", preset, got, want)
		}
	}
	for preset, want := range map[string]int64{"mlp": 1863690, "lenet5": 44426, "resnet": 204746, "transformer": 789760} {
		if got := buildPreset(t, preset, 1).ParamCount(); got != want {
			t.Errorf("%s: %d parameters, want %d", preset, got, want)
		}
	}
}

func TestNodeFLOPs(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		attrs Attrs
		in    []*Tensor
		want  int64
	}{
		{"gemm", "Gemm", nil, []*Tensor{NewTensor(Float32, 2, 3), NewTensor(Float32, 3, 4)}, 2 * 2 * 3 * 4},
		{"gemm transA", "Gemm", Attrs{"transA": IntAttr(1)}, []*Tensor{NewTensor(Float32, 3, 2), NewTensor(Float32, 3, 4)}, 2 * 2 * 3 * 4},
		{"batched matmul", "MatMul", nil, []*Tensor{NewTensor(Float32, 5, 2, 3), NewTensor(Float32, 3, 4)}, 2 * 5 * 2 * 3 * 4},
		{"depthwise conv", "Conv", Attrs{"group": IntAttr(8), "pads": IntsAttr(1, 1, 1, 1)},
			[]*Tensor{NewTensor(Float32, 1, 8, 4, 4), NewTensor(Float32, 8, 1, 3, 3)}, 2 * 8 * 16 * 9},
		{"elementwise", "Add", nil, []*Tensor{NewTensor(Float32, 4), NewTensor(Float32, 4)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := refGraph(0, tc.op, tc.attrs, 1, tc.in...)
			if err := InferShapes(g); err != nil {
				t.Fatal(err)
			}
			if got := NodeFLOPs(g, g.Nodes[0]); got != tc.want {
				t.Fatalf("%d FLOPs, want %d", got, tc.want)
			}
		})
	}
	g := refGraph(0, "MatMul", nil, 1, NewTensor(Float32, 2, 3), NewTensor(Float32, 3, 4))
	if got := NodeFLOPs(g, g.Nodes[0]); got != 0 {
		t.Fatalf("%d FLOPs before shapes are known, want 0", got)
	}
}

func TestParamCountSkipsScalarsIntegersAndUnread(t *testing.T) {
	b := NewBuilder("g")
	x := b.Input("x", Float32, ShapeOf(2, 3))
	y := b.Op("Mul", "m", nil, x, b.Const("w", NewTensor(Float32, 3)))
	y = b.Op("Mul", "s", nil, y, b.Const("scale", refF(nil, 2)))
	y = b.Op("Reshape", "r", nil, y, b.Const("shape", refI([]int{1}, 6)))
	b.Const("unused", NewTensor(Float32, 100))
	b.Output(y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := g.ParamCount(); got != 3 {
		t.Fatalf("%d parameters, want 3", got)
	}
}

func TestFootprint(t *testing.T) {
	g := buildPreset(t, "mlp", 2)
	f, err := g.Footprint()
	if err != nil {
		t.Fatal(err)
	}
	// At most the two hidden layers' outputs are alive at once (fc2 reads fc1's).
	want := Footprint{Constants: 4 * 1863690, Inputs: 4 * 2 * 784, Values: 4 * 2 * (1024 + 1024 + 10), Peak: 4 * 2 * (1024 + 1024)}
	if f != want || f.Total() != want.Constants+want.Inputs+want.Values {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	g.Values[g.Nodes[0].Outputs[0]].Shape = Shape{Sym("batch"), Fixed(1024)}
	if _, err := g.Footprint(); err == nil {
		t.Fatal("no error for an unknown shape")
	}
}
