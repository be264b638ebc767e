package hostinfo

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// processLimit is one of this process's resource limits on memory (ulimit
// -v, ulimit -d) with what the process uses of it now.
type processLimit struct {
	// name is the limit's line in /proc/self/limits, field its usage's line
	// in /proc/self/status, source what a message calls it.
	name, field, source string
}

// memoryLimits are the resource limits an allocation can hit: the address
// space (RLIMIT_AS) counts every mapping, the data segment (RLIMIT_DATA)
// the private writable ones, where Go's heap lives. Either ends a Go
// program in "fatal error: out of memory", never in an error it can report.
var memoryLimits = []processLimit{
	{name: "Max address space", field: "VmSize:", source: "address-space limit (ulimit -v, RLIMIT_AS)"},
	{name: "Max data size", field: "VmData:", source: "data-segment limit (ulimit -d, RLIMIT_DATA)"},
}

// rlimitLeft returns the smallest room left under this process's memory
// resource limits (limit − what the process maps now) and which limit it
// is, from /proc/self/limits and /proc/self/status under root; false when
// no limit is set or the files cannot be read.
func rlimitLeft(root string) (int64, string, bool) {
	limits, err := os.ReadFile(root + "proc/self/limits")
	if err != nil {
		return 0, "", false
	}
	status, err := os.ReadFile(root + "proc/self/status")
	if err != nil {
		return 0, "", false
	}
	var (
		left   int64
		source string
		found  bool
	)
	for _, l := range memoryLimits {
		limit, ok := softLimit(limits, l.name)
		if !ok {
			continue
		}
		used, ok := statusBytes(status, l.field)
		if !ok {
			continue
		}
		if room := max(limit-used, 0); !found || room < left {
			left, source, found = room, l.source, true
		}
	}
	return left, source, found
}

// softLimit reads the soft limit of the named line of /proc/self/limits,
// in bytes; false when it is "unlimited" or absent.
func softLimit(limits []byte, name string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(limits))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 || f[0] == "unlimited" {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		return v, err == nil && v > 0
	}
	return 0, false
}

// statusBytes reads a "VmSize:   3896 kB" line of /proc/self/status in bytes.
func statusBytes(status []byte, field string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == field {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
