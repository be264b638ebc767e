package cpu

import (
	"gorgonia.org/tensor"

	"infertop/presets"
)

// weightsFor returns the preset's weights in the layouts the ops read:
// linear and attention weights as PyTorch stores them ([out, in], which
// sgemm reads transposed without a copy), convolution weights reordered once
// from [out, c, k, k] to [out, k, k, c] to match NHWC im2col rows.
func weightsFor(p *presets.Preset, seed uint64) (map[string]*tensor.Dense, int64) {
	w := p.Weights(seed)
	out := map[string]*tensor.Dense{}
	var bytes int64
	var walk func(ls []presets.Layer)
	walk = func(ls []presets.Layer) {
		for _, l := range ls {
			if l.Kind == presets.Residual {
				walk(l.Body)
				continue
			}
			for _, q := range l.Params() {
				v := w[q.Name]
				shape := q.Shape
				if l.Kind == presets.Conv2D && q.Name == l.Name+".weight" {
					v = convWeightsNHWC(v, l.Out, l.In, l.Kernel)
					shape = []int{l.Out, l.Kernel * l.Kernel * l.In}
				}
				out[q.Name] = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
				bytes += 4 * int64(len(v))
			}
		}
	}
	walk(p.Layers)
	return out, bytes
}

// convWeightsNHWC reorders [o, c, ki, kj] to [o, ki, kj, c].
func convWeightsNHWC(w []float32, o, c, k int) []float32 {
	r := make([]float32, len(w))
	for a := 0; a < o; a++ {
		for ci := 0; ci < c; ci++ {
			for ki := 0; ki < k; ki++ {
				for kj := 0; kj < k; kj++ {
					r[((a*k+ki)*k+kj)*c+ci] = w[((a*c+ci)*k+ki)*k+kj]
				}
			}
		}
	}
	return r
}
