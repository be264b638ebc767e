package blas

import "fmt"

// checkGemm panics, as gonum does, when the operands are too short for the
// sizes given: a C library would read or write out of bounds instead.
func checkGemm(tA, tB Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if tA != NoTrans && tA != Trans || tB != NoTrans && tB != Trans {
		panic(fmt.Sprintf("blas: bad transpose %d, %d", tA, tB))
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if tA == Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == Trans {
		br, bc = n, k
	}
	if ldc < max(n, 1) || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("blas: C holds %d values with ldc %d, too few for %d×%d", len(c), ldc, m, n))
	}
	if k == 0 {
		return
	}
	if lda < max(ac, 1) || len(a) < (ar-1)*lda+ac {
		panic(fmt.Sprintf("blas: A holds %d values with lda %d, too few for %d×%d", len(a), lda, ar, ac))
	}
	if ldb < max(bc, 1) || len(b) < (br-1)*ldb+bc {
		panic(fmt.Sprintf("blas: B holds %d values with ldb %d, too few for %d×%d", len(b), ldb, br, bc))
	}
}

// checkGemv panics when the slices are too short for y = op(A)·x with A of
// m rows and n columns (row-major, leading dimension lda), as checkGemm.
func checkGemv(tA Transpose, m, n int, a []float32, lda int, x, y []float32) {
	if tA != NoTrans && tA != Trans {
		panic(fmt.Sprintf("blas: bad transpose %d", tA))
	}
	if m < 0 || n < 0 {
		panic(fmt.Sprintf("blas: negative size m=%d n=%d", m, n))
	}
	xn, yn := n, m
	if tA == Trans {
		xn, yn = m, n
	}
	if len(x) < xn || len(y) < yn {
		panic(fmt.Sprintf("blas: x holds %d and y %d values, too few for op(A) of %d×%d", len(x), len(y), yn, xn))
	}
	if m > 0 && n > 0 && (lda < max(n, 1) || len(a) < (m-1)*lda+n) {
		panic(fmt.Sprintf("blas: A holds %d values with lda %d, too few for %d×%d", len(a), lda, m, n))
	}
}
