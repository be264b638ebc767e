//go:build !cgo || !unix

package blas

import "fmt"

func loadCBLAS(name string) (Library, error) { return nil, fmt.Errorf("%s: %w", name, errNoCgo) }
