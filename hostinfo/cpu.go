package hostinfo

import (
	"bufio"
	"os"
	"strings"
)

// CPUInfo is where Linux describes the CPUs.
const CPUInfo = "/proc/cpuinfo"

// CPUModel returns the first "model name" in a cpuinfo file (CPUInfo
// normally), or "unknown".
func CPUModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
