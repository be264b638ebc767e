// Package blas gives the CPU engine one single-precision matrix product,
// Sgemm, from the best library this machine has: OpenBLAS (or another CBLAS)
// loaded at run time with dlopen — never linked at build time — or, when no
// library can be loaded, gonum's pure-Go BLAS, which is correct but slow.
//
// Matrices are row-major, as in cblas_sgemm(CblasRowMajor, ...):
//
//	C = alpha·op(A)·op(B) + beta·C,  op(A) m×k, op(B) k×n, C m×n,
//
// with leading dimensions lda, ldb, ldc counted in elements.
//
// Only the CPU engine uses it (and session, for the variable's name in
// "infertop help"); it imports no other infertop package.
package blas

import (
	"errors"
	"fmt"
	"os"
	"strings"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// EnvPath is the environment variable that names the BLAS library to load.
// When it is set, only that file is tried, and a file that does not load
// is an error (ChosenError), not a quiet fall back; the value Pure ("gonum")
// asks for the pure-Go BLAS.
const EnvPath = "INFERTOP_BLAS"

// Pure is the value of EnvPath (or Options.Path) that chooses gonum's
// pure-Go BLAS over any library.
const Pure = "gonum"

// ChosenError says the library a person chose (EnvPath or Options.Path)
// did not load: the loader's message, and what to do.
type ChosenError struct {
	// Path is the library chosen; Err is what the loader said.
	Path string
	Err  error
}

// Error names the path and carries the loader's message.
func (e *ChosenError) Error() string {
	return fmt.Sprintf("%s=%s cannot be loaded: %v (unset %s to load %s, or set %s=%s for the slow pure-Go BLAS)",
		EnvPath, e.Path, e.Err, EnvPath, strings.Join(defaultNames, " or "), EnvPath, Pure)
}

// Unwrap returns the loader's error.
func (e *ChosenError) Unwrap() error { return e.Err }

// DefaultNames are the libraries tried, in order, when no path is given.
var defaultNames = []string{"libopenblas.so.0", "libopenblas.so"}

// DefaultNames returns the library names tried when neither Options.Path nor
// INFERTOP_BLAS names one.
func DefaultNames() []string { return append([]string(nil), defaultNames...) }

// FallbackDescription is what Description says when no library could be loaded.
const FallbackDescription = "gonum pure-Go BLAS (slow): install libopenblas0 (apt-get install libopenblas0) or set " + EnvPath

// Transpose says whether an operand is used as stored or transposed.
type Transpose int

// The two transposes (CBLAS's values).
const (
	NoTrans Transpose = 111
	Trans   Transpose = 112
)

// Library is a loaded single-precision BLAS.
//
// Sgemm may be called from several goroutines at once when Threads() is 1
// (each call then computes in its caller's thread).
type Library interface {
	// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices.
	Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// SetThreads sets how many threads one Sgemm call may use (n ≥ 1).
	// For OpenBLAS this is openblas_set_num_threads, which is process-wide.
	SetThreads(n int)
	// Threads is the number of threads one Sgemm call uses.
	Threads() int
	// Name is "openblas", "cblas" (another CBLAS library) or "gonum".
	Name() string
	// Description is one line for displays, e.g.
	// "OpenBLAS 0.3.21 (pthread, Haswell) /usr/lib/x86_64-linux-gnu/libopenblas.so.0".
	Description() string
	// Fallback reports that this is the slow pure-Go implementation.
	Fallback() bool
}

// Gemver is implemented by a library with a matrix-vector product of its
// own. A product of one row is all streaming of the matrix, which sgemm's
// packing of it slows: OpenBLAS 0.3.21's sgemm multiplies one row by a
// 1024×1024 matrix at 14 GB/s of matrix on one core, its sgemv at 70 GB/s.
type Gemver interface {
	// Sgemv computes y = alpha·op(A)·x + beta·y for row-major A of m rows
	// and n columns, with x and y contiguous.
	Sgemv(tA Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32)
}

// Threaded is implemented by a library that can run one Sgemm call on
// threads of its own (OpenBLAS): how PyTorch runs a large product. Its packed
// panels are shared between those threads, which independent calls on split
// halves of a product cannot do.
type Threaded interface {
	// SgemmThreads is Sgemm on up to threads threads; the library is back to
	// one thread per call afterwards. It reports false, having computed
	// nothing, when the library cannot set its thread count.
	//
	// The thread count is process-wide: while a call runs, an Sgemm from
	// another goroutine may use those threads too (slower, never wrong).
	SgemmThreads(threads int, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool
}

// Options choose the library.
type Options struct {
	// Path is the library file to load; empty means $INFERTOP_BLAS, then DefaultNames.
	Path string
	// NoLibrary skips loading and uses gonum (tests, and comparisons).
	NoLibrary bool
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Load returns the BLAS to use. It never returns a nil Library: when no
// library can be loaded it returns gonum's, and err says why the library was
// not used (nil when a library loaded or NoLibrary, or Pure, was asked
// for); when the library was chosen (Options.Path or EnvPath), err is a
// *ChosenError, which callers must not pass over in silence.
func Load(opts Options) (lib Library, err error) {
	if opts.NoLibrary {
		return &Gonum{threads: 1}, nil
	}
	chosen := opts.Path
	if chosen == "" {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		chosen = getenv(EnvPath)
	}
	switch chosen {
	case "":
	case Pure:
		return &Gonum{threads: 1, chosen: true}, nil
	default:
		l, lerr := loadCBLAS(chosen)
		if lerr != nil {
			return &Gonum{threads: 1}, &ChosenError{Path: chosen, Err: lerr}
		}
		return l, nil
	}
	names := defaultNames
	var errs []string
	for _, name := range names {
		l, lerr := loadCBLAS(name)
		if lerr == nil {
			return l, nil
		}
		errs = append(errs, lerr.Error())
	}
	return &Gonum{threads: 1}, fmt.Errorf("no BLAS library loaded, using gonum: %s", strings.Join(errs, "; "))
}

// errNoCgo is returned by loadCBLAS in builds without cgo.
var errNoCgo = errors.New("this binary was built without cgo, so it cannot load a BLAS library")

// Gonum is gonum's pure-Go Sgemm.
type Gonum struct {
	threads int
	// chosen says EnvPath asked for it (Pure), rather than no library loading.
	chosen bool
}

// NewGonum returns the pure-Go BLAS computing with one thread.
func NewGonum() *Gonum { return &Gonum{threads: 1} }

// Name is "gonum".
func (*Gonum) Name() string { return "gonum" }

// Description says the library is slow and how to get a faster one, or
// that it was chosen.
func (g *Gonum) Description() string {
	if g.chosen {
		return "gonum pure-Go BLAS (slow), chosen with " + EnvPath + "=" + Pure
	}
	return FallbackDescription
}

// Fallback is true.
func (*Gonum) Fallback() bool { return true }

// SetThreads sets the threads of one call. With more than one, gonum's own
// parallel Sgemm runs (it starts goroutines, bounded by GOMAXPROCS, and
// allocates); with one, the product is computed in the caller without allocating.
func (g *Gonum) SetThreads(n int) { g.threads = max(n, 1) }

// Threads is the thread count set.
func (g *Gonum) Threads() int { return g.threads }

// Tiles small enough that gonum computes them serially: its Sgemm goes
// parallel (and allocates) from 4 blocks of 64×64 on.
const (
	gonumTileM = 64
	gonumTileN = 192
)

func gt(t Transpose) gblas.Transpose {
	if t == Trans {
		return gblas.Trans
	}
	return gblas.NoTrans
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C.
func (g *Gonum) Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 { // gonum wants operands even when it does not read them
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
		return
	}
	impl := gonum.Implementation{}
	if g.threads > 1 || (m <= gonumTileM && n <= gonumTileN) {
		impl.Sgemm(gt(tA), gt(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i0 := 0; i0 < m; i0 += gonumTileM {
		mi := min(gonumTileM, m-i0)
		var ai []float32
		if tA == Trans {
			ai = a[i0:]
		} else {
			ai = a[i0*lda:]
		}
		for j0 := 0; j0 < n; j0 += gonumTileN {
			nj := min(gonumTileN, n-j0)
			var bj []float32
			if tB == Trans {
				bj = b[j0*ldb:]
			} else {
				bj = b[j0:]
			}
			impl.Sgemm(gt(tA), gt(tB), mi, nj, k, alpha, ai, lda, bj, ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}
