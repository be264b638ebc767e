package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit makes s exactly w cells wide and h lines tall: long lines are cut,
// short ones padded, missing lines added and extra ones dropped.
func fit(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	return strings.Join(lines, "\n")
}

// fitLine cuts or pads one line to exactly w cells. A line too wide is cut
// at the last space that fits, never inside a word or a figure, and ends in
// "…"; one without such a space is cut at w.
func fitLine(l string, w int) string {
	if lw := lipgloss.Width(l); lw > w {
		l = cutWords(l, w)
	}
	if lw := lipgloss.Width(l); lw < w {
		l += strings.Repeat(" ", w-lw)
	}
	return l
}

// cutWords cuts l (which may hold ANSI styles) to at most w cells at a word
// boundary, marking the cut with "…".
func cutWords(l string, w int) string {
	if w <= 1 {
		return ansi.Truncate(l, w, "")
	}
	plain := []rune(ansi.Strip(ansi.Truncate(l, w, "")))
	// The last space before which the text, and "…" after it, fit.
	for i := len(plain) - 1; i > 0; i-- {
		if plain[i] != ' ' {
			continue
		}
		head := strings.TrimRight(string(plain[:i]), " ")
		if hw := lipgloss.Width(head); hw > 0 && hw+1 <= w {
			return ansi.Truncate(l, hw, "") + "…"
		}
	}
	return ansi.Truncate(l, w, "")
}

// box draws a rounded frame of w×h cells with title in the top edge and
// content fitted inside.
func box(st styles, title, content string, w, h int) string {
	if w < 4 || h < 2 {
		return fit("", w, h)
	}
	inner := w - 2
	t := ansi.Truncate(" "+title+" ", max(inner-1, 0), "")
	top := st.border.Render("╭─") + st.title.Render(t) +
		st.border.Render(strings.Repeat("─", max(inner-1-lipgloss.Width(t), 0))+"╮")
	var b strings.Builder
	b.WriteString(top)
	if h > 2 {
		side := st.border.Render("│")
		for _, l := range strings.Split(fit(content, inner, h-2), "\n") {
			b.WriteString("\n" + side + l + side)
		}
	}
	b.WriteString("\n" + st.border.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return b.String()
}

// sideBySide joins two blocks of the same height.
func sideBySide(a, b string) string {
	return lipgloss.JoinHorizontal(lipgloss.Top, a, b)
}

// pack places segments on lines of at most w cells, two spaces apart, in
// order; a segment wider than w gets a line of its own (and is cut by fit).
func pack(w int, indent string, segs ...string) []string {
	var lines []string
	cur := ""
	for _, s := range segs {
		if s == "" {
			continue
		}
		switch {
		case cur == "":
			cur = indent + s
		case lipgloss.Width(cur)+2+lipgloss.Width(s) <= w:
			cur += "  " + s
		default:
			lines = append(lines, cur)
			cur = indent + s
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// joinFit joins segments two spaces apart, leaving out those that no longer fit in w.
func joinFit(w int, segs ...string) string {
	out := ""
	for _, s := range segs {
		switch {
		case out == "":
			out = s
		case lipgloss.Width(out)+2+lipgloss.Width(s) <= w:
			out += "  " + s
		}
	}
	return out
}
