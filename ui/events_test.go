package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"infertop/runner"
)

// A long warning is wrapped under its time stamp and read whole; older
// events that no longer fit are left out whole, newest kept at the bottom.
func TestEventsPanelWrapsLongEvents(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 11, 26, 12, 0, s, 0, time.UTC) }
	evs := []runner.Event{
		{Time: at(0), Kind: runner.EventStarted, Text: "started resnet on cpu"},
		{Time: at(3), Kind: runner.EventWarmupDone, Text: "warm-up done after 2.0 s (89 batches excluded)"},
		{Time: at(9), Kind: runner.EventWarning, Text: "a window reached 114 GFLOP/s, 174 % of the calibrated sgemm peak " +
			"(65.6 GFLOP/s): the calibration read low (a busy machine?); `infertop calibrate --device cpu --threads 2` measures it again"},
	}
	p := eventsPanel{w: 50, h: 10, loc: time.UTC}
	got := ansi.Strip(p.View(newStyles(true, true), evs))
	want := strings.Join([]string{
		"╭─ Events ───────────────────────────────────────╮",
		"│12:00:03 warm-up done after 2.0 s (89 batches   │",
		"│         excluded)                              │",
		"│12:00:09 a window reached 114 GFLOP/s, 174 % of │",
		"│         the calibrated sgemm peak (65.6        │",
		"│         GFLOP/s): the calibration read low (a  │",
		"│         busy machine?); `infertop calibrate    │",
		"│         --device cpu --threads 2` measures it  │",
		"│         again                                  │",
		"╰────────────────────────────────────────────────╯",
	}, "\n")
	if got != want {
		t.Errorf("events panel:\n%s\nwant:\n%s", got, want)
	}
	// Taller than the panel on its own: the newest event's first lines.
	p.h = 4
	got = ansi.Strip(p.View(newStyles(true, true), evs))
	if lines := strings.Split(got, "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "│12:00:09 a window reached") ||
		!strings.HasPrefix(lines[2], "│         the calibrated") {
		t.Errorf("short events panel:\n%s", got)
	}
}
