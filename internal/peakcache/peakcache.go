// Package peakcache keeps the devices' measured sgemm peaks, the figures
// every "% of peak" divides by, so that each is measured once per machine:
// one JSON file of entries by key, shared by the CPU and the CUDA engine,
// rewritten whole through a temporary file renamed over the old one, so a
// reader never sees half a file.
//
// It imports only the standard library; the engines build the keys.
package peakcache

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// FileName is the cache file's name in its folder.
const FileName = "peaks.json"

// Entry is one device's measured peak and what it was measured with.
type Entry struct {
	// GFLOPS is the measured sgemm rate.
	GFLOPS float64 `json:"gflops"`
	// Device is what was measured: the machine (host, CPU model, cores) or
	// the GPU (name and UUID).
	Device string `json:"device"`
	// Library is the BLAS the figure is for (the OpenBLAS build, the cuBLAS version).
	Library string `json:"library"`
	// Threads is the CPU thread count (CPU entries).
	Threads int `json:"threads,omitempty"`
	// Precision names the operand type the figure is the rate of (GPU
	// entries): "tf32", "fp16" or "bf16" for a tensor-core rate, "" for
	// float32. Entries written before precisions existed said "tf32": true,
	// which reads as "tf32".
	Precision string `json:"precision,omitempty"`
	// Measured is when.
	Measured time.Time `json:"measured"`
	// Runs is how many timed rounds GFLOPS is the best of; 0 in entries
	// written by versions that measured once, which the engines measure
	// again rather than trust.
	Runs int `json:"runs,omitempty"`
	// Spread is how far the rounds' median lay below the best, (best −
	// median) / best.
	Spread float64 `json:"spread,omitempty"`
	// Busy is the share of its threads' time the calibration got (CPU entries).
	Busy float64 `json:"busy,omitempty"`
}

// UnmarshalJSON reads an entry, an old one's "tf32": true as Precision "tf32".
func (e *Entry) UnmarshalJSON(b []byte) error {
	type plain Entry // without this method
	var v struct {
		plain
		TF32 bool `json:"tf32"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Entry(v.plain)
	if e.Precision == "" && v.TF32 {
		e.Precision = "tf32"
	}
	return nil
}

// file is the cache file's content.
type file struct {
	Entries map[string]Entry `json:"entries"`
}

// Cache is the cache file in one folder; the zero Cache caches nothing.
type Cache struct {
	dir string
}

// In is the cache in dir; "" caches nothing.
func In(dir string) Cache { return Cache{dir: dir} }

// Default is the cache in os.UserCacheDir()/infertop, or none when the
// user has no cache folder.
func Default() Cache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return Cache{}
	}
	return In(filepath.Join(dir, "infertop"))
}

// Path is the cache file's path ("" without a folder).
func (c Cache) Path() string {
	if c.dir == "" {
		return ""
	}
	return filepath.Join(c.dir, FileName)
}

// Get returns key's entry when the cache holds a positive figure for it. A
// missing or damaged file holds nothing.
func (c Cache) Get(key string) (Entry, bool) {
	e, ok := c.read().Entries[key]
	return e, ok && e.GFLOPS > 0
}

// All returns every entry the cache holds, by key (none without a file).
func (c Cache) All() map[string]Entry { return c.read().Entries }

// Delete removes key's entry, so that the next run measures the peak
// again; without a folder or an entry it does nothing.
func (c Cache) Delete(key string) error {
	f := c.read()
	if _, ok := f.Entries[key]; !ok || c.dir == "" {
		return nil
	}
	delete(f.Entries, key)
	return c.write(f)
}

func (c Cache) read() file {
	var f file
	if c.dir == "" {
		return f
	}
	if b, err := os.ReadFile(c.Path()); err == nil {
		_ = json.Unmarshal(b, &f) // a damaged cache is measured again and rewritten
	}
	return f
}

// Put stores e under key, keeping the other entries, and writes the file
// anew. Without a folder it does nothing.
func (c Cache) Put(key string, e Entry) error {
	if c.dir == "" {
		return nil
	}
	f := c.read()
	if f.Entries == nil {
		f.Entries = map[string]Entry{}
	}
	f.Entries[key] = e
	return c.write(f)
}

// write replaces the cache file with f.
func (c Cache) write(f file) error {
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, FileName+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), c.Path())
}
