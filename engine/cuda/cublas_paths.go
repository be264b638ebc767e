package cuda

import (
	"path/filepath"
	"sort"
)

// CublasEnv names the environment variable that points at a libcublas.so to use.
const CublasEnv = "INFERTOP_CUBLAS"

// cublasSonames are tried in order: the newest major version first.
var cublasSonames = [...]string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}

// cublasGlobs find the copies that Python wheels (nvidia-cublas-cu1x, pulled in
// by PyTorch) carry; "~" stands for the home directory.
var cublasGlobs = [...]string{
	"/opt/*/.venv/lib/python3*/site-packages/nvidia/cublas/lib",
	"/opt/*/venv/lib/python3*/site-packages/nvidia/cublas/lib",
	"/usr/local/lib/python3*/dist-packages/nvidia/cublas/lib",
	"/usr/local/lib/python3*/site-packages/nvidia/cublas/lib",
	"/usr/lib/python3/dist-packages/nvidia/cublas/lib",
	"~/.local/lib/python3*/site-packages/nvidia/cublas/lib",
}

// CublasCandidates returns the libraries to try, in order: the path in
// INFERTOP_CUBLAS (when set), the sonames the dynamic loader resolves
// (libcublas.so.13, .12, .11), then each soname inside every Python wheel
// directory that glob finds. env and glob are injected for tests
// (os.Getenv and filepath.Glob in the engine).
func CublasCandidates(env func(string) string, home string, glob func(string) ([]string, error)) []string {
	var out []string
	if p := env(CublasEnv); p != "" {
		out = append(out, p)
	}
	out = append(out, cublasSonames[:]...)
	for _, g := range cublasGlobs {
		if g[0] == '~' {
			if home == "" {
				continue
			}
			g = home + g[1:]
		}
		dirs, err := glob(g)
		if err != nil {
			continue
		}
		sort.Strings(dirs)
		for _, d := range dirs {
			for _, so := range cublasSonames {
				out = append(out, filepath.Join(d, so))
			}
		}
	}
	return out
}
