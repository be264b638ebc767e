package cuda

import (
	"errors"
	"testing"

	"infertop/engine"
)

func TestCudnnText(t *testing.T) {
	tried := errors.New("no usable cuDNN (set INFERTOP_CUDNN to a libcudnn.so.N); tried:\n" +
		"  /x/libcudnn.so.9: cannot open shared object file: No such file or directory\n" +
		"  libcudnn.so.9: cannot open shared object file: No such file or directory")
	for _, c := range []struct {
		st   cudnnState
		want string
	}{
		{cudnnState{env: "off", loadErr: errors.New("INFERTOP_CUDNN=off")}, "cuDNN off (INFERTOP_CUDNN=off)"},
		{cudnnState{env: "/x/libcudnn.so.9", loadErr: tried},
			"no cuDNN (INFERTOP_CUDNN: /x/libcudnn.so.9: cannot open shared object file: No such file or directory)"},
		{cudnnState{loadErr: tried}, "no cuDNN (none of libcudnn.so.9, .8 loads; INFERTOP_CUDNN names one)"},
		{cudnnState{version: "9.10.2", path: "/v/libcudnn.so.9", handleWhy: "cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (status 1001) (/v/libcudnn.so.9)"},
			"cuDNN 9.10.2 unusable: cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (status 1001) (/v/libcudnn.so.9)"},
		{cudnnState{version: "9.10.2", path: "/v/libcudnn.so.9"}, "cuDNN 9.10.2 from /v/libcudnn.so.9"},
	} {
		if got := c.st.text(); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.st, got, c.want)
		}
	}
}

func TestPlanLine(t *testing.T) {
	timed := []convTiming{{Layer: "a"}}
	bad := convTiming{Layer: "b"}
	bad.Tried[ConvIm2col], bad.Tried[ConvImplicit], bad.Diff[ConvImplicit] = true, true, 0.5
	for _, c := range []struct {
		summary string
		choice  convChoice
		times   []convTiming
		skipped string
		want    string
	}{
		{"", convChoice{auto: true}, timed, "", ""},
		{"conv 10 cudnn", convChoice{way: ConvCudnn}, nil, "", "conv 10 cudnn (INFERTOP_CUDA_CONV=cudnn)"},
		{"conv 10 implicit", convChoice{auto: true}, nil, "", "conv 10 implicit (no room for the im2col workspace)"},
		{"conv 8 cudnn, 2 implicit", convChoice{auto: true}, timed, "", "conv 8 cudnn, 2 implicit (timed at this batch)"},
		{"conv 9 implicit, 1 im2col", convChoice{auto: true}, []convTiming{bad}, "cuda:0: node down: cuDNN: …",
			"conv 9 implicit, 1 im2col (timed at this batch; the implicit kernel disagreed with im2col on b by 0.5 and was not used there; cuDNN not timed: cuda:0: node down: cuDNN: …)"},
	} {
		if got := planLine(c.summary, c.choice, c.times, c.skipped); got != c.want {
			t.Errorf("planLine(%q, %+v, …):\n got %q\nwant %q", c.summary, c.choice, got, c.want)
		}
	}
}

func TestPrecisionSupported(t *testing.T) {
	if err := precisionSupported(engine.BF16, 7); err == nil || err.Error() != "--precision bf16 needs compute capability 8.0 (Ampere) or later, the card has 7.x (accepted here: fp32, fp16)" {
		t.Errorf("bf16 on Volta: %v", err)
	}
	for _, p := range []engine.Precision{engine.FP32, engine.TF32, engine.FP16, engine.BF16} {
		if err := precisionSupported(p, 9); err != nil {
			t.Errorf("%s on Hopper: %v", p, err)
		}
	}
	if precisionSupported(engine.FP16, 7) != nil || precisionSupported(engine.TF32, 7) == nil {
		t.Error("fp16 refused or tf32 accepted on Volta")
	}
}
