package blas

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func naive(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := append([]float32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA == Trans {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB == Trans {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float32(float64(alpha)*s + float64(beta)*float64(c[i*ldc+j]))
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// libraries returns gonum always, and OpenBLAS when this machine has it.
func libraries(t *testing.T) []Library {
	libs := []Library{NewGonum()}
	if l, err := Load(Options{}); err == nil {
		libs = append(libs, l)
	} else {
		t.Logf("no BLAS library here (%v); testing gonum only", err)
	}
	return libs
}

func checkSgemm(t *testing.T, lib Library, tA, tB Transpose, m, n, k int, pad int, alpha, beta float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k)))
	ar, ac := m, k
	if tA == Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == Trans {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a, b := randSlice(r, max(ar*lda, 1)), randSlice(r, max(br*ldb, 1))
	c := randSlice(r, m*ldc)
	want := naive(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	lib.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(c[i]-want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	if diff > 1e-5*math.Max(scale, 1e-30) {
		t.Errorf("%s %v/%v m=%d n=%d k=%d pad=%d: max error %g of %g", lib.Name(), tA, tB, m, n, k, pad, diff, scale)
	}
}

func TestSgemmAgainstNaive(t *testing.T) {
	for _, lib := range libraries(t) {
		for _, tA := range []Transpose{NoTrans, Trans} {
			for _, tB := range []Transpose{NoTrans, Trans} {
				for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 1, 33}, {1, 300, 20}, {130, 200, 70}, {65, 193, 3}} {
					checkSgemm(t, lib, tA, tB, s[0], s[1], s[2], 0, 1, 0)
					checkSgemm(t, lib, tA, tB, s[0], s[1], s[2], 3, 0.5, 1)
					checkSgemm(t, lib, tA, tB, s[0], s[1], s[2], 1, -2, 0.25)
				}
			}
		}
	}
}

func TestSgemmZeroK(t *testing.T) {
	for _, lib := range libraries(t) {
		c := []float32{1, 2, 3, 4}
		lib.Sgemm(NoTrans, NoTrans, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
		for i, v := range []float32{0.5, 1, 1.5, 2} {
			if c[i] != v {
				t.Errorf("%s: k=0 gave %v, want beta·C", lib.Name(), c)
				break
			}
		}
	}
}

func TestShortOperandPanics(t *testing.T) {
	for _, lib := range libraries(t) {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: a short C did not panic", lib.Name())
				}
			}()
			lib.Sgemm(NoTrans, NoTrans, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}()
	}
}

// A library the person chose that does not load is an error that carries
// the loader's message, never a quiet fall back; INFERTOP_BLAS=gonum
// chooses the pure-Go BLAS.
func TestChosenLibraryMissing(t *testing.T) {
	env := map[string]string{EnvPath: "/nonexistent/libopenblas.so.0"}
	getenv := func(k string) string { return env[k] }
	lib, err := Load(Options{Getenv: getenv})
	var ce *ChosenError
	if !errors.As(err, &ce) || ce.Path != "/nonexistent/libopenblas.so.0" {
		t.Fatalf("error %v, want a *ChosenError for the path", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "INFERTOP_BLAS=/nonexistent/libopenblas.so.0 cannot be loaded: ") ||
		!strings.Contains(msg, "INFERTOP_BLAS=gonum") || (!errors.Is(err, errNoCgo) && !strings.Contains(msg, "No such file or directory")) {
		t.Errorf("message %q lacks the path, the loader's words or the way out", msg)
	}
	if lib == nil || !lib.Fallback() || lib.Name() != "gonum" {
		t.Fatalf("got %v, want the gonum library beside the error", lib)
	}
	checkSgemm(t, lib, NoTrans, Trans, 70, 200, 30, 0, 1, 0)

	env[EnvPath] = Pure
	lib, err = Load(Options{Getenv: getenv})
	if err != nil || !lib.Fallback() || lib.Description() != "gonum pure-Go BLAS (slow), chosen with INFERTOP_BLAS=gonum" {
		t.Errorf("INFERTOP_BLAS=gonum gave %v (%q), %v", lib, lib.Description(), err)
	}
	if d := NewGonum().Description(); !strings.Contains(d, "apt-get install libopenblas0") || !strings.Contains(d, "INFERTOP_BLAS") {
		t.Errorf("fallback description %q does not say how to get OpenBLAS", d)
	}
	lib, err = Load(Options{NoLibrary: true})
	if err != nil || !lib.Fallback() {
		t.Errorf("NoLibrary gave %v, %v", lib, err)
	}
}

func TestOpenBLASDescriptionAndThreads(t *testing.T) {
	lib, err := Load(Options{Getenv: func(string) string { return "" }}) // the default names, whatever INFERTOP_BLAS says
	if err != nil {
		if os.Getenv("INFERTOP_REQUIRE_OPENBLAS") != "" {
			t.Fatalf("OpenBLAS required: %v", err)
		}
		t.Skipf("no OpenBLAS here: %v", err)
	}
	d := lib.Description()
	t.Logf("loaded %s", d)
	if lib.Name() == "openblas" {
		if !strings.HasPrefix(d, "OpenBLAS 0.") || !strings.Contains(d, "/") {
			t.Errorf("description %q lacks the version or the path", d)
		}
		old := lib.Threads()
		lib.SetThreads(1)
		if lib.Threads() != 1 {
			t.Errorf("SetThreads(1) left %d threads", lib.Threads())
		}
		checkSgemm(t, lib, Trans, NoTrans, 300, 300, 300, 0, 1, 0)
		lib.SetThreads(2)
		if lib.Threads() != 2 {
			t.Errorf("SetThreads(2) left %d threads", lib.Threads())
		}
		checkSgemm(t, lib, NoTrans, NoTrans, 300, 300, 300, 0, 1, 0)
		lib.SetThreads(old)
	}
	if lib.Fallback() {
		t.Error("a loaded library says it is the fallback")
	}
}

func TestSerialSgemmDoesNotAllocate(t *testing.T) {
	a, b, c := make([]float32, 300*300), make([]float32, 300*300), make([]float32, 300*300)
	for _, lib := range libraries(t) {
		lib.SetThreads(1)
		n := testing.AllocsPerRun(5, func() {
			lib.Sgemm(NoTrans, Trans, 300, 300, 300, 1, a, 300, b, 300, 0, c, 300)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per Sgemm", lib.Name(), n)
		}
	}
}

func TestGonumParallel(t *testing.T) {
	g := NewGonum()
	g.SetThreads(4)
	if g.Threads() != 4 {
		t.Fatal("threads not set")
	}
	checkSgemm(t, g, NoTrans, NoTrans, 200, 300, 100, 0, 1, 0)
}
