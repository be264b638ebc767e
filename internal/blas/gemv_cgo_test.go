//go:build cgo && unix

package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Sgemv of a library that has it, on odd shapes, padded rows, both
// transposes and beta 0 and 1, against naive's one-row product; and the
// path through cblas_sgemm of a library without cblas_sgemv.
func TestSgemvAgainstNaive(t *testing.T) {
	var libs []Library
	for _, l := range libraries(t) {
		if _, ok := l.(Gemver); ok {
			libs = append(libs, l)
		}
	}
	if len(libs) == 0 {
		t.Skip("no library here has a matrix-vector product of its own (gonum's products go through Sgemm)")
	}
	if c, ok := libs[len(libs)-1].(*CBLAS); ok && c.sgemv != nil {
		without := *c
		without.sgemv = nil
		libs = append(libs, &without)
	}
	for li, lib := range libs {
		for _, tA := range []Transpose{NoTrans, Trans} {
			for _, sh := range [][2]int{{1, 1}, {3, 17}, {17, 3}, {1023, 5}, {16, 1024}} {
				for _, beta := range []float32{0, 1} {
					m, n := sh[0], sh[1]
					r := rand.New(rand.NewPCG(uint64(m), uint64(n)))
					lda := n + 3
					a := randSlice(r, (m-1)*lda+n)
					xn, yn := n, m
					if tA == Trans {
						xn, yn = m, n
					}
					x, y := randSlice(r, xn), randSlice(r, yn)
					// y (1×yn) = x (1×xn) · op(A)ᵀ, as naive computes it
					tB := Trans
					if tA == Trans {
						tB = NoTrans
					}
					want := naive(NoTrans, tB, 1, yn, xn, 0.5, x, xn, a, lda, beta, y, yn)
					lib.(Gemver).Sgemv(tA, m, n, 0.5, a, lda, x, beta, y)
					for i := range want {
						if d := math.Abs(float64(y[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("library %d (%s) tA=%d %dx%d beta %g: y[%d] = %g, want %g", li, lib.Name(), tA, m, n, beta, i, y[i], want[i])
						}
					}
				}
			}
		}
	}
}
