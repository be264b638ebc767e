package cuda

import (
	"fmt"
	"slices"

	"infertop/model"
)

// Split divides a batch over devices as PyTorch's DataParallel does: evenly,
// the first devices taking one extra sample each while a remainder is left.
// Devices past the batch size get 0 and sit the batch out.
func Split(batch, devices int) []int {
	if devices <= 0 {
		return nil
	}
	out := make([]int, devices)
	if batch <= 0 {
		return out
	}
	each, rest := batch/devices, batch%devices
	for i := range out {
		out[i] = each
		if i < rest {
			out[i]++
		}
	}
	return out
}

// Offsets returns where each device's share starts in the batch.
func Offsets(shares []int) []int {
	out := make([]int, len(shares))
	at := 0
	for i, s := range shares {
		out[i] = at
		at += s
	}
	return out
}

// signature returns the inputs and outputs of a batch whose shares the
// plans compute (nil for a device that sits the batch out): each plan's
// inputs and outputs with the batch as their first dimension, the whole
// batch's in the signature. It fails when a share's plan holds an input or
// output whose first dimension is not its share, since the batch could not
// be split along it.
func signature(plans []*Plan, shares []int, batch int) (in, out []model.TensorSpec, err error) {
	var first *Plan
	for i, p := range plans {
		if p == nil {
			continue
		}
		if first == nil {
			first = p
		}
		for _, l := range [][]IO{p.Inputs, p.Outputs} {
			for _, io := range l {
				if len(plans) > 1 && (len(io.Shape) == 0 || io.Shape[0] != shares[i]) {
					return nil, nil, fmt.Errorf("%s has shape %v at a share of %d samples: cuda:all splits the batch along the first dimension of every input and output",
						io.Name, io.Shape, shares[i])
				}
			}
		}
	}
	if first == nil {
		return nil, nil, fmt.Errorf("no device computes any of batch %d", batch)
	}
	spec := func(l []IO) []model.TensorSpec {
		s := make([]model.TensorSpec, len(l))
		for i, io := range l {
			s[i] = model.TensorSpec{Name: io.Name, DType: io.DType(), Shape: slices.Clone(io.Shape)}
			if len(plans) > 1 {
				s[i].Shape[0] = batch
			}
		}
		return s
	}
	return spec(first.Inputs), spec(first.Outputs), nil
}

// checkTensors checks the tensors passed to Run for one side (what:
// "input" or "output") against the prepared batch's signature. It
// allocates only to report an error.
func checkTensors(what string, ts []*model.Tensor, specs []model.TensorSpec) error {
	if len(ts) != len(specs) {
		if len(specs) != 1 {
			what += "s"
		}
		return fmt.Errorf("the prepared batch takes %d %s, got %d", len(specs), what, len(ts))
	}
	for i, t := range ts {
		s := specs[i]
		if t == nil || t.DType != s.DType || !slices.Equal(t.Shape, s.Shape) || t.Stored() != s.Elems() {
			got := "nothing"
			if t != nil {
				got = fmt.Sprintf("%s %v (%d values)", t.DType, t.Shape, t.Stored())
			}
			return fmt.Errorf("%s %q: got %s, the prepared batch takes %s %v", what, s.Name, got, s.DType, s.Shape)
		}
	}
	return nil
}
