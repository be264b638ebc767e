package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// A long file path (cut at its start) and a name of double-width letters.
const (
	longPath = "/home/someone/experiments/2024/exported/bert_base_uncased_seq128.onnx"
	widePath = "模型/分类器.onnx"
)

// pickerModel is a dashboard on mlp whose catalog holds the presets, a long
// path and a double-width one, with the model picker open and the cursor
// one row below the current model, sized w×h.
func pickerModel(t *testing.T, w, h int) *Model {
	t.Helper()
	m, _ := fileModel(t, cpuSnapshot(), reluModel(t, longPath, 0))
	if err := m.opts.Catalog.Add(widePath, "ONNX file with a wide name", nil); err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	press(m, text("p"))
	press(m, keyDown)
	return m
}

// pickerRows are the picker's rows in the view, frame stripped: one per
// entry, after the hint.
func pickerRows(t *testing.T, view string, n int) []string {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		if strings.Contains(l, "↑/↓ move") {
			if i+1+n > len(lines) {
				break
			}
			rows := lines[i+1 : i+1+n]
			for j, r := range rows {
				rows[j] = strings.TrimSuffix(strings.TrimPrefix(r, "│"), "│")
			}
			return rows
		}
	}
	t.Fatalf("no picker in the view:\n%s", ansi.Strip(view))
	return nil
}

// The detail column starts in the same cell on every row of the model
// picker: the cursor's, the current model's, a long path's and a wide
// name's, at any width.
func TestModelPickerColumnsAlign(t *testing.T) {
	names := []string{"linear", "mlp", "lenet5", "resnet", "transformer", longPath, widePath}
	for _, w := range []int{80, 100, 160} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			m := pickerModel(t, w, 24)
			rows := pickerRows(t, m.render(), len(names))
			col := -1
			for i, r := range rows {
				cells := detailCell(r)
				if col < 0 {
					col = cells
				}
				if cells != col {
					t.Errorf("row %d (%s) has its detail at cell %d, row 0 at %d:\n%s", i, names[i], cells, col, strings.Join(rows, "\n"))
				}
			}
			if !strings.HasPrefix(rows[1], "  ● mlp ") || !strings.HasPrefix(rows[2], "›   lenet5 ") {
				t.Errorf("the current mark or the cursor is not where it belongs:\n%s", strings.Join(rows, "\n"))
			}
			if !strings.Contains(rows[5], "…") || !strings.Contains(rows[5], "seq128.onnx ONNX") {
				t.Errorf("the long path is not cut at its start, keeping its base name: %q", rows[5])
			}
		})
	}
}

// detailCell is the cell where a picker row's detail starts: after the
// marks, the name and the spaces that pad it.
func detailCell(row string) int {
	rest := row[strings.IndexFunc(row, func(r rune) bool { return r != ' ' && r != '›' && r != '●' }):]
	name, _, _ := strings.Cut(rest, " ")
	after := strings.TrimLeft(rest[len(name):], " ")
	return lipgloss.Width(row) - lipgloss.Width(after)
}

// The model picker at two widths: at 80 columns the name column gives up
// half the row to the details.
func TestGoldenModelPicker(t *testing.T) {
	for _, w := range []int{80, 120} {
		name := fmt.Sprintf("model_picker_%dx24", w)
		t.Run(name, func(t *testing.T) {
			m := pickerModel(t, w, 24)
			v := m.render()
			checkSize(t, v, w, 24)
			golden(t, name, v)
		})
	}
}
