package presets

import (
	"fmt"
	"math"
	"slices"
)

// OutShape returns the per-sample output shape of l applied to a per-sample input of shape in.
func (l Layer) OutShape(in []int) ([]int, error) {
	switch l.Kind {
	case Linear:
		if len(in) == 0 || in[len(in)-1] != l.In {
			return nil, fmt.Errorf("%s: linear expects last dimension %d, got shape %v", l.Name, l.In, in)
		}
		out := append([]int(nil), in...)
		out[len(out)-1] = l.Out
		return out, nil
	case Conv2D:
		if len(in) != 3 || in[0] != l.In {
			return nil, fmt.Errorf("%s: conv2d expects [%d H W], got %v", l.Name, l.In, in)
		}
		h := convOut(in[1], l.Kernel, l.Stride, l.Pad)
		w := convOut(in[2], l.Kernel, l.Stride, l.Pad)
		if h <= 0 || w <= 0 {
			return nil, fmt.Errorf("%s: conv2d input %v too small for kernel %d", l.Name, in, l.Kernel)
		}
		return []int{l.Out, h, w}, nil
	case ReLU, GELU:
		return append([]int(nil), in...), nil
	case MaxPool2:
		if len(in) != 3 || in[1] < 2 || in[2] < 2 {
			return nil, fmt.Errorf("%s: maxpool2 expects [C H W] with H, W ≥ 2, got %v", l.Name, in)
		}
		return []int{in[0], in[1] / 2, in[2] / 2}, nil
	case Flatten:
		return []int{prod(in)}, nil
	case GlobalAvgPool:
		if len(in) != 3 {
			return nil, fmt.Errorf("%s: global average pool expects [C H W], got %v", l.Name, in)
		}
		return []int{in[0]}, nil
	case LayerNorm:
		if len(in) == 0 || in[len(in)-1] != l.In {
			return nil, fmt.Errorf("%s: layer norm expects last dimension %d, got %v", l.Name, l.In, in)
		}
		return append([]int(nil), in...), nil
	case SelfAttention:
		if len(in) != 2 || in[1] != l.In || l.Heads <= 0 || l.In%l.Heads != 0 {
			return nil, fmt.Errorf("%s: attention expects [T %d] with %d heads dividing %d, got %v", l.Name, l.In, l.Heads, l.In, in)
		}
		return append([]int(nil), in...), nil
	case Residual:
		out := in
		for _, b := range l.Body {
			var err error
			if out, err = b.OutShape(out); err != nil {
				return nil, err
			}
		}
		if !slices.Equal(out, in) {
			return nil, fmt.Errorf("%s: residual body maps %v to %v", l.Name, in, out)
		}
		return append([]int(nil), in...), nil
	}
	return nil, fmt.Errorf("%s: unknown layer kind %v", l.Name, l.Kind)
}

func convOut(n, k, s, p int) int {
	if s <= 0 {
		s = 1
	}
	return (n+2*p-k)/s + 1
}

// FLOPs returns the layer's floating-point operations per sample for input shape in:
// 2 × the multiply-adds of linears, convolutions and attention matmuls; element-wise
// layers count 0, as in the usual convention.
func (l Layer) FLOPs(in []int) int64 {
	switch l.Kind {
	case Linear:
		rows := int64(prod(in) / l.In)
		return 2 * rows * int64(l.In) * int64(l.Out)
	case Conv2D:
		out, err := l.OutShape(in)
		if err != nil {
			return 0
		}
		return 2 * int64(l.In*l.Kernel*l.Kernel) * int64(prod(out))
	case SelfAttention:
		t, d := int64(in[0]), int64(l.In)
		proj := 2*t*d*3*d + 2*t*d*d
		scores := 2 * t * t * d // QKᵀ over all heads
		mix := 2 * t * t * d    // softmax(·)·V over all heads
		return proj + scores + mix
	case Residual:
		var f int64
		s := in
		for _, b := range l.Body {
			f += b.FLOPs(s)
			s, _ = b.OutShape(s)
		}
		return f
	}
	return 0
}

// Params returns the layer's learnable tensors in PyTorch's order and layout.
func (l Layer) Params() []Param {
	switch l.Kind {
	case Linear:
		b := bound(l.In)
		return []Param{
			{Name: l.Name + ".weight", Shape: []int{l.Out, l.In}, Init: Init{-b, b}},
			{Name: l.Name + ".bias", Shape: []int{l.Out}, Init: Init{-b, b}},
		}
	case Conv2D:
		b := bound(l.In * l.Kernel * l.Kernel)
		return []Param{
			{Name: l.Name + ".weight", Shape: []int{l.Out, l.In, l.Kernel, l.Kernel}, Init: Init{-b, b}},
			{Name: l.Name + ".bias", Shape: []int{l.Out}, Init: Init{-b, b}},
		}
	case LayerNorm:
		// Not PyTorch's (1, 0): random affine parameters make the engines' tests see them.
		return []Param{
			{Name: l.Name + ".weight", Shape: []int{l.In}, Init: Init{0.5, 1.5}},
			{Name: l.Name + ".bias", Shape: []int{l.In}, Init: Init{-0.1, 0.1}},
		}
	case SelfAttention:
		b := bound(l.In)
		return []Param{
			{Name: l.Name + ".in_proj_weight", Shape: []int{3 * l.In, l.In}, Init: Init{-b, b}},
			{Name: l.Name + ".in_proj_bias", Shape: []int{3 * l.In}, Init: Init{-b, b}},
			{Name: l.Name + ".out_proj.weight", Shape: []int{l.In, l.In}, Init: Init{-b, b}},
			{Name: l.Name + ".out_proj.bias", Shape: []int{l.In}, Init: Init{-b, b}},
		}
	case Residual:
		var ps []Param
		for _, b := range l.Body {
			ps = append(ps, b.Params()...)
		}
		return ps
	}
	return nil
}

// bound is PyTorch's default init bound 1/√fan_in (kaiming_uniform with a=√5 gives the same).
func bound(fanIn int) float32 { return float32(1 / math.Sqrt(float64(fanIn))) }
