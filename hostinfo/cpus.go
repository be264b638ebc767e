package hostinfo

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// CPUs is how many CPUs this process may compute on at once.
type CPUs struct {
	// N is at least 1.
	N int
	// Source says what bounds N: "affinity mask" (the CPUs the process may
	// be scheduled on, which runtime.NumCPU reads) or "cgroup CPU quota".
	Source string
}

// String reads like "2 (affinity mask)".
func (c CPUs) String() string { return fmt.Sprintf("%d (%s)", c.N, c.Source) }

// UsableCPUs is the smaller of the CPUs in this process's affinity mask and
// the cgroup v2 (or v1) CPU quota under root ("/" normally), rounded up: a
// container limited to 1.5 CPUs computes on 2 threads at most.
func UsableCPUs(root string) CPUs { return usableCPUs(root, runtime.NumCPU()) }

func usableCPUs(root string, affinity int) CPUs {
	c := CPUs{N: max(affinity, 1), Source: "affinity mask"}
	if q, ok := cgroupCPUQuota(root); ok && q < c.N {
		c = CPUs{N: q, Source: "cgroup CPU quota"}
	}
	return c
}

// cgroupCPUQuota reads cpu.max (v2: "150000 100000", or "max 100000"
// without a quota) or cpu.cfs_quota_us over cpu.cfs_period_us (v1: −1
// without one) and returns the quota in whole CPUs, rounded up.
func cgroupCPUQuota(root string) (int, bool) {
	if b, err := os.ReadFile(root + "sys/fs/cgroup/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			q, err1 := strconv.ParseInt(f[0], 10, 64)
			p, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 == nil && err2 == nil {
				return wholeCPUs(q, p)
			}
		}
		return 0, false
	}
	for _, dir := range []string{"sys/fs/cgroup/cpu/", "sys/fs/cgroup/cpu,cpuacct/"} {
		q, ok1 := readInt(root + dir + "cpu.cfs_quota_us")
		p, ok2 := readInt(root + dir + "cpu.cfs_period_us")
		if ok1 && ok2 {
			return wholeCPUs(q, p)
		}
	}
	return 0, false
}

// wholeCPUs is quota/period rounded up; false for no quota.
func wholeCPUs(quota, period int64) (int, bool) {
	if quota <= 0 || period <= 0 {
		return 0, false
	}
	return int(max((quota+period-1)/period, 1)), true
}
