package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The cuDNN shim's C (the cgo preamble of cudnn_gpu.go, which only a -tags
// gpu build compiles) runs here against testdata/cudnnshim/fake_cudnn.c, a
// library with cuDNN's prototypes that prints every call it receives: the
// test reads what the shim passed for each argument, which algorithm it took
// and that it freed every descriptor, without a GPU or cuDNN.

// cCompiler returns the C compiler to use, or skips the test when there is
// none (fails under CI, which must run it).
func cCompiler(t *testing.T) string {
	t.Helper()
	if cc := os.Getenv("CC"); cc != "" {
		return cc
	}
	for _, c := range []string{"gcc", "cc", "clang"} {
		if _, err := exec.LookPath(c); err == nil {
			return c
		}
	}
	const why = "no C compiler (gcc, cc, clang or $CC): the cuDNN shim is not tested"
	if os.Getenv("CI") != "" {
		t.Fatal(why + " (scripts/setup.sh --test installs g++, which brings gcc)")
	}
	t.Skip(why)
	return ""
}

// cgoPreamble returns the C code of a cgo file: the comment before `import "C"`.
func cgoPreamble(t *testing.T, file string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	end := strings.Index(s, "*/\nimport \"C\"")
	start := strings.Index(s, "/*\n")
	if start < 0 || end < start {
		t.Fatalf("%s: no cgo preamble before import \"C\"", file)
	}
	var out []string
	for _, line := range strings.Split(s[start+3:end], "\n") {
		if !strings.HasPrefix(line, "#cgo ") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// shimDriver builds the fake library (as libcudnn.so.9) and the driver in a
// temporary directory and returns both paths.
func shimDriver(t *testing.T) (driver, lib string) {
	t.Helper()
	cc := cCompiler(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shim.h"), []byte(cgoPreamble(t, "cudnn_gpu.go")), 0o644); err != nil {
		t.Fatal(err)
	}
	lib = filepath.Join(dir, "libcudnn.so.9")
	driver = filepath.Join(dir, "driver")
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", lib, filepath.Join("testdata", "cudnnshim", "fake_cudnn.c")},
		{"-O1", "-Wall", "-Werror", "-Wno-unused-function", "-I", dir, "-I", ".", "-o", driver, filepath.Join("testdata", "cudnnshim", "driver.c"), "-ldl"},
	} {
		if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
		}
	}
	return driver, lib
}

