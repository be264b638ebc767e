package peakcache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutKeepsOtherEntriesAndGetSkipsZero(t *testing.T) {
	c := In(filepath.Join(t.TempDir(), "infertop"))
	if _, ok := c.Get("cpu|a"); ok {
		t.Fatal("an empty cache has an entry")
	}
	if err := c.Put("cpu|a", Entry{GFLOPS: 20, Threads: 2}); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("cuda|b", Entry{GFLOPS: 5e4, Precision: "fp16"}); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Get("cpu|a"); !ok || e.GFLOPS != 20 || e.Threads != 2 {
		t.Errorf("cpu entry %+v, %v", e, ok)
	}
	if e, ok := c.Get("cuda|b"); !ok || e.Precision != "fp16" {
		t.Errorf("cuda entry %+v, %v", e, ok)
	}
	if err := c.Put("cpu|zero", Entry{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("cpu|zero"); ok {
		t.Error("a zero figure counts as cached")
	}
	b, _ := os.ReadFile(c.Path())
	if !strings.Contains(string(b), `"cuda|b"`) || !strings.Contains(string(b), `"gflops": 20`) ||
		!strings.Contains(string(b), `"precision": "fp16"`) || strings.Contains(string(b), "tf32") {
		t.Errorf("file:\n%s", b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(c.Path()), FileName+".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestDamagedOrMissingFolder(t *testing.T) {
	c := In(t.TempDir())
	os.WriteFile(c.Path(), []byte("{not json"), 0o644)
	if _, ok := c.Get("k"); ok {
		t.Fatal("a damaged file has an entry")
	}
	if err := c.Put("k", Entry{GFLOPS: 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("k"); !ok {
		t.Fatal("the damaged file was not rewritten")
	}
	var none Cache
	if err := none.Put("k", Entry{GFLOPS: 1}); err != nil || none.Path() != "" {
		t.Fatalf("the zero cache: %v, %q", err, none.Path())
	}
	if _, ok := none.Get("k"); ok {
		t.Fatal("the zero cache holds an entry")
	}
}

// Delete drops one entry and keeps the others; All lists them.
func TestDeleteAndAll(t *testing.T) {
	c := In(filepath.Join(t.TempDir(), "infertop"))
	if err := c.Delete("none"); err != nil {
		t.Fatalf("deleting from no file: %v", err)
	}
	for k, g := range map[string]float64{"cpu|1": 80, "cpu|2": 150} {
		if err := c.Put(k, Entry{GFLOPS: g, Runs: 7, Spread: 0.03}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete("cpu|2"); err != nil {
		t.Fatal(err)
	}
	all := c.All()
	if len(all) != 1 || all["cpu|1"].GFLOPS != 80 || all["cpu|1"].Runs != 7 || all["cpu|1"].Spread != 0.03 {
		t.Errorf("after Delete: %+v", all)
	}
	if err := (Cache{}).Delete("cpu|1"); err != nil || (Cache{}).All() != nil {
		t.Errorf("the zero cache: %v %v", err, (Cache{}).All())
	}
}

// A file written before precisions existed marks the TF32 rate "tf32":
// true; it reads as precision tf32, and float32 entries as "".
func TestOldTF32EntriesReadAsTF32(t *testing.T) {
	c := In(t.TempDir())
	old := `{"entries": {"cuda|tf32": {"gflops": 1e5, "device": "H100", "library": "cuBLAS 12", "tf32": true},
		"cuda|fp32": {"gflops": 5e4, "device": "H100", "library": "cuBLAS 12"}}}`
	if err := os.WriteFile(c.Path(), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Get("cuda|tf32"); !ok || e.Precision != "tf32" || e.GFLOPS != 1e5 || e.Device != "H100" {
		t.Errorf("old TF32 entry: %+v, %v", e, ok)
	}
	if e, ok := c.Get("cuda|fp32"); !ok || e.Precision != "" {
		t.Errorf("old float32 entry: %+v, %v", e, ok)
	}
	if err := c.Put("cpu|a", Entry{GFLOPS: 1}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(c.Path())
	if strings.Contains(string(b), `"tf32": true`) || !strings.Contains(string(b), `"precision": "tf32"`) {
		t.Errorf("rewritten file keeps the old field or loses the precision:\n%s", b)
	}
}
