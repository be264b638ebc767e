package cpu

import (
	"fmt"

	"infertop/engine"
)

// isa is an instruction set the packed product kernel (denseRows) is built
// for; the numbers are the C kernel's IK_ISA_ codes.
type isa int32

const (
	// isaNone: no packed kernel (a build without cgo, or a compute made
	// without one).
	isaNone isa = iota
	// isaBaseline: the AVX2 source built for the baseline instruction set,
	// which the loader picks on a CPU without AVX2 (IK_CLONES).
	isaBaseline
	isaAVX2
	isaAVX512
)

func (s isa) String() string {
	switch s {
	case isaBaseline:
		return "baseline"
	case isaAVX2:
		return "avx2"
	case isaAVX512:
		return "avx512"
	}
	return "none"
}

// chooseISA is the instruction set of the packed kernel: the best the CPU
// has (best), or AVX2 when env (engine.CPUISAEnv's value) asks for it and
// the CPU has it. (The baseline build cannot be forced: the loader picks
// the AVX2 build wherever the CPU runs it.)
func chooseISA(env string, best isa) (isa, error) {
	want := best
	switch env {
	case "", "auto":
		return best, nil
	case "avx512":
		want = isaAVX512
	case "avx2":
		want = isaAVX2
	default:
		return isaNone, fmt.Errorf("%s=%q: want auto, avx512 or avx2", engine.CPUISAEnv, env)
	}
	if best == isaNone {
		return isaNone, fmt.Errorf("%s=%s: this build has no packed kernel (it needs cgo)", engine.CPUISAEnv, env)
	}
	if want > best {
		return isaNone, fmt.Errorf("%s=%s: this CPU runs at most %s", engine.CPUISAEnv, env, best)
	}
	return want, nil
}

// denseLanes is the width of a panel of packed weights: output features
// packed together, input by input.
const denseLanes = 16

// denseXFloats bounds the floats of x rows one pass over the panels reads
// (128 KiB), so that they stay in the core's L2 cache while the panels stream
// past them.
const denseXFloats = 1 << 15

// densePanels is how many panels n output features take.
func densePanels(n int) int { return (n + denseLanes - 1) / denseLanes }

// denseGroup is how many rows of k inputs share one pass over the panels:
// all of them, unless they would not stay in cache (then a multiple of 16).
func denseGroup(rows, k int) int {
	return min(rows, max(denseXFloats/max(k, 1)/16*16, 16))
}

// packDense packs W [n, k] (PyTorch's layout) into panels of denseLanes
// features: panel p holds w[kk·16 + j] = W[16p + j][kk], zero past n.
func packDense(dst, w []float32, n, k int) {
	clear(dst[:densePanels(n)*denseLanes*k])
	for f := range n {
		p := dst[f/denseLanes*denseLanes*k+f%denseLanes:]
		row := w[f*k : (f+1)*k]
		for kk, v := range row {
			p[kk*denseLanes] = v
		}
	}
}

// wideWidth is the panel width of the wide kernel (wideRows) for n output
// features with instruction set s: up to four 16-float vectors with
// AVX-512, so that each input's broadcast feeds up to four multiply-adds,
// and one panel of 16 (two vectors) with AVX2's 16 registers.
func wideWidth(s isa, n int) int {
	if s == isaAVX512 {
		return min(64, roundUp(n, denseLanes))
	}
	return denseLanes
}

// widePanels is how many panels n features take in packWide's layout.
func widePanels(s isa, n int) int { return (n + wideWidth(s, n) - 1) / wideWidth(s, n) }

// wideFloats is the size of n features' weights packed by packWide.
func wideFloats(s isa, n, k int) int { return roundUp(n, denseLanes) * k }

// packWide packs W [n, k] (PyTorch's layout) into panels of wideWidth(s, n)
// features, the last one roundUp(what is left, 16) wide: the panel at
// feature c0 of width pw holds dst[c0·k + kk·pw + j] = W[c0 + j][kk], zero
// past n.
func packWide(dst []float32, s isa, w []float32, n, k int) {
	width := wideWidth(s, n)
	clear(dst[:wideFloats(s, n, k)])
	for c0 := 0; c0 < n; c0 += width {
		nc := min(width, n-c0)
		pw := roundUp(nc, denseLanes)
		p := dst[c0*k:]
		for j := range nc {
			row := w[(c0+j)*k : (c0+j+1)*k]
			for kk, v := range row {
				p[kk*pw+j] = v
			}
		}
	}
}
