package ui

import (
	"fmt"
	"strconv"
	"strings"
)

// defaultMaxBatch bounds typed batch sizes when Options.MaxBatch is 0.
const defaultMaxBatch = 1 << 24

// parseBatch reads a typed batch size.
func parseBatch(s string, maxBatch int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a positive integer", strings.TrimSpace(s))
	}
	if n > maxBatch {
		return 0, fmt.Errorf("batch %d is above the limit of %d", n, maxBatch)
	}
	return n, nil
}
