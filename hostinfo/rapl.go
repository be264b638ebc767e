package hostinfo

// RAPL reads the CPU packages' cumulative energy counters that Linux
// exposes through powercap: one zone /sys/class/powercap/intel-rapl:N per
// package (the name is Intel's, the driver serves AMD Zen too), whose
// energy_uj counts microjoules and wraps at max_energy_range_uj.
//
// A package counter covers the whole package: every core, the uncore and
// whatever else runs there, idle power included. That is the CPU's
// counterpart of NVML's GPU energy counter, and what `perf stat -e
// power/energy-pkg/` reports.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DefaultRAPLRoot is where Linux exposes powercap.
const DefaultRAPLRoot = "/sys/class/powercap"

// Errors OpenRAPL wraps; their texts are what displays show.
var (
	// ErrNoRAPL: no package zone (a virtual machine, a kernel without
	// the intel_rapl driver, another OS).
	ErrNoRAPL = errors.New("no RAPL package energy counter (powercap intel-rapl zones are missing: a virtual machine, or a kernel without the intel_rapl_msr module)")
	// ErrRAPLPermission: the counters exist but this user may not read them
	// (root only since Linux 5.10).
	ErrRAPLPermission = errors.New("the RAPL energy counters are readable by root only (energy_uj is mode 0400 since Linux 5.10)")
)

// packageZone matches a top-level zone; its subzones (core, uncore, dram)
// are named intel-rapl:N:M and are parts of the package's figure.
var packageZone = regexp.MustCompile(`^intel-rapl:[0-9]+$`)

// RAPL is the sum of the packages' counters, unwrapped: each read adds
// what every counter advanced since the last read, taking one wrap into
// account. Reads must come often enough that no counter wraps twice between
// two of them (max_energy_range_uj is 262 J to 262 kJ, minutes at a
// package's power; the runner reads once per one-second window). It is safe
// for concurrent use.
type RAPL struct {
	mu    sync.Mutex
	fsys  fs.FS
	zones []zone
	total uint64 // µJ since Open
}

type zone struct {
	name     string // "package-0"
	energy   string // path of energy_uj
	maxRange uint64 // µJ at which energy_uj wraps to 0
	last     uint64
}

// OpenRAPL finds the package zones under root (DefaultRAPLRoot when empty)
// and reads each counter once. The error wraps ErrNoRAPL or
// ErrRAPLPermission when one of those is why.
func OpenRAPL(root string) (*RAPL, error) {
	if root == "" {
		root = DefaultRAPLRoot
	}
	return OpenRAPLFS(os.DirFS(root))
}

// OpenRAPLFS is OpenRAPL on a powercap tree in fsys (a fake one in tests).
func OpenRAPLFS(fsys fs.FS) (*RAPL, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("rapl: %w", err)
	}
	c := &RAPL{fsys: fsys}
	for _, e := range entries {
		if !packageZone.MatchString(e.Name()) {
			continue
		}
		name, err := c.readText(path.Join(e.Name(), "name"))
		if err != nil || !strings.HasPrefix(name, "package") {
			continue
		}
		z := zone{name: name, energy: path.Join(e.Name(), "energy_uj")}
		if z.maxRange, err = c.readUint(path.Join(e.Name(), "max_energy_range_uj")); err != nil {
			return nil, fmt.Errorf("rapl: %s: %w", name, err)
		}
		if z.last, err = c.readUint(z.energy); err != nil {
			return nil, fmt.Errorf("rapl: %s: %w", name, err)
		}
		c.zones = append(c.zones, z)
	}
	if len(c.zones) == 0 {
		return nil, ErrNoRAPL
	}
	sort.Slice(c.zones, func(i, j int) bool { return c.zones[i].name < c.zones[j].name })
	return c, nil
}

// Zones names the packages counted, e.g. "package-0, package-1".
func (c *RAPL) Zones() string {
	names := make([]string, len(c.zones))
	for i, z := range c.zones {
		names[i] = z.name
	}
	return strings.Join(names, ", ")
}

// Millijoules reads every counter and returns the energy the packages used
// since OpenRAPL. On a failed read nothing is added.
func (c *RAPL) Millijoules() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := make([]uint64, len(c.zones))
	for i, z := range c.zones {
		v, err := c.readUint(z.energy)
		if err != nil {
			return 0, fmt.Errorf("rapl: %s: %w", z.name, err)
		}
		now[i] = v
	}
	for i := range c.zones {
		z := &c.zones[i]
		if now[i] >= z.last {
			c.total += now[i] - z.last
		} else {
			c.total += now[i] + z.maxRange - z.last // wrapped once
		}
		z.last = now[i]
	}
	return c.total / 1000, nil
}

func (c *RAPL) readText(name string) (string, error) {
	b, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "", ErrRAPLPermission
		}
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func (c *RAPL) readUint(name string) (uint64, error) {
	s, err := c.readText(name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a counter", path.Base(name), s)
	}
	return v, nil
}
