package session

import (
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
)

// inspect --plan cuda works the CUDA plan out without a GPU: resnet's ten
// convolutions the im2col way (im2col, a strided-batched sgemm, bias and
// activation, plus the residual add of four), the pool and the classifier;
// the device memory adds up by role.
func TestInspectCUDAPlan(t *testing.T) {
	ins, err := InspectWithPlan("resnet", nil, 256, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	p := ins.GPUPlan
	if p == nil || len(p.Unsupported) != 0 {
		t.Fatalf("plan %+v", p)
	}
	if p.Launches != 10*2+4+1+1 || p.Gemms != 11 || p.Convs != 0 || len(p.Nodes) != 13 {
		t.Errorf("%d launches, %d cuBLAS calls, %d cuDNN calls, %d nodes; want 26, 11, 0, 13", p.Launches, p.Gemms, p.Convs, len(p.Nodes))
	}
	if got := p.WeightBytes + p.InputBytes + p.ActivationBytes + p.WorkspaceBytes; got != p.PeakBytes {
		t.Errorf("peak %d != the roles' sum %d", p.PeakBytes, got)
	}
	if p.InputBytes != 4*256*3*32*32 {
		t.Errorf("input bytes %d; want 256×3×32×32 floats", p.InputBytes)
	}
	if p.WeightBytes < 4*ins.Params.Count {
		t.Errorf("weights %d bytes, below the %d parameters' 4 bytes each", p.WeightBytes, ins.Params.Count)
	}
	if p.ActivationBytes > p.UnsharedBytes {
		t.Errorf("activations %d above their unshared size %d", p.ActivationBytes, p.UnsharedBytes)
	}
	stem := p.Nodes[0]
	if stem.Way != "im2col" || len(stem.Steps) != 3 || !strings.HasPrefix(stem.Steps[1], "cublasSgemmStridedBatched 1024×32×27 ×256") {
		t.Errorf("stem %+v", stem)
	}
	if !strings.Contains(p.Note, "(10 im2col)") {
		t.Errorf("note %q", p.Note)
	}
}

// In fp16 each convolution's im2col writes its columns in half precision
// (no launch more than in float32) and the classifier's input takes one
// conversion; the products are cublasGemmEx calls, and their weights take
// half the bytes (the biases stay float32).
func TestInspectCUDAPlanFP16(t *testing.T) {
	f32, err := InspectWithPlan("resnet", nil, 8, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := InspectWithPlan("resnet", nil, 8, engine.FP16)
	if err != nil {
		t.Fatal(err)
	}
	p, q := ins.GPUPlan, f32.GPUPlan
	if p.Precision != "fp16" || q.Precision != "fp32" {
		t.Errorf("precisions %q and %q", p.Precision, q.Precision)
	}
	if p.Launches != q.Launches+1 || p.Gemms != 11 {
		t.Errorf("%d launches and %d cuBLAS calls; want float32's %d and the classifier's conversion, 11", p.Launches, p.Gemms, q.Launches)
	}
	stem := p.Nodes[0]
	want := []string{"infertop_im2col_half<<<", "cublasGemmStridedBatchedEx f16 1024×32×27 ×8", "infertop_bias_act_planes<<<"}
	if len(stem.Steps) != len(want) {
		t.Fatalf("stem %q", stem.Steps)
	}
	for i, w := range want {
		if !strings.HasPrefix(stem.Steps[i], w) {
			t.Errorf("stem step %d %q, want %q…", i, stem.Steps[i], w)
		}
	}
	biases := 4 * (32*5 + 64*5 + 10) // every convolution's and the classifier's
	if halfW := (q.WeightBytes-int64(biases))/2 + int64(biases); p.WeightBytes != halfW {
		t.Errorf("fp16 weights %d bytes; want %d (float32's %d with the products' weights halved)", p.WeightBytes, halfW, q.WeightBytes)
	}
}

// A graph the CUDA engine has no plan for is described with the list.
func TestInspectCUDAPlanRefuses(t *testing.T) {
	b := model.NewBuilder("wide")
	dims := func(d ...int) model.Shape {
		s := model.Shape{}
		for _, v := range d {
			s = append(s, model.Fixed(v))
		}
		return s
	}
	x := b.Input("x", model.Float32, dims(2, 1, 2, 1, 2, 1, 2))
	c := b.Const("c", model.Floats([]int{1, 2, 1, 2, 1, 2, 1}, make([]float32, 8)))
	b.Output(b.Op("Mul", "wide", nil, x, c))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := model.Compile(g, model.Binding{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := gpuPlan(compiled, 2, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || len(p.Unsupported) != 1 || len(p.Nodes) != 0 {
		t.Fatalf("plan %+v", p)
	}
	if got := p.Unsupported[0].String(); !strings.Contains(got, `Mul (opset 0) ×1, first "wide": broadcasting over 6 axes that do not merge (at most 5 after the first) has no CUDA plan yet`) {
		t.Errorf("refusal %q", got)
	}
}

// BERT's token ids and mask stay int64 on the device: the embedding is one
// gather, the mask one cast, and the inputs take 8 bytes a value.
func TestInspectCUDAPlanBERT(t *testing.T) {
	ins, err := InspectWithPlan("../testdata/models/bert_tiny.onnx", map[string]int{"seq": 16}, 2, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	p := ins.GPUPlan
	if p == nil || len(p.Unsupported) != 0 {
		t.Fatalf("plan %+v", p)
	}
	steps := map[string]string{}
	for _, n := range p.Nodes {
		steps[n.Name] = strings.Join(n.Steps, "; ")
	}
	if !strings.HasPrefix(steps["/word/Gather"], "infertop_gather_rows<<<") || !strings.HasPrefix(steps["/Cast"], "infertop_cast_i64<<<") || steps["/Unsqueeze_1"] != "" {
		t.Errorf("gather %q, cast %q, unsqueeze %q", steps["/word/Gather"], steps["/Cast"], steps["/Unsqueeze_1"])
	}
	if p.InputBytes != 2*2*16*8 {
		t.Errorf("inputs %d bytes, want two int64 [2, 16]", p.InputBytes)
	}
}
