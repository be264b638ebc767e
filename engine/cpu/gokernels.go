//go:build !cgo

package cpu

// Without cgo the engine uses the Go kernels (correct, not vectorized).
const haveCKernels = false

func epilogueRows(y []float32, rows, n, ld int, r []float32, a act) {
	goEpilogueRows(y, rows, n, ld, r, a)
}
func softmaxRows(s []float32, rows, n, ld int) { goSoftmaxRows(s, rows, n, ld) }
func layerNormRows(x, y []float32, rows, d int, g, b []float32) {
	goLayerNormRows(x, y, rows, d, g, b)
}
func im2col(col, x []float32, g *convGeom, r0, r1 int) { im2colNHWC(col, x, g, r0, r1) }
func maxPoolRows(x, y []float32, h, w, c, oh, ow, r0, r1 int) {
	goMaxPoolRows(x, y, h, w, c, oh, ow, r0, r1)
}
func convC1(x, w, b, y, buf []float32, g *convGeom, outC, q0, q1 int, relu bool) {
	goConvC1(x, w, b, y, buf, g, outC, q0, q1)
	if relu {
		goEpilogueRows(y[q0*g.ow*outC:q1*g.ow*outC], (q1-q0)*g.ow, outC, outC, nil, actReLU)
	}
}
