package cuda

import "math"

// volumeWindow is a 3-D window as infertop_conv3d and infertop_pool3d take
// it: kernel, strides, padding before and after, dilations (depth, height,
// width), and the input and output volumes.
type volumeWindow struct {
	k, s, pb, pe, d, in, out [3]int64
}

// taps calls f with the input offset of every tap of output voxel o that
// lies inside the input, and returns how many taps lie inside the input
// or, with pad, inside the padding before and after it too.
func (w volumeWindow) taps(o [3]int64, pad bool, f func(tap, at int64)) (count int64) {
	for kz := range w.k[0] {
		for ky := range w.k[1] {
			for kx := range w.k[2] {
				var i [3]int64
				inside, inPad := true, true
				for a, kk := range [3]int64{kz, ky, kx} {
					i[a] = o[a]*w.s[a] - w.pb[a] + kk*w.d[a]
					inside = inside && i[a] >= 0 && i[a] < w.in[a]
					inPad = inPad && i[a] < w.in[a]+w.pe[a]
				}
				if inside || pad && inPad {
					count++
				}
				if inside {
					f((kz*w.k[1]+ky)*w.k[2]+kx, (i[0]*w.in[1]+i[1])*w.in[2]+i[2])
				}
			}
		}
	}
	return count
}

// voxels calls f for every output voxel and its index.
func (w volumeWindow) voxels(f func(o [3]int64, at int64)) {
	for z := range w.out[0] {
		for y := range w.out[1] {
			for x := range w.out[2] {
				f([3]int64{z, y, x}, (z*w.out[1]+y)*w.out[2]+x)
			}
		}
	}
}

// conv3d is infertop_conv3d: float64 sums over each voxel's window.
//
//go:norace
func conv3d(a kernelArgs) {
	x, wt, bias, y := a.ptr(0), a.ptr(1), a.ptr(2), a.ptr(3)
	n, c, cout, group := a.int(4), a.int(5), a.int(9), a.int(10)
	w := volumeWindow{in: [3]int64{a.int(6), a.int(7), a.int(8)}, out: [3]int64{a.int(23), a.int(24), a.int(25)}}
	for i := range 3 {
		w.k[i], w.s[i], w.pb[i], w.d[i] = a.int(11+i), a.int(14+i), a.int(17+i), a.int(20+i)
	}
	act, p0, p1 := a.int(26), a.float(27), a.float(28)
	cpg, opg := c/group, cout/group
	vin, vout, k3 := w.in[0]*w.in[1]*w.in[2], w.out[0]*w.out[1]*w.out[2], w.k[0]*w.k[1]*w.k[2]
	for s := range n {
		for co := range cout {
			w.voxels(func(o [3]int64, at int64) {
				var sum float64
				for ci := range cpg {
					xp := x[(s*c+co/opg*cpg+ci)*vin:]
					wp := wt[(co*cpg+ci)*k3:]
					w.taps(o, false, func(tap, i int64) { sum += float64(wp[tap]) * float64(xp[i]) })
				}
				y[(s*cout+co)*vout+at] = actf(float32(sum)+bias[co], act, p0, p1)
			})
		}
	}
}

// pool3d is infertop_pool3d.
//
//go:norace
func pool3d(a kernelArgs) {
	x, y, planes := a.ptr(0), a.ptr(1), a.int(2)
	w := volumeWindow{in: [3]int64{a.int(3), a.int(4), a.int(5)}, out: [3]int64{a.int(6), a.int(7), a.int(8)}}
	for i := range 3 {
		w.k[i], w.s[i], w.pb[i], w.pe[i], w.d[i] = a.int(9+i), a.int(12+i), a.int(15+i), a.int(18+i), a.int(21+i)
	}
	mode := a.int(24)
	vin, vout := w.in[0]*w.in[1]*w.in[2], w.out[0]*w.out[1]*w.out[2]
	for p := range planes {
		src := x[p*vin:]
		w.voxels(func(o [3]int64, at int64) {
			m, sum := math.Inf(-1), 0.0
			count := w.taps(o, mode == 2, func(_, i int64) {
				m = math.Max(m, float64(src[i]))
				sum += float64(src[i])
			})
			switch {
			case mode == 0:
				y[p*vout+at] = float32(m)
			case count > 0:
				y[p*vout+at] = float32(sum / float64(count))
			default:
				y[p*vout+at] = 0
			}
		})
	}
}
