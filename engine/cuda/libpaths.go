package cuda

import (
	"sort"
	"strings"

	"infertop/engine"
)

// CublasEnv names the environment variable that points at a libcublas.so to use.
const CublasEnv = engine.CublasEnv

// CudnnEnv names the environment variable that points at a libcudnn.so to
// use, or "off" to run without cuDNN.
const CudnnEnv = engine.CudnnEnv

// library describes how to find one run-time loaded NVIDIA library.
type library struct {
	env     string   // variable holding a path that comes first
	sonames []string // what the dynamic loader resolves, newest major version first
	file    string   // glob of the file's name in the folders libraryDirs lists
}

func cublasLibrary() library {
	return library{env: CublasEnv, sonames: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}, file: "libcublas.so.1[0-9]"}
}

// cudnnLibrary: cuDNN 8 and 9, the versions whose legacy convolution API
// takes an FMA-only math mode (no TF32).
func cudnnLibrary() library {
	return library{env: CudnnEnv, sonames: []string{"libcudnn.so.9", "libcudnn.so.8"}, file: "libcudnn.so.[89]"}
}

// libraryDirs are the folders outside the loader's path that hold copies: the
// Python wheels (nvidia-cublas-cu1x, nvidia-cudnn-cu1x, pulled in by PyTorch,
// in site-packages/nvidia/<name>/lib or site-packages/nvidia/cu13/lib), then
// the CUDA toolkit's own folder. "~" is the home directory.
func libraryDirs() []string {
	var out []string
	for _, sp := range []string{
		"/opt/*/.venv/lib/python3*/site-packages",
		"/opt/*/venv/lib/python3*/site-packages",
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"~/.local/lib/python3*/site-packages",
	} {
		out = append(out, sp+"/nvidia/*/lib")
	}
	return append(out, "/usr/local/cuda*/lib64")
}

// CublasCandidates returns the cuBLAS libraries to try, in order: the path in
// INFERTOP_CUBLAS (when set), the sonames the dynamic loader resolves
// (libcublas.so.13, .12, .11), then the files the globs find (newest major
// version first within each glob). env and glob are injected for tests
// (os.Getenv and filepath.Glob in the engine).
func CublasCandidates(env func(string) string, home string, glob func(string) ([]string, error)) []string {
	return cublasLibrary().candidates(env, home, glob)
}

// CudnnCandidates returns the cuDNN libraries to try, in the same order as
// CublasCandidates: INFERTOP_CUDNN, libcudnn.so.9 and .8, then the copies
// the globs find. It returns none when INFERTOP_CUDNN is "off".
func CudnnCandidates(env func(string) string, home string, glob func(string) ([]string, error)) []string {
	if env(CudnnEnv) == "off" {
		return nil
	}
	return cudnnLibrary().candidates(env, home, glob)
}

func (l library) candidates(env func(string) string, home string, glob func(string) ([]string, error)) []string {
	var out []string
	if p := env(l.env); p != "" {
		out = append(out, p)
	}
	out = append(out, l.sonames...)
	seen := map[string]bool{}
	for _, dir := range libraryDirs() {
		g := dir + "/" + l.file
		if strings.HasPrefix(g, "~") {
			if home == "" {
				continue
			}
			g = home + g[1:]
		}
		files, err := glob(g)
		if err != nil {
			continue
		}
		sort.Slice(files, func(i, j int) bool {
			vi, vj := soVersion(files[i]), soVersion(files[j])
			if vi != vj {
				return vi > vj
			}
			return files[i] < files[j]
		})
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// soVersion is the part after ".so." ("13" for libcublas.so.13), compared as text of equal length.
func soVersion(path string) string {
	i := strings.LastIndex(path, ".so.")
	if i < 0 {
		return ""
	}
	return path[i+4:]
}
