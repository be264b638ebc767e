package model

import (
	"fmt"
	"math"
)

// FuseConvBatchNorm folds an inference-form BatchNormalization into the
// convolution before it, as onnxruntime's conv_bn_fusion does:
//
//	BatchNormalization(Conv(X, W, B), scale, bias, mean, var)
//	  → Conv(X, W·s, (B − mean)·s + bias)   with s = scale / √(var + epsilon), per output channel
//
// It matches when the Conv's weight and bias (or no bias) are constants, its
// output is read by the BatchNormalization alone and is not a graph output,
// the four parameters are float32 constants of one value per output channel,
// the BatchNormalization is in inference form (training_mode 0, spatial 1,
// only its first output read) and the Conv has no epilogue yet.
var FuseConvBatchNorm = fusion("fuse-conv-bn",
	"BatchNormalization after a Conv → folded into the Conv's weights and bias",
	fuseConvBN)

func fuseConvBN(ix *index, bn *Node) bool {
	g := ix.g
	if bn.Op != "BatchNormalization" || len(bn.Inputs) != 5 || bn.Attrs.Int("training_mode", 0) != 0 ||
		bn.Attrs.Int("spatial", 1) != 1 {
		return false
	}
	for _, o := range bn.Outputs[1:] {
		if o != "" && (len(ix.cons[o]) > 0 || g.IsOutput(o)) {
			return false
		}
	}
	conv := ix.from(bn.Input(0), "Conv", OpFusedConv)
	if conv == nil || !ix.private(bn.Input(0)) || ActivationOf(conv).Op != "" || conv.Input(3) != "" {
		return false
	}
	w, b := g.Const(conv.Input(1)), g.Const(conv.Input(2))
	if w == nil || w.DType != Float32 || len(w.Shape) < 3 || (conv.Input(2) != "" && (b == nil || b.DType != Float32)) {
		return false
	}
	cout := w.Shape[0]
	var params [4]*Tensor
	for i := range params {
		t := g.Const(bn.Input(i + 1))
		if t == nil || t.DType != Float32 || len(t.Shape) != 1 || t.Shape[0] != cout {
			return false
		}
		params[i] = t
	}
	if b != nil && b.Len() != cout {
		return false
	}
	scale, shift, mean, variance := params[0], params[1], params[2], params[3]
	eps := float64(bn.Attrs.Float("epsilon", 1e-5))
	folded := g.derive(fmt.Sprintf("conv-bn\x00%v", eps), []*Tensor{w, b, scale, shift, mean, variance}, func() []*Tensor {
		nw := NewTensor(Float32, w.Shape...)
		nb := NewTensor(Float32, cout)
		per := w.Len() / cout
		for c := 0; c < cout; c++ {
			s := float64(scale.F32[c]) / math.Sqrt(float64(variance.F32[c])+eps)
			for i := c * per; i < (c+1)*per; i++ {
				nw.F32[i] = float32(float64(w.F32[i]) * s)
			}
			bias := 0.0
			if b != nil {
				bias = float64(b.F32[c])
			}
			nb.F32[c] = float32((bias-float64(mean.F32[c]))*s + float64(shift.F32[c]))
		}
		return []*Tensor{nw, nb}
	})
	nw, nb := folded[0], folded[1]
	fused := conv.Clone()
	for len(fused.Inputs) < 3 {
		fused.Inputs = append(fused.Inputs, "")
	}
	fused.Inputs[1] = addConst(g, conv.Name+"/weight", nw)
	fused.Inputs[2] = addConst(g, conv.Name+"/bias", nb)
	fused.Outputs = []string{bn.Outputs[0]}
	fused.Covers = coverAll(conv, bn)
	replace(g, []*Node{conv, bn}, fused)
	return true
}
