package hostinfo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadMemory(t *testing.T) {
	hm, err := ReadMemory("testdata/nocg/")
	if err != nil || hm.Available != 20000000*1024 || !strings.Contains(hm.Source, "MemAvailable") {
		t.Errorf("without cgroup: %+v, %v", hm, err)
	}
	hm, err = ReadMemory("testdata/cg/")
	if err != nil || hm.Available != 3<<30 || hm.Source != "cgroup memory limit" {
		t.Errorf("with cgroup: %+v, %v", hm, err)
	}
	// ulimit -v 2000000 with 1,000,000 kB mapped: what is left of the address
	// space (below the cgroup's 3 GiB and the data limit's 4 GiB − 600,000 kB).
	hm, err = ReadMemory("testdata/ulimit/")
	if err != nil || hm.Available != 2048000000-1000000*1024 || hm.Source != "address-space limit (ulimit -v, RLIMIT_AS)" {
		t.Errorf("with ulimit -v: %+v, %v", hm, err)
	}
	if _, err := ReadMemory("testdata/missing/"); err == nil {
		t.Error("missing /proc/meminfo gave no error")
	}
}

func TestParseProc(t *testing.T) {
	stat := "4242 (infer top) R 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000 18446744073709551615"
	p, err := parseProc(stat, "25000 4000 1000 100 0 5000 0", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if p.CPU != 3*time.Second || p.Threads != 11 || p.RSSBytes != 4000*4096 {
		t.Fatalf("cpu %v threads %d rss %d", p.CPU, p.Threads, p.RSSBytes)
	}
	if _, err := parseProc("garbage", "1 2", 4096); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestThisProcess(t *testing.T) {
	p, err := ReadProcess(SelfDir)
	if err != nil || p.RSSBytes <= 0 || p.Threads <= 0 {
		t.Fatalf("%+v, %v", p, err)
	}
	if RSS() <= 0 {
		t.Fatal("RSS of this process is 0")
	}
	if _, err := ReadProcess(t.TempDir()); err == nil {
		t.Fatal("a folder without stat was read")
	}
}

func TestSamplerStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := StartSampler(ctx, time.Hour, SelfDir)
	r := <-h.C()
	if r.Err != "" || r.RSSBytes <= 0 || r.Threads <= 0 {
		t.Fatalf("first reading %+v", r)
	}
	cancel()
	h.Wait()
	if _, ok := <-h.C(); ok {
		t.Fatal("channel not closed after the sampler ended")
	}
}

func TestCPUModel(t *testing.T) {
	if got := CPUModel("testdata/cpuinfo"); got != "AMD EPYC 7B13 64-Core Processor" {
		t.Errorf("model %q", got)
	}
	if got := CPUModel("testdata/missing"); got != "unknown" {
		t.Errorf("missing file: %q", got)
	}
}

// The tighter of the two memory resource limits counts, and an unlimited
// one (or none readable) leaves the memory to MemAvailable and the cgroup.
func TestRlimitLeft(t *testing.T) {
	status := "VmSize:\t 1000000 kB\nVmData:\t  600000 kB\n"
	for _, c := range []struct {
		as, data string
		left     int64
		source   string
		ok       bool
	}{
		{"unlimited", "unlimited", 0, "", false},
		{"unlimited", "1000000000", 1000000000 - 600000*1024, "data-segment limit (ulimit -d, RLIMIT_DATA)", true},
		{"2048000000", "unlimited", 2048000000 - 1000000*1024, "address-space limit (ulimit -v, RLIMIT_AS)", true},
		{"500000000", "unlimited", 0, "address-space limit (ulimit -v, RLIMIT_AS)", true},
	} {
		root := t.TempDir() + "/"
		limits := "Max data size             " + c.data + "           unlimited            bytes\n" +
			"Max address space         " + c.as + "           unlimited            bytes\n"
		if err := os.MkdirAll(root+"proc/self", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(os.WriteFile(root+"proc/self/limits", []byte(limits), 0o644),
			os.WriteFile(root+"proc/self/status", []byte(status), 0o644)); err != nil {
			t.Fatal(err)
		}
		left, source, ok := rlimitLeft(root)
		if left != c.left || source != c.source || ok != c.ok {
			t.Errorf("as %s data %s: %d %q %v, want %d %q %v", c.as, c.data, left, source, ok, c.left, c.source, c.ok)
		}
	}
}

// The CPU count a thread count is bounded by: the affinity mask, or a
// smaller cgroup quota rounded up.
func TestUsableCPUs(t *testing.T) {
	for _, c := range []struct {
		files    map[string]string
		affinity int
		want     CPUs
	}{
		{nil, 2, CPUs{2, "affinity mask"}},
		{map[string]string{"sys/fs/cgroup/cpu.max": "max 100000\n"}, 8, CPUs{8, "affinity mask"}},
		{map[string]string{"sys/fs/cgroup/cpu.max": "150000 100000\n"}, 8, CPUs{2, "cgroup CPU quota"}},
		{map[string]string{"sys/fs/cgroup/cpu.max": "50000 100000\n"}, 8, CPUs{1, "cgroup CPU quota"}},
		{map[string]string{"sys/fs/cgroup/cpu.max": "800000 100000\n"}, 2, CPUs{2, "affinity mask"}},
		{map[string]string{"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "300000\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, 16, CPUs{3, "cgroup CPU quota"}},
		{map[string]string{"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, 16, CPUs{16, "affinity mask"}},
	} {
		root := t.TempDir() + "/"
		for name, text := range c.files {
			if err := os.MkdirAll(filepath.Dir(root+name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(root+name, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := usableCPUs(root, c.affinity); got != c.want {
			t.Errorf("%v, affinity %d: %v, want %v", c.files, c.affinity, got, c.want)
		}
	}
	if c := UsableCPUs("/"); c.N < 1 {
		t.Errorf("this machine: %v", c)
	}
}

// CPUTime grows by about the CPU time a busy loop spends, and never back.
func TestCPUTime(t *testing.T) {
	before := CPUTime()
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	_ = x
	if after := CPUTime(); before <= 0 || after <= before {
		t.Errorf("CPU time %v then %v", before, after)
	}
}
