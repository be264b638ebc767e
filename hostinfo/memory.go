package hostinfo

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Memory is how much memory a new allocation on the host may use.
type Memory struct {
	// Available is the smallest of MemAvailable, the cgroup's remaining
	// limit and the room left under this process's address-space and
	// data-segment limits, in bytes.
	Available int64
	// Source says where Available came from ("MemAvailable in
	// /proc/meminfo", "cgroup memory limit", "address-space limit (ulimit
	// -v, RLIMIT_AS)", "data-segment limit (ulimit -d, RLIMIT_DATA)").
	Source string
}

// ReadMemory reads /proc/meminfo, the cgroup v2 (or v1) limit and this
// process's memory resource limits (/proc/self/limits against
// /proc/self/status) under root ("/" normally).
func ReadMemory(root string) (Memory, error) {
	mi, err := os.ReadFile(root + "proc/meminfo")
	if err != nil {
		return Memory{}, fmt.Errorf("reading memory size: %w", err)
	}
	avail, err := memAvailable(mi)
	if err != nil {
		return Memory{}, err
	}
	hm := Memory{Available: avail, Source: "MemAvailable in /proc/meminfo"}
	if left, ok := cgroupLeft(root); ok && left < hm.Available {
		hm = Memory{Available: left, Source: "cgroup memory limit"}
	}
	if left, source, ok := rlimitLeft(root); ok && left < hm.Available {
		hm = Memory{Available: left, Source: source}
	}
	return hm, nil
}

func memAvailable(meminfo []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing MemAvailable %q: %w", f[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no MemAvailable line in /proc/meminfo")
}

// cgroupLeft returns limit − usage of this process's cgroup, when a limit is set.
func cgroupLeft(root string) (int64, bool) {
	pairs := [][2]string{
		{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory.current"},
		{"sys/fs/cgroup/memory/memory.limit_in_bytes", "sys/fs/cgroup/memory/memory.usage_in_bytes"},
	}
	for _, p := range pairs {
		limit, ok1 := readInt(root + p[0])
		used, ok2 := readInt(root + p[1])
		// cgroup v1 reports "no limit" as a huge page-aligned number.
		if ok1 && ok2 && limit > 0 && limit < 1<<60 {
			return max(limit-used, 0), true
		}
	}
	return 0, false
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}
