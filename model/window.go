package model

import "fmt"

// window is the geometry of a convolution's or a pool's sliding window over
// one to three spatial axes. It always holds three axes: with fewer spatial
// axes the leading ones have size 1 and a window of 1, so one loop nest
// computes 1-, 2- and 3-D windows.
type window struct {
	// nsp is the number of spatial axes of the input.
	nsp int
	// in, k and out are the input, kernel and output sizes (-1: unknown input).
	in, k, out [3]int
	// stride, dil, padB and padE are the strides, dilations and the padding
	// before and after, explicit whatever auto_pad said.
	stride, dil, padB, padE [3]int
}

// windowOf reads kernel sizes k and the attributes strides, dilations, pads,
// auto_pad and (for pools) ceil_mode, for input spatial sizes in (-1 where
// unknown). It resolves auto_pad into explicit pads.
func windowOf(a Attrs, in, k []int, pool bool) (window, error) {
	var w window
	ns := len(in)
	if ns < 1 || ns > 3 {
		return w, fmt.Errorf("computes 1-, 2- and 3-D windows; the input has %d spatial axes", ns)
	}
	if len(k) != ns {
		return w, fmt.Errorf("the kernel has %d spatial axes, the input %d", len(k), ns)
	}
	w.nsp = ns
	for i := range 3 {
		w.in[i], w.k[i], w.out[i], w.stride[i], w.dil[i] = 1, 1, 1, 1, 1
	}
	off := 3 - ns
	strides, hasS := a.Ints("strides")
	dils, hasD := a.Ints("dilations")
	pads, hasP := a.Ints("pads")
	switch {
	case hasS && len(strides) != ns:
		return w, fmt.Errorf("strides %v has %d entries for %d spatial axes (needs %d)", strides, len(strides), ns, ns)
	case hasD && len(dils) != ns:
		return w, fmt.Errorf("dilations %v has %d entries for %d spatial axes (needs %d)", dils, len(dils), ns, ns)
	case hasP && len(pads) != 2*ns:
		return w, fmt.Errorf("pads %v has %d entries for %d spatial axes (needs %d)", pads, len(pads), ns, 2*ns)
	}
	autoPad := a.String("auto_pad", "NOTSET")
	switch autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return w, fmt.Errorf("auto_pad %q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", autoPad)
	}
	ceil := pool && a.Int("ceil_mode", 0) != 0
	for i := range ns {
		j := off + i
		w.in[j], w.k[j] = in[i], k[i]
		if hasS {
			w.stride[j] = int(strides[i])
		}
		if hasD {
			w.dil[j] = int(dils[i])
		}
		if hasP && autoPad == "NOTSET" {
			w.padB[j], w.padE[j] = int(pads[i]), int(pads[ns+i])
		}
		switch {
		case w.k[j] < 1:
			return w, fmt.Errorf("kernel size %d must be positive", w.k[j])
		case w.stride[j] < 1:
			return w, fmt.Errorf("stride %d must be positive", w.stride[j])
		case w.dil[j] < 1:
			return w, fmt.Errorf("dilation %d must be positive", w.dil[j])
		case w.padB[j] < 0 || w.padE[j] < 0:
			return w, fmt.Errorf("pads %v must not be negative", pads)
		}
		if w.in[j] < 0 {
			w.out[j] = -1
			continue
		}
		eff := (w.k[j]-1)*w.dil[j] + 1
		if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
			w.out[j] = (w.in[j] + w.stride[j] - 1) / w.stride[j]
			total := max(0, (w.out[j]-1)*w.stride[j]+eff-w.in[j])
			w.padB[j] = total / 2
			if autoPad == "SAME_LOWER" {
				w.padB[j] = total - total/2
			}
			w.padE[j] = total - w.padB[j]
			continue
		}
		span := w.in[j] + w.padB[j] + w.padE[j] - eff
		if span < 0 {
			return w, fmt.Errorf("the window (%d with dilation %d) is larger than the padded input (%d)",
				w.k[j], w.dil[j], w.in[j]+w.padB[j]+w.padE[j])
		}
		w.out[j] = span/w.stride[j] + 1
		if ceil {
			w.out[j] = (span+w.stride[j]-1)/w.stride[j] + 1
			// A last window that would start in the right padding is dropped.
			if (w.out[j]-1)*w.stride[j] >= w.in[j]+w.padB[j] {
				w.out[j]--
			}
		}
	}
	return w, nil
}

// outDims is the output's spatial dimensions as inference gives them.
func (w *window) outDims() []Dim {
	d := make([]Dim, w.nsp)
	for i := range d {
		d[i] = Dim{Size: w.out[3-w.nsp+i]}
	}
	return d
}

// known reports whether every input size is known.
func (w *window) known() bool {
	for _, n := range w.in {
		if n < 0 {
			return false
		}
	}
	return true
}

// resolvePads rewrites a node whose auto_pad is SAME_UPPER, SAME_LOWER or
// VALID into explicit pads, once the input sizes are known. It replaces the
// attribute map rather than change it, since nodes may share one.
func resolvePads(n *Node, w *window) {
	ap := n.Attrs.String("auto_pad", "NOTSET")
	if ap == "NOTSET" || !w.known() {
		return
	}
	pads := make([]int64, 2*w.nsp)
	for i := range w.nsp {
		pads[i], pads[w.nsp+i] = int64(w.padB[3-w.nsp+i]), int64(w.padE[3-w.nsp+i])
	}
	a := n.Attrs.Clone()
	delete(a, "auto_pad")
	a["pads"] = IntsAttr(pads...)
	n.Attrs = a
}

// spatialInts returns the sizes of shape s from axis 2 on (-1 where unknown).
func spatialInts(s Shape) []int { return s[2:].Ints() }
