package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a device family.
type Kind int

// Device families.
const (
	// CPU is the host processor.
	CPU Kind = iota
	// CUDA is one NVIDIA GPU, or all of them (data parallel).
	CUDA
)

// Device is a parsed device name.
type Device struct {
	Kind Kind
	// Ordinal is the CUDA ordinal (PCI bus order); -1 with All.
	Ordinal int
	// All means every visible GPU, data parallel ("cuda:all").
	All bool
}

// String is the canonical name: "cpu", "cuda:N" or "cuda:all".
func (d Device) String() string {
	switch {
	case d.Kind == CPU:
		return "cpu"
	case d.All:
		return "cuda:all"
	}
	return fmt.Sprintf("cuda:%d", d.Ordinal)
}

// ParseDevice accepts "cpu", "cuda" (= cuda:0), "cuda:N" and "cuda:all".
func ParseDevice(s string) (Device, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "cpu":
		return Device{Kind: CPU, Ordinal: -1}, nil
	case t == "cuda" || t == "gpu":
		return Device{Kind: CUDA}, nil
	case t == "cuda:all":
		return Device{Kind: CUDA, Ordinal: -1, All: true}, nil
	case strings.HasPrefix(t, "cuda:"):
		n, err := strconv.Atoi(t[len("cuda:"):])
		if err == nil && n >= 0 && n < 1024 {
			return Device{Kind: CUDA, Ordinal: n}, nil
		}
	}
	return Device{}, fmt.Errorf("unknown device %q (valid: cpu, cuda:N with N ≥ 0, cuda:all)", s)
}
