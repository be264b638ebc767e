package hostinfo

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// tree is a powercap tree of two packages (with a core subzone and an MMIO
// duplicate, which are not counted) whose counters wrap at 1000 J.
func tree() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s + "\n")} }
	return fstest.MapFS{
		"intel-rapl:0/name":                     f("package-0"),
		"intel-rapl:0/energy_uj":                f("5000000"),
		"intel-rapl:0/max_energy_range_uj":      f("1000000000"),
		"intel-rapl:0:0/name":                   f("core"),
		"intel-rapl:0:0/energy_uj":              f("123"),
		"intel-rapl:0:0/max_energy_range_uj":    f("1000000000"),
		"intel-rapl:1/name":                     f("package-1"),
		"intel-rapl:1/energy_uj":                f("999000000"),
		"intel-rapl:1/max_energy_range_uj":      f("1000000000"),
		"intel-rapl-mmio:0/name":                f("package-0"),
		"intel-rapl-mmio:0/energy_uj":           f("1"),
		"intel-rapl-mmio:0/max_energy_range_uj": f("1000000000"),
	}
}

func set(t fstest.MapFS, zone, uj string) { t[zone+"/energy_uj"].Data = []byte(uj + "\n") }

// The packages' counters add up, and a wrap between two reads counts what
// was used across it.
func TestRAPLSumsPackagesAndUnwraps(t *testing.T) {
	fsys := tree()
	c, err := OpenRAPLFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if c.Zones() != "package-0, package-1" {
		t.Errorf("zones %q", c.Zones())
	}
	mj, err := c.Millijoules()
	if err != nil || mj != 0 {
		t.Fatalf("nothing used yet: %d mJ, %v", mj, err)
	}
	set(fsys, "intel-rapl:0", "7500000")  // +2.5 J
	set(fsys, "intel-rapl:1", "1500000")  // wrapped: +1 J to the top, +1.5 J after
	set(fsys, "intel-rapl:0:0", "999999") // a subzone: part of package-0's figure already
	if mj, err = c.Millijoules(); err != nil || mj != 5000 {
		t.Fatalf("after a wrap: %d mJ, %v; want 5000", mj, err)
	}
	set(fsys, "intel-rapl:0", "7500500") // +0.5 mJ: kept in µJ until it adds up
	if mj, _ = c.Millijoules(); mj != 5000 {
		t.Fatalf("%d mJ, want 5000", mj)
	}
	set(fsys, "intel-rapl:0", "7501000")
	if mj, _ = c.Millijoules(); mj != 5001 {
		t.Fatalf("%d mJ, want 5001", mj)
	}
}

// A read that fails adds nothing and says which package and why.
func TestRAPLReadFailure(t *testing.T) {
	fsys := tree()
	c, err := OpenRAPLFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	set(fsys, "intel-rapl:1", "lots")
	if _, err := c.Millijoules(); err == nil || !strings.Contains(err.Error(), `package-1: energy_uj: "lots" is not a counter`) {
		t.Fatalf("err %v", err)
	}
	set(fsys, "intel-rapl:1", "999000000")
	set(fsys, "intel-rapl:0", "6000000")
	if mj, err := c.Millijoules(); err != nil || mj != 1000 {
		t.Fatalf("%d mJ, %v: the failed read should have added nothing", mj, err)
	}
}

// denyEnergy refuses energy_uj as Linux does for users other than root.
type denyEnergy struct{ fs.FS }

func (d denyEnergy) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, "/energy_uj") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

func TestOpenRAPLSaysWhyThereIsNoCounter(t *testing.T) {
	if _, err := OpenRAPLFS(fstest.MapFS{}); !errors.Is(err, ErrNoRAPL) || !strings.Contains(err.Error(), "virtual machine") {
		t.Errorf("empty tree: %v", err)
	}
	if _, err := OpenRAPL(t.TempDir() + "/none"); !errors.Is(err, ErrNoRAPL) {
		t.Errorf("no powercap folder: %v", err)
	}
	if _, err := OpenRAPLFS(denyEnergy{tree()}); !errors.Is(err, ErrRAPLPermission) || !strings.Contains(err.Error(), "package-0: ") ||
		!strings.Contains(err.Error(), "root only") {
		t.Errorf("not root: %v", err)
	}
}
