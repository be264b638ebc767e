package cuda

import (
	_ "embed" // the PTX module is embedded
	"fmt"
	"regexp"
)

// The PTX is committed; regenerate it after editing kernels/kernels.cu with
// `go generate ./engine/cuda` (needs nvcc; compute_70 PTX runs on Volta and
// every later card, the driver JIT-compiles it on first load). The second
// step records the source's SHA-256 beside it, so that a test can tell a PTX
// older than its source (the host harness tests the source, the GPU runs the
// PTX).
//go:generate nvcc -ptx -arch=compute_70 -o kernels/kernels.ptx kernels/kernels.cu
//go:generate sh -c "sha256sum kernels/kernels.cu > kernels/kernels.cu.sha256"

// PTX is the kernel module loaded into every context.
//
//go:embed kernels/kernels.ptx
var PTX string

var entryRE = regexp.MustCompile(`(?m)^\s*\.(?:visible\s+)?\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)

// PTXEntries lists the kernel entry points a PTX module defines.
func PTXEntries(ptx string) []string {
	var out []string
	for _, m := range entryRE.FindAllStringSubmatch(ptx, -1) {
		out = append(out, m[1])
	}
	return out
}

// CheckPTX reports the first kernel the plans may launch that the PTX lacks.
func CheckPTX(ptx string) error {
	have := map[string]bool{}
	for _, e := range PTXEntries(ptx) {
		have[e] = true
	}
	for _, k := range KernelNames() {
		if !have[k] {
			return fmt.Errorf("embedded PTX lacks kernel %s (run go generate ./engine/cuda)", k)
		}
	}
	return nil
}
