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
