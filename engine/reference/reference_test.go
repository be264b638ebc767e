package reference

import (
	"math"
	"testing"

	"infertop/presets"
)

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestLinearByHand(t *testing.T) {
	// x = [[1 2] [3 4]], W = [[1 0] [0 1] [1 1]], b = [0.5 -1 0]
	y := Linear([]float32{1, 2, 3, 4}, 2, 2, 3, []float32{1, 0, 0, 1, 1, 1}, []float32{0.5, -1, 0})
	near(t, "linear", y, []float64{1.5, 1, 3, 3.5, 3, 7})
}

func TestConv2DByHand(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9} // 1×1×3×3
	w := []float32{1, 2, 3, 4}                // 1×1×2×2
	y, oh, ow := Conv2D(x, 1, 1, 3, 3, w, []float32{0.5}, 1, 2, 1, 0)
	if oh != 2 || ow != 2 {
		t.Fatalf("output %d×%d, want 2×2", oh, ow)
	}
	// (0,0): 1·1+2·2+3·4+4·5 = 37, then +0.5.
	near(t, "conv valid", y, []float64{37.5, 47.5, 67.5, 77.5})

	// Stride 2, pad 1: windows start at (-1,-1), (-1,1), (1,-1), (1,1).
	y, oh, ow = Conv2D(x, 1, 1, 3, 3, w, []float32{0}, 1, 2, 2, 1)
	if oh != 2 || ow != 2 {
		t.Fatalf("padded output %d×%d, want 2×2", oh, ow)
	}
	near(t, "conv stride2 pad1", y, []float64{4 * 1, 3*2 + 4*3, 2*4 + 4*7, 1*5 + 2*6 + 3*8 + 4*9})

	// Two input channels, two output channels, two samples: channel sums.
	x2 := []float32{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4} // 2×2×2×2
	w2 := make([]float32, 2*2*2*2)
	for i := 0; i < 8; i++ {
		w2[i] = 1 // out 0 sums both channels
	}
	for i := 8; i < 12; i++ {
		w2[i] = -1 // out 1: −channel 0 + 0·channel 1
	}
	y, _, _ = Conv2D(x2, 2, 2, 2, 2, w2, []float32{0, 1}, 2, 2, 1, 0)
	near(t, "conv channels", y, []float64{12, -3, 28, -11})
}

func TestElementwiseByHand(t *testing.T) {
	near(t, "relu", ReLU([]float32{-1, 0, 2.5}), []float64{0, 0, 2.5})
	near(t, "gelu", GELU([]float32{-1, 0, 1, 3}), []float64{-0.15865525393145707, 0, 0.8413447460685429, 2.99595031})
	near(t, "add", Add([]float32{1, 2}, []float32{3, -4}), []float64{4, -2})
}

func TestPoolsByHand(t *testing.T) {
	x := []float32{ // 1×1×3×4: the last row is dropped by the floor
		1, 5, 2, 0,
		3, 4, 8, 7,
		9, 9, 9, 9,
	}
	near(t, "maxpool", MaxPool2(x, 1, 1, 3, 4), []float64{5, 8})
	near(t, "gap", GlobalAvgPool([]float32{1, 2, 3, 6, -1, -1, -1, -1}, 1, 2, 2, 2), []float64{3, -1})
}

func TestLayerNormByHand(t *testing.T) {
	// mean 2.5, biased variance 1.25.
	inv := 1 / math.Sqrt(1.25+1e-5)
	y := LayerNorm([]float32{1, 2, 3, 4}, 1, 4, []float32{1, 1, 2, 2}, []float32{0, 0, 0, 1})
	near(t, "layernorm", y, []float64{-1.5 * inv, -0.5 * inv, 2 * 0.5 * inv, 2*1.5*inv + 1})
}

