package ui

import (
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/list"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// choice is one entry of a picker; unavailable entries are drawn greyed with
// the reason and cannot be picked.
type choice struct {
	name, detail string
	ok           bool
	why          string
	// opens marks the entry that opens the path prompt instead of naming a model.
	opens bool
}

// FilterValue is the name (filtering is off, but list.Item needs it).
func (c choice) FilterValue() string { return c.name }

// choiceDelegate draws one choice per line: the cursor, the mark of the
// current choice, the name in a column nameW cells wide, then the detail.
type choiceDelegate struct {
	st      *styles
	nameW   int
	current string
}

// Name columns: at least minNameW cells wide (the devices, the presets), at
// most maxNameW (a file's long path leaves room for its detail), and never
// more than half the row.
const (
	minNameW = 10
	maxNameW = 40
)

func (d choiceDelegate) Height() int                         { return 1 }
func (d choiceDelegate) Spacing() int                        { return 0 }
func (d choiceDelegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }

// Render writes the choice; the cursor row is reversed.
func (d choiceDelegate) Render(w io.Writer, m list.Model, index int, item list.Item) {
	c, ok := item.(choice)
	if !ok {
		return
	}
	width := max(m.Width(), 1)
	line := fitLine(choiceRow(c, index == m.Index(), c.name == d.current, d.nameW, width), width)
	switch {
	case index == m.Index():
		if !c.ok {
			line = d.st.selected.Render(d.st.dim.Render(line))
		} else {
			line = d.st.selected.Render(line)
		}
	case !c.ok:
		line = d.st.dim.Render(line)
	}
	fmt.Fprint(w, line)
}

// choiceRow is a choice's plain text in a row width cells wide: "›" on the
// cursor's row, "●" on the current choice's, the name padded to its column
// (cut at its start, where a file's path is least telling, when longer),
// then the detail or why the choice is unavailable. The detail starts in
// the same cell on every row.
func choiceRow(c choice, cursor, current bool, nameW, width int) string {
	mark := "  "
	if cursor {
		mark = "› "
	}
	if current {
		mark += "● "
	} else {
		mark += "  "
	}
	col := max(min(nameW, (width-lipgloss.Width(mark))/2), minNameW)
	name := c.name
	if nw := lipgloss.Width(name); nw > col {
		name = ansi.TruncateLeft(name, nw-col+1, "…")
	}
	name += strings.Repeat(" ", max(col-lipgloss.Width(name), 0))
	detail := c.detail
	if !c.ok {
		detail = "unavailable: " + c.why
	}
	return mark + name + " " + detail
}

// picker is a list of choices for the model or the device.
type picker struct {
	title string
	list  list.Model
}

func newPicker(st *styles, title string, items []choice, current string) picker {
	li := make([]list.Item, len(items))
	sel, nameW := 0, minNameW
	for i, c := range items {
		li[i] = c
		if c.name == current {
			sel = i
		}
		nameW = max(nameW, min(lipgloss.Width(c.name), maxNameW))
	}
	l := list.New(li, choiceDelegate{st: st, nameW: nameW, current: current}, 40, 10)
	l.SetShowTitle(false)
	l.SetShowStatusBar(false)
	l.SetShowHelp(false)
	l.SetFilteringEnabled(false)
	l.SetShowPagination(true)
	l.DisableQuitKeybindings()
	l.Select(sel)
	return picker{title: title, list: l}
}

// SetSize sizes the list inside a frame of w×h.
func (p *picker) SetSize(w, h int) { p.list.SetSize(max(w-2, 1), max(h-3, 1)) }

// selected returns the choice under the cursor.
func (p picker) selected() (choice, bool) {
	c, ok := p.list.SelectedItem().(choice)
	return c, ok
}

// View draws the hint, the list and, when the cursor is on an unavailable
// choice, its reason in full below the list (its row has room for the
// reason's start only).
func (p picker) View(st styles, w, h int) string {
	hint := st.dim.Render("↑/↓ move · enter pick · esc cancel")
	var why []string
	if c, ok := p.selected(); ok && !c.ok {
		why = wrap(st.dim, c.name+" is unavailable: "+c.why, w-2)
	}
	l := p.list // a copy: the reason's lines come out of this frame's list only
	l.SetHeight(max(h-3-len(why), 1))
	body := hint + "\n" + l.View()
	if len(why) > 0 {
		body += "\n" + strings.Join(why, "\n")
	}
	return box(st, p.title, body, w, h)
}
