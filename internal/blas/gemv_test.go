package blas

import (
	"strings"
	"testing"
)

// A vector too short for the matrix panics before the library reads it.
func TestSgemvShortVectorPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "too few") {
			t.Errorf("recovered %v, want a panic saying too few", r)
		}
	}()
	checkGemv(NoTrans, 4, 5, make([]float32, 20), 5, make([]float32, 4), make([]float32, 4))
}
