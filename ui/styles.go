package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles are built once per background (and again only when it changes); no
// View code builds styles of its own.
type styles struct {
	noColor bool

	title, border, label, value, dim, good, warn, bad, fake lipgloss.Style
	// chart colours for ntcharts.
	line, bar, spark, memUsed, memSelf lipgloss.Style
	// selected is the picker's cursor row.
	selected lipgloss.Style
	help     help.Styles
}

// newStyles builds the palette for a dark or light background; with noColor
// every style is plain (bold and reverse stay, as NO_COLOR allows).
func newStyles(isDark, noColor bool) styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	fg := func(col color.Color) lipgloss.Style {
		if noColor {
			return lipgloss.NewStyle()
		}
		return lipgloss.NewStyle().Foreground(col)
	}
	s := styles{noColor: noColor}
	s.title = fg(c("#1F4E9E", "#7AA2F7")).Bold(true)
	s.border = fg(c("#9CA3AF", "#4B5563"))
	s.label = fg(c("#4B5563", "#9CA3AF"))
	s.value = fg(c("#111827", "#E5E7EB")).Bold(true)
	s.dim = fg(c("#9CA3AF", "#6B7280"))
	s.good = fg(c("#047857", "#34D399")).Bold(true)
	s.warn = fg(c("#B45309", "#FBBF24")).Bold(true)
	s.bad = fg(c("#B91C1C", "#F87171")).Bold(true)
	s.fake = fg(c("#7E22CE", "#E879F9")).Bold(true)
	s.line = fg(c("#1D4ED8", "#60A5FA"))
	s.bar = fg(c("#0F766E", "#2DD4BF"))
	s.spark = fg(c("#047857", "#34D399"))
	s.memUsed = fg(c("#1D4ED8", "#60A5FA"))
	s.memSelf = fg(c("#B45309", "#FBBF24"))
	s.selected = lipgloss.NewStyle().Reverse(true)
	if noColor {
		s.help = help.Styles{}
	} else {
		s.help = help.DefaultStyles(isDark)
	}
	return s
}