func TestAttentionOneHeadTwoTokensByHand(t *testing.T) {
	// d = 2, one head: q = k = x (identity rows), v = x·[[1 2] [3 4]]ᵀ.
	x := []float32{1, 0, 0, 1} // token 0 = [1 0], token 1 = [0 1]
	inW := []float32{
		1, 0, 0, 1, // q
		1, 0, 0, 1, // k
		1, 2, 3, 4, // v
	}
	inB := make([]float32, 6)
	outW := []float32{1, 0, 0, 1}
	outB := []float32{0, 10}
	// v0 = [1 3], v1 = [2 4]; scores = x·xᵀ/√2 = [[a 0] [0 a]] with a = 1/√2.
	a := 1 / math.Sqrt2
	p := math.Exp(a) / (math.Exp(a) + 1) // weight on the token itself
	want := []float64{
		p*1 + (1-p)*2, p*3 + (1-p)*4 + 10,
		(1-p)*1 + p*2, (1-p)*3 + p*4 + 10,
	}
	near(t, "attention", SelfAttention(x, 1, 2, 2, 1, inW, inB, outW, outB), want)

	// Two heads of width 1 on d = 2: each head sees one coordinate, scale 1.
	x = []float32{0, 1, 1, 0}
	inW = []float32{1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}
	// Head 0 sees coordinate 0 (values 0, 1 over the tokens), head 1 coordinate 1 (values 1, 0).
	// Token 0: head 0 has q = 0, scores [0 0] → mean 0.5; head 1 has q = 1, scores [1 0] → e/(1+e).
	// Token 1: head 0 has q = 1, scores [0 1] → e/(1+e); head 1 has q = 0 → 0.5.
	s := math.E / (1 + math.E)
	h0t0, h1t0, h0t1, h1t1 := 0.5, s, s, 0.5
	want = []float64{h0t0, h1t0 + 10, h0t1, h1t1 + 10}
	near(t, "attention 2 heads", SelfAttention(x, 1, 2, 2, 2, inW, inB, outW, outB), want)
}

func TestSoftmaxRowsSumToOne(t *testing.T) {
	y := Softmax([]float32{1000, 1000, -1000, 0, 0, math.Float32frombits(0xff800000)}, 2, 3)
	near(t, "softmax", y, []float64{0.5, 0.5, 0, 0.5, 0.5, 0})
}

func TestForwardResidualAndShapes(t *testing.T) {
	p := &presets.Preset{
		Name:  "tiny",
		Input: []int{1, 2, 2},
		Layers: []presets.Layer{
			{Kind: presets.Residual, Name: "res", Body: []presets.Layer{{Kind: presets.ReLU, Name: "res.relu"}}},
			{Kind: presets.Flatten, Name: "flat"},
			{Kind: presets.Linear, Name: "fc", In: 4, Out: 1},
		},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	w := presets.Weights{"fc.weight": {1, 1, 1, 1}, "fc.bias": {0.25}}
	in := []float32{-1, 2, 3, -4, 1, 1, 1, 1}
	// x + relu(x) = [-1 4 6 -4] → 5.25; [2 2 2 2] → 8.25
	near(t, "forward", Forward(p, w, in, 2), []float64{5.25, 8.25})
	if in[0] != -1 || in[1] != 2 {
		t.Error("Forward modified its input")
	}
}

func TestForwardEveryPreset(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		w := p.Weights(presets.DefaultSeed)
		in := make([]float32, 2*p.InputSize())
		p.FillInput(in, 1)
		out := Forward(p, w, in, 2)
		if len(out) != 2*p.OutputSize() {
			t.Fatalf("%s: %d outputs, want %d", p.Name, len(out), 2*p.OutputSize())
		}
		for i, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: output %d is %v", p.Name, i, v)
			}
		}
		// Samples are independent: sample 1 alone gives the same answer.
		one := Forward(p, w, in[p.InputSize():], 1)
		if e := RelErr(one, out[p.OutputSize():]); e != 0 {
			t.Errorf("%s: batch 1 differs from batch 2's second sample by %g", p.Name, e)
		}
	}
}

func TestRelErr(t *testing.T) {
	if e := RelErr([]float32{1, 2.5}, []float32{1, 2}); math.Abs(e-0.25) > 1e-12 {
		t.Errorf("RelErr = %v, want 0.25", e)
	}
	if e := RelErr([]float32{0}, []float32{0}); e != 0 {
		t.Errorf("RelErr of zeros = %v", e)
	}
	if e := RelErr([]float32{float32(math.NaN())}, []float32{1}); !math.IsInf(e, 1) {
		t.Errorf("NaN gave %v", e)
	}
}
