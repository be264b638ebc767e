package cuda

import (
	"fmt"
	"strings"
	"time"

	"infertop/engine"
	"infertop/model"
)

// The step profile's device-neutral part: what each profiled step is, and
// how the times of the events recorded between steps become step times.

// Profile is what the engine's step profile (engine.StepProfiler) shows of
// a plan: one step per graph node that has plan steps (a node that only
// renames memory, such as Reshape, runs nothing and is no step), in the
// order they run, and where each begins among the plan's steps.
type Profile struct {
	// Steps describe the profiled steps.
	Steps []engine.Step
	// Marks are plan step indices, one more than Steps: profiled step i
	// covers plan steps [Marks[i], Marks[i+1]). An event is recorded on the
	// stream before plan step Marks[i] and one after the last plan step.
	Marks []int
}

// Describe makes the profile of plan, built from compiled graph g: each
// node's name, op, the nodes as loaded it covers, its analytic FLOPs and
// bytes, and how it runs. algos holds the cuDNN algorithm of each plan
// step that is a cuDNN convolution, by plan step index (nil, or a negative
// entry, when it is not known: cuDNN picks it on the device).
func Describe(g *model.Graph, plan *Plan, algos []int) Profile {
	nodes := make(map[string]*model.Node, len(g.Nodes))
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	var p Profile
	for _, ns := range plan.Nodes {
		if ns.Hi == ns.Lo {
			continue
		}
		s := engine.Step{Name: ns.Name, Op: ns.Op, Covers: ns.Covers, Way: wayOf(plan.Steps[ns.Lo:ns.Hi], ns.Lo, algos)}
		if n := nodes[ns.Name]; n != nil {
			s.FLOPs = model.NodeFLOPs(g, n)
			s.Bytes = nodeBytes(g, n)
		}
		p.Steps = append(p.Steps, s)
		p.Marks = append(p.Marks, ns.Lo)
	}
	if len(p.Steps) > 0 {
		p.Marks = append(p.Marks, len(plan.Steps))
	}
	return p
}

// nodeBytes is what a node reads and writes: each input, weights included,
// and each output, once.
func nodeBytes(g *model.Graph, n *model.Node) int64 {
	var b int64
	for _, names := range [][]string{n.Inputs, n.Outputs} {
		for _, name := range names {
			if v := g.Values[name]; name != "" && v != nil && v.Shape.Known() {
				b += int64(v.Shape.Elems()) * int64(v.DType.Size())
			}
		}
	}
	return b
}

// wayOf says how a node's plan steps run, each kind once in the order it
// first runs, with a count where it runs more than once: "im2col kernel +
// cuBLAS sgemm ×32 (strided-batched) + bias and activation kernel".
func wayOf(steps []Step, lo int, algos []int) string {
	var parts []string
	count := map[string]int{}
	for i := range steps {
		w := stepWay(&steps[i], lo+i, algos)
		if count[w] == 0 {
			parts = append(parts, w)
		}
		count[w]++
	}
	for i, w := range parts {
		if n := count[w]; n > 1 {
			parts[i] = fmt.Sprintf("%s ×%d", w, n)
		}
	}
	return strings.Join(parts, " + ")
}

// stepWay names what one plan step runs.
func stepWay(s *Step, at int, algos []int) string {
	switch {
	case s.Gemm != nil:
		call := "sgemm"
		if s.Gemm.In != ElemF32 {
			call = "GemmEx " + s.Gemm.In.String()
		}
		if s.Gemm.Batch > 1 {
			return fmt.Sprintf("cuBLAS strided-batched %s (%d products)", call, s.Gemm.Batch)
		}
		return "cuBLAS " + call
	case s.Conv != nil:
		conv := "cuDNN conv"
		if s.Conv.Type != ElemF32 {
			conv += " " + s.Conv.Type.String()
		}
		if at < len(algos) && algos[at] >= 0 {
			return conv + " (" + DnnAlgoName(algos[at]) + ")"
		}
		return conv
	}
	switch k := s.Launch.Kernel; k {
	case KConvM32, KConvM64:
		return "implicit-GEMM kernel (" + strings.TrimPrefix(k, "infertop_conv_") + ")"
	case KIm2col:
		return "im2col kernel"
	case KIm2colHalf:
		return "im2col kernel (half columns)"
	case KBiasAct, KBiasActPlanes:
		return "bias and activation kernel"
	case KBiasHalf:
		return "bias and activation kernel (half input)"
	case KResidualAdd:
		return "residual add kernel"
	case KLayerNorm:
		return "layer norm kernel"
	case KSoftmax:
		return "softmax kernel"
	case KMaxPool2:
		return "max pool kernel"
	case KPool:
		return "pool kernel"
	case KConvDirect:
		return "direct convolution kernel"
	case KBinary:
		return "element-wise kernel"
	case KCopyRows:
		return "copy kernel"
	case KToHalf:
		return "to-half kernel"
	case KCastI64:
		return "int64 cast kernel"
	case KGatherRows:
		return "embedding gather kernel"
	case KAvgPool:
		return "average pool kernel"
	default:
		return strings.TrimPrefix(k, "infertop_") + " kernel"
	}
}

// DnnAlgoName is a cudnnConvolutionFwdAlgo_t's name without its
// CUDNN_CONVOLUTION_FWD_ALGO_ prefix, as cudnn.h enumerates them.
func DnnAlgoName(algo int) string {
	names := [...]string{"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"}
	if algo >= 0 && algo < len(names) {
		return names[algo]
	}
	return fmt.Sprintf("algorithm %d", algo)
}

// stepIssuer is what issueMarked drives: a stream on which events are
// recorded and plan steps issued, in order.
type stepIssuer interface {
	// recordMark records profile event i on the stream.
	recordMark(i int) error
	// issueStep issues plan step i on the stream.
	issueStep(i int) error
}

// issueMarked issues plan steps [0, n) with an event recorded before each
// profiled step's first plan step and one after the last (marks as in
// Profile.Marks; none without marks), so that the time between events i
// and i+1 is profiled step i's.
func issueMarked(s stepIssuer, n int, marks []int) error {
	k := 0
	for i := range n {
		for k < len(marks) && marks[k] == i {
			if err := s.recordMark(k); err != nil {
				return err
			}
			k++
		}
		if err := s.issueStep(i); err != nil {
			return err
		}
	}
	for ; k < len(marks); k++ {
		if err := s.recordMark(k); err != nil {
			return err
		}
	}
	return nil
}

// eventClock is what readStepTimes reads: the milliseconds between two
// events of a finished batch (cuEventElapsedTime).
type eventClock interface {
	elapsedMS(from, to int) (float64, error)
}

// readStepTimes sets times[i] to the time between events i and i+1, one
// step's time: len(times)+1 events. An event clock has a resolution of
// about half a microsecond, so a step shorter than that may read 0.
func readStepTimes(c eventClock, times []time.Duration) error {
	for i := range times {
		ms, err := c.elapsedMS(i, i+1)
		if err != nil {
			return err
		}
		times[i] = max(msDur(ms), 0)
	}
	return nil
}

// msDur turns milliseconds into a duration.
func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
