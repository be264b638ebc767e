package cuda

import (
	"slices"
	"strings"
	"testing"

	"infertop/engine"
)

func TestCublasCandidates(t *testing.T) {
	files := map[string][]string{
		"/opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.1[0-9]": {
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12",
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
		},
		"/home/u/.local/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.1[0-9]": {"/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11"},
	}
	glob := func(p string) ([]string, error) { return files[p], nil }
	env := func(k string) string {
		if k == CublasEnv {
			return "/x/libcublas.so"
		}
		return ""
	}
	got := CublasCandidates(env, "/home/u", glob)
	want := []string{"/x/libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11",
		"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
		"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12",
		"/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11"}
	if !slices.Equal(got, want) {
		t.Errorf("candidates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	noEnv := CublasCandidates(func(string) string { return "" }, "", glob)
	if noEnv[0] != "libcublas.so.13" || slices.Contains(noEnv, "/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11") {
		t.Errorf("without env and home: %v", noEnv)
	}
}

func TestCudnnCandidates(t *testing.T) {
	files := map[string][]string{
		"/opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib/libcudnn.so.[89]": {
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
		},
		"/usr/local/cuda*/lib64/libcudnn.so.[89]": {"/usr/local/cuda-11.8/lib64/libcudnn.so.8", "/usr/local/cuda-12.4/lib64/libcudnn.so.9"},
	}
	glob := func(p string) ([]string, error) { return files[p], nil }
	for _, c := range []struct {
		env  string
		want []string
	}{
		{"", []string{"libcudnn.so.9", "libcudnn.so.8",
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
			"/usr/local/cuda-12.4/lib64/libcudnn.so.9", "/usr/local/cuda-11.8/lib64/libcudnn.so.8"}},
		{"/x/libcudnn.so.9", []string{"/x/libcudnn.so.9", "libcudnn.so.9", "libcudnn.so.8",
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
			"/usr/local/cuda-12.4/lib64/libcudnn.so.9", "/usr/local/cuda-11.8/lib64/libcudnn.so.8"}},
		{"off", nil},
	} {
		env := func(k string) string {
			if k == CudnnEnv {
				return c.env
			}
			return ""
		}
		if got := CudnnCandidates(env, "/home/u", glob); !slices.Equal(got, c.want) {
			t.Errorf("%s=%q: candidates\n%s\nwant\n%s", CudnnEnv, c.env, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// The convolution override's name is the one "infertop help" documents.
func TestConvEnvIsTheDocumentedName(t *testing.T) {
	if ConvEnv != engine.CUDAConvEnv {
		t.Errorf("ConvEnv %q, engine.CUDAConvEnv %q", ConvEnv, engine.CUDAConvEnv)
	}
}
