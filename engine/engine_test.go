package engine

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	good := map[string]string{"cpu": "cpu", " CPU ": "cpu", "cuda": "cuda:0", "cuda:3": "cuda:3", "cuda:all": "cuda:all"}
	for in, want := range good {
		d, err := ParseDevice(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDevice(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "tpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1.5"} {
		_, err := ParseDevice(in)
		if err == nil || !strings.Contains(err.Error(), "valid: cpu, cuda:N with N ≥ 0, cuda:all") {
			t.Errorf("ParseDevice(%q) error %v does not list the valid names", in, err)
		}
	}
}

func TestOOMError(t *testing.T) {
	err := error(&OOMError{Device: "cuda:0", Batch: 8192, Need: 9986310144, Available: 6549825126})
	if !errors.Is(err, ErrOutOfMemory) {
		t.Error("OOMError does not wrap ErrOutOfMemory")
	}
	if got, want := err.Error(), "batch 8192 needs 9.3 GiB on cuda:0, 6.1 GiB available"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRegistryExplainsMissingEngine(t *testing.T) {
	r := NewRegistry()
	r.Unavailable(CUDA, "built without CUDA")
	_, err := r.Open("cuda:0", nil, Options{})
	if err == nil || err.Error() != "device cuda:0 is not available in this build: built without CUDA" {
		t.Errorf("got %v", err)
	}
	if _, err := r.Open("npu", nil, Options{}); err == nil || !strings.Contains(err.Error(), "unknown device") {
		t.Errorf("got %v", err)
	}
}
