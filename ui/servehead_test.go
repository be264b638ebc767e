package ui

import (
	"strings"
	"testing"

	"infertop/runner"
)

// The runner's note on its batcher's lateness has a line of the header;
// without one there is none.
func TestServingHeaderShowsTheLateNote(t *testing.T) {
	st := newStyles(true, true)
	sv := &runner.Serving{Arrival: "poisson:300", MaxBatch: 8, RequestSize: 1,
		LateNote: "the load generator and batcher woke up to 4.71ms late (p99)"}
	got := strings.Join(servingLines(st, sv, 160), "\n")
	if !strings.Contains(got, "woke up to 4.71ms late (p99)") {
		t.Errorf("header without the late note:\n%s", got)
	}
	sv.LateNote = ""
	if got := strings.Join(servingLines(st, sv, 160), "\n"); strings.Contains(got, "woke up") {
		t.Errorf("a late line with no note:\n%s", got)
	}
}
