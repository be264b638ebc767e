package cuda

import (
	"fmt"
	"strings"

	"infertop/engine"
)

// cudnnState is what the engine knows of cuDNN, for its detail line.
type cudnnState struct {
	env       string // INFERTOP_CUDNN's value
	loadErr   error  // why no library loaded; nil when one did
	version   string // the loaded library's version, e.g. "9.10.2"
	path      string // the file the loader opened
	handleWhy string // why the first device has no cuDNN handle; empty when it has one
}

// text says which cuDNN the engine uses, or why none: off by request, the
// reason of the library INFERTOP_CUDNN names, none found, or a library whose
// handle could not be made.
func (s cudnnState) text() string {
	switch {
	case s.loadErr != nil && s.env == "off":
		return "cuDNN off (" + CudnnEnv + "=off)"
	case s.loadErr != nil && s.env != "":
		// loadCudnn's error lists the candidates tried, one per line, the
		// library the variable names first.
		_, tried, _ := strings.Cut(s.loadErr.Error(), "\n")
		first, _, _ := strings.Cut(strings.TrimSpace(tried), "\n")
		return "no cuDNN (" + CudnnEnv + ": " + first + ")"
	case s.loadErr != nil:
		return "no cuDNN (none of libcudnn.so.9, .8 loads; " + CudnnEnv + " names one)"
	case s.handleWhy != "":
		return "cuDNN " + s.version + " unusable: " + s.handleWhy
	}
	return "cuDNN " + s.version + " from " + s.path
}

// planLine is the engine's plan line (engine.Info.Plan) for a prepared batch
// whose convolutions ConvSummary describes: the summary and how the ways were
// chosen (forced, timed, or no room to time them). Empty without
// convolutions.
func planLine(summary string, choice convChoice, times []convTiming, dnnSkipped string) string {
	if summary == "" {
		return ""
	}
	var how string
	switch {
	case !choice.auto:
		how = ConvEnv + "=" + choice.way.String()
	case times == nil:
		how = "no room for the im2col workspace"
	default:
		how = tunedHow(times)
		if dnnSkipped != "" {
			how += "; cuDNN not timed: " + dnnSkipped
		}
	}
	return summary + " (" + how + ")"
}

// precisionSupported refuses a precision a card of compute capability
// major.x has no tensor-core path for: TF32 and BF16 need Ampere (8.0)
// or later; FP16 runs on every card the PTX targets (7.0).
func precisionSupported(p engine.Precision, major int) error {
	if (p == engine.TF32 || p == engine.BF16) && major < 8 {
		return fmt.Errorf("--precision %s needs compute capability 8.0 (Ampere) or later, the card has %d.x (accepted here: fp32, fp16)", p, major)
	}
	return nil
}

// precisionText says how the products compute, for the detail line.
func precisionText(p engine.Precision) string {
	switch p {
	case engine.TF32:
		return "TF32 on (products may round their inputs to 10-bit mantissas)"
	case engine.FP16, engine.BF16:
		return fmt.Sprintf("%s products (cublasGemmEx: %s operands, float32 sums; im2col convolutions too, other ways float32)", p, p)
	}
	return "TF32 off"
}