// runShim runs the driver on one convolution with the fake's environment and
// returns its transcript.
func runShim(t *testing.T, driver, lib string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(driver, append([]string{lib}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("driver %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestCudnnShim(t *testing.T) {
	driver, lib := shimDriver(t)
	// resnet's "down" at batch 4: 32×32×32 → 64×16×16, 3×3, stride 2, pad 1.
	down := []string{"4", "32", "32", "32", "64", "3", "2", "1", "16", "16", "268435456", "0"}
	downTF32 := append(append([]string(nil), down[:len(down)-1]...), "1")
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want []string // lines the transcript must hold, in this order
		not  []string // lines it must not hold
	}{
		{
			name: "describes the convolution and runs it",
			args: down,
			want: []string{
				"opened libcudnn.so.9 version 90100",
				"cudnnCreate",
				"cudnnSetStream 0x5000",
				"set stream: 0",
				"cudnnSetTensor4dDescriptor format=0 type=0 n=4 c=32 h=32 w=32",
				"cudnnSetFilter4dDescriptor type=0 format=0 k=64 c=32 h=3 w=3",
				"cudnnSetConvolution2dDescriptor pad=1,1 stride=2,2 dilation=1,1 mode=1 type=0",
				"cudnnSetConvolutionMathType 3",
				"cudnnSetTensor4dDescriptor format=0 type=0 n=4 c=64 h=16 w=16",
				"cudnnGetConvolutionForwardAlgorithm_v7 requested=8 y=4x64x16x16",
				"setup: algorithm 1, workspace 4096",
				"cudnnConvolutionForward alpha=1 beta=0 x=0x1000 w=0x2000 y=0x3000 algo=1 workspace=0x4000 bytes=4096",
				"forward: 0",
				"cudnnDestroy",
				"descriptors and handles left: 0",
			},
		},
		{
			name: "passes over failed, TF32 and too hungry algorithms",
			env:  []string{"FAKE_ALGOS=6:9:3:0,0:0:0:0,2:0:1:0,5:0:3:268435457,7:0:3:1048576,1:0:3:0"},
			args: down,
			want: []string{"setup: algorithm 7, workspace 1048576", "algo=7 workspace=0x4000 bytes=1048576", "descriptors and handles left: 0"},
		},
		{
			name: "no usable algorithm",
			env:  []string{"FAKE_ALGOS=6:9:3:0,0:0:1:0"},
			args: down,
			want: []string{"setup: -1 no algorithm of cuDNN's ranking runs this convolution in FMA math within the workspace limit",
				"descriptors and handles left: 0"},
			not: []string{"cudnnConvolutionForward"},
		},
		{
			name: "output shape differs from the plan's",
			args: []string{"4", "32", "32", "32", "64", "3", "2", "1", "15", "16", "268435456", "0"},
			want: []string{"setup: -1 cuDNN's output shape differs from the plan's", "descriptors and handles left: 0"},
			not:  []string{"cudnnGetConvolutionForwardAlgorithm_v7"},
		},
		{
			name: "a failing call is named with cuDNN's text",
			env:  []string{"FAKE_FAIL=cudnnGetConvolutionForwardAlgorithm_v7"},
			args: down,
			want: []string{"setup: 3 cudnnGetConvolutionForwardAlgorithm_v7: FAKE_STATUS_3", "descriptors and handles left: 0"},
		},
		{
			name: "a failing descriptor creation frees the rest",
			env:  []string{"FAKE_FAIL=cudnnCreateTensorDescriptor"},
			args: down,
			want: []string{"setup: 3 cudnnCreateTensorDescriptor: FAKE_STATUS_3", "descriptors and handles left: 0"},
		},
		{
			name: "full float32 takes FMA algorithms alone",
			env:  []string{"FAKE_ALGOS=6:0:2:0,1:0:1:4096,0:0:3:0"},
			args: down,
			want: []string{"cudnnSetConvolutionMathType 3", "setup: algorithm 0, workspace 0"},
			not:  []string{"cudnnSetConvolutionMathType 1", "cudnnSetConvolutionGroupCount"},
		},
		{
			name: "TF32 allows tensor cores, never a conversion to half",
			env:  []string{"FAKE_ALGOS=6:0:2:0,1:0:1:4096,0:0:3:0"},
			args: downTF32,
			want: []string{"cudnnSetConvolutionMathType 0", "cudnnGetConvolutionForwardAlgorithm_v7",
				"cudnnSetConvolutionMathType 1", "setup: algorithm 1, workspace 4096", "descriptors and handles left: 0"},
		},
		{
			name: "TF32 with no usable algorithm says so",
			env:  []string{"FAKE_ALGOS=6:0:2:0"},
			args: downTF32,
			want: []string{"setup: -1 no algorithm of cuDNN's ranking runs this convolution in float32 or TF32 within the workspace limit"},
		},
		{
			name: "fp16 describes half tensors and a half filter, sums in float32, tensor cores allowed",
			env:  []string{"FAKE_ALGOS=6:0:2:0,1:0:1:4096,0:0:3:0"},
			args: append(append([]string(nil), down[:len(down)-1]...), "2"),
			want: []string{
				"cudnnSetTensor4dDescriptor format=0 type=2 n=4 c=32 h=32 w=32",
				"cudnnSetFilter4dDescriptor type=2 format=0 k=64 c=32 h=3 w=3",
				"cudnnSetConvolution2dDescriptor pad=1,1 stride=2,2 dilation=1,1 mode=1 type=0",
				"cudnnSetConvolutionMathType 0",
				"cudnnSetTensor4dDescriptor format=0 type=2 n=4 c=64 h=16 w=16",
				"cudnnSetConvolutionMathType 1", "setup: algorithm 1, workspace 4096", "descriptors and handles left: 0",
			},
		},
		{
			name: "bf16 describes bfloat16 tensors",
			args: append(append([]string(nil), down[:len(down)-1]...), "3"),
			want: []string{"cudnnSetTensor4dDescriptor format=0 type=9 n=4 c=32 h=32 w=32", "cudnnSetFilter4dDescriptor type=9 format=0 k=64",
				"cudnnSetConvolution2dDescriptor pad=1,1 stride=2,2 dilation=1,1 mode=1 type=0", "cudnnSetTensor4dDescriptor format=0 type=9 n=4 c=64"},
		},
		{
			name: "half precision with no usable algorithm says so",
			env:  []string{"FAKE_ALGOS=6:0:2:0"},
			args: append(append([]string(nil), down[:len(down)-1]...), "2"),
			want: []string{"setup: -1 no algorithm of cuDNN's ranking runs this half-precision convolution within the workspace limit"},
		},
		{
			name: "a depthwise convolution sets its group count",
			// mobilenet_tiny's stride-2 depthwise layer at batch 2: 24 groups of one channel.
			args: []string{"2", "24", "16", "16", "24", "3", "2", "1", "8", "8", "268435456", "0", "24"},
			want: []string{
				"cudnnSetTensor4dDescriptor format=0 type=0 n=2 c=24 h=16 w=16",
				"cudnnSetFilter4dDescriptor type=0 format=0 k=24 c=1 h=3 w=3",
				"cudnnSetConvolution2dDescriptor pad=1,1 stride=2,2 dilation=1,1 mode=1 type=0",
				"cudnnSetConvolutionGroupCount 24",
				"cudnnSetTensor4dDescriptor format=0 type=0 n=2 c=24 h=8 w=8",
				"setup: algorithm 1, workspace 4096",
				"descriptors and handles left: 0",
			},
		},
		{
			name: "a failing group count is named",
			env:  []string{"FAKE_FAIL=cudnnSetConvolutionGroupCount"},
			args: []string{"2", "24", "16", "16", "24", "3", "2", "1", "8", "8", "268435456", "0", "24"},
			want: []string{"setup: 3 cudnnSetConvolutionGroupCount: FAKE_STATUS_3", "descriptors and handles left: 0"},
		},
		{
			name: "forward's status comes back",
			env:  []string{"FAKE_FAIL=cudnnConvolutionForward"},
			args: down,
			want: []string{"forward: 3", "descriptors and handles left: 0"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := runShim(t, driver, lib, c.env, c.args...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			at := 0
			for _, w := range c.want {
				found := false
				for ; at < len(lines); at++ {
					if strings.Contains(lines[at], w) {
						found = true
						at++
						break
					}
				}
				if !found {
					t.Fatalf("transcript lacks %q (in this order):\n%s", w, out)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("transcript holds %q:\n%s", n, out)
				}
			}
			if strings.Contains(out, "destroy of kind") {
				t.Errorf("a descriptor was destroyed with the wrong call:\n%s", out)
			}
		})
	}
}

// TestCudnnShimOpenErrors: a library without one of the entry points is
// refused with the symbol's name.
func TestCudnnShimOpenErrors(t *testing.T) {
	driver, _ := shimDriver(t)
	out := runShim(t, driver, "/nonexistent/libcudnn.so.9", nil, "1", "1", "1", "1", "1", "1", "1", "0", "1", "1", "0", "0")
	if !strings.Contains(out, "open failed: /nonexistent/libcudnn.so.9: cannot open shared object file") {
		t.Errorf("missing library: %s", out)
	}
	// libc has none of cuDNN's symbols.
	out = runShim(t, driver, "libc.so.6", nil, "1", "1", "1", "1", "1", "1", "1", "0", "1", "1", "0", "0")
	if !strings.Contains(out, "open failed: libc.so.6: symbol cudnnGetVersion not found") {
		t.Errorf("library without cuDNN's symbols: %s", out)
	}
}
