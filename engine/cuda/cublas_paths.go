package cuda

import (
	"sort"
	"strings"
)

// CublasEnv names the environment variable that points at a libcublas.so to use.
const CublasEnv = "INFERTOP_CUBLAS"

// cublasSonames are tried in order, the newest major version first.
func cublasSonames() []string {
	return []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}
}

// cublasGlobs find copies outside the loader's path: the CUDA toolkit's own
// folder and the Python wheels (nvidia-cublas-cu1x, pulled in by PyTorch, in
// site-packages/nvidia/cublas/lib or site-packages/nvidia/cu13/lib). "~" is the
// home directory.
func cublasGlobs() []string {
	var out []string
	for _, sp := range []string{
		"/opt/*/.venv/lib/python3*/site-packages",
		"/opt/*/venv/lib/python3*/site-packages",
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"~/.local/lib/python3*/site-packages",
	} {
		out = append(out, sp+"/nvidia/*/lib/libcublas.so.1[0-9]")
	}
	return append(out, "/usr/local/cuda*/lib64/libcublas.so.1[0-9]")
}

// CublasCandidates returns the libraries to try, in order: the path in
// INFERTOP_CUBLAS (when set), the sonames the dynamic loader resolves
// (libcublas.so.13, .12, .11), then the files the globs find (newest major
// version first within each glob). env and glob are injected for tests
// (os.Getenv and filepath.Glob in the engine).
func CublasCandidates(env func(string) string, home string, glob func(string) ([]string, error)) []string {
	var out []string
	if p := env(CublasEnv); p != "" {
		out = append(out, p)
	}
	out = append(out, cublasSonames()...)
	seen := map[string]bool{}
	for _, g := range cublasGlobs() {
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
