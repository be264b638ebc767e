package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The batch prompt's example stays whole while nothing is typed, and a typed
// batch of the longest accepted length shows in full.
func TestBatchPromptShowsWholePlaceholder(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
	}{
		{"", "batch: e.g. 512"},
		{"123456789", "batch: 123456789"},
	} {
		m, _ := newTestModel(cpuSnapshot(), 80, 24)
		press(m, text("b"))
		for _, r := range tc.typed {
			press(m, text(string(r)))
		}
		v := m.render()
		checkSize(t, v, 80, 24)
		lines := strings.Split(ansi.Strip(v), "\n")
		prompt := lines[len(lines)-2]
		if !strings.Contains(prompt, tc.want) {
			t.Errorf("typed %q: prompt line %q, want it to show %q", tc.typed, prompt, tc.want)
		}
	}
}
