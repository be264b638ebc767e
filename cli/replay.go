package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"infertop/internal/units"
	"infertop/presets"
	"infertop/record"
	"infertop/report"
	"infertop/ui"
)

// Replay speeds accepted by --speed.
const (
	minSpeed = 0.1
	maxSpeed = 100.0
)

// replaySayReadingFrom is the recording size from which replay says that it
// is reading the file before it starts to.
const replaySayReadingFrom = 16 << 20

// replayDeps are what replay reaches outside the process; tests replace them.
type replayDeps struct {
	isTerminal func(w io.Writer) bool
	// run runs the program (tea.Program.Run in production).
	run func(ctx context.Context, env Env, m tea.Model) error
}

func runReplay(ctx context.Context, env Env, args []string) int {
	return replayMain(ctx, env, args, replayDeps{
		isTerminal: isTerminal,
		run: func(ctx context.Context, env Env, m tea.Model) error {
			_, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(10), tea.WithOutput(env.Stdout)).Run()
			return err
		},
	})
}

// replayMain plays a recording. Bad flags, and a file that cannot be read,
// is not a recording or was written by a newer format, are usage errors
// (exit 2): the command line names the wrong thing.
func replayMain(ctx context.Context, env Env, args []string, deps replayDeps) int {
	fs := newFlags(env, "replay", "replay FILE [--speed 2x] [--from 1:30:00]")
	speedFlag := fs.String("speed", "1x", "playback speed, e.g. 2x, 0.5x (0.1x to 100x)")
	fromFlag := fs.String("from", "0", "where to start, as the replay bar shows it (1:30:00, 2:05) or a duration (90m, 125s)")
	// Flags may come before or after the file name.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if code, ok := parseOnly(fs, args); !ok {
		return code
	}
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	switch {
	case file == "":
		return usageErr(env, "replay", "which recording? (usage: infertop replay FILE [--speed 2x]; record one with --record FILE)")
	case len(rest) > 0:
		return usageErr(env, "replay", "unexpected argument %q", rest[0])
	}
	speed, err := parseSpeed(*speedFlag)
	if err != nil {
		return usageErr(env, "replay", "%v", err)
	}
	from, err := parsePosition(*fromFlag)
	if err != nil {
		return usageErr(env, "replay", "%v", err)
	}
	// Reading checks every line: an hour of dashboard (about 100 MB) takes
	// seconds, so say what is happening first.
	if st, err := os.Stat(file); err == nil && st.Size() >= replaySayReadingFrom {
		fmt.Fprintf(env.Stderr, "infertop replay: reading %s (%s)…\n", file, units.Bytes(st.Size()))
	}
	rec, err := record.Open(file)
	if err != nil {
		return usageErr(env, "replay", "%v", err)
	}
	defer rec.Close()
	if rec.Stopped != nil {
		fmt.Fprintf(env.Stderr, "infertop replay: %s is damaged: %s; replaying the %d entries before it\n", file, rec.Stopped, rec.Len())
	}
	if !rec.Has(record.KindSnapshot) {
		// A selftest records no snapshots (it measures no throughput), nor
		// does a run stopped before its first one: list what it holds.
		if err := report.WriteRecordingEvents(env.Stdout, filepath.Base(file), rec); err != nil {
			fmt.Fprintf(env.Stderr, "infertop replay: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	if from > rec.Duration() {
		return usageErr(env, "replay", "--from %s is past the end of the recording (%s long)", *fromFlag, ui.FormatPosition(rec.Duration()))
	}
	if !deps.isTerminal(env.Stdout) {
		fmt.Fprintln(env.Stderr, "infertop: the replay needs a terminal, and standard output is not one")
		return ExitUsage
	}
	m := ui.NewReplay(ui.ReplayOptions{Recording: rec, Name: filepath.Base(file), Speed: speed, From: from,
		Catalog: presets.NewModels(presets.DefaultSeed), NoColor: os.Getenv("NO_COLOR") != "", Dark: true})
	runErr := deps.run(ctx, env, m)
	switch {
	case errors.Is(runErr, tea.ErrProgramKilled) || errors.Is(runErr, tea.ErrInterrupted):
		return ExitInterrupted
	case runErr != nil:
		fmt.Fprintf(env.Stderr, "infertop replay: %v\n", runErr)
		return ExitFailure
	}
	return ExitOK
}

// parseSpeed reads "2x", "2", "0.5x" or "2×".
func parseSpeed(s string) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "x"), "×")
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v >= minSpeed && v <= maxSpeed) { // NaN compares false both ways
		return 0, fmt.Errorf("--speed %q is not a speed (accepted: %gx to %gx, e.g. 2x or 0.5x)", s, minSpeed, maxSpeed)
	}
	return v, nil
}

// parsePosition reads a position in a recording: h:mm:ss or m:ss, as the
// replay bar writes it, or a Go duration.
func parsePosition(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("--from %q is not a position (accepted: h:mm:ss or m:ss as the replay bar shows it, e.g. 1:30:00, or a duration, e.g. 90m)", s)
	if !strings.Contains(t, ":") {
		d, err := time.ParseDuration(t)
		switch {
		case err != nil:
			return 0, bad
		case d < 0:
			return 0, fmt.Errorf("--from %s is negative (accepted: a position from 0 to the recording's length)", s)
		}
		return d, nil
	}
	parts := strings.Split(t, ":")
	if len(parts) > 3 {
		return 0, bad
	}
	var d time.Duration
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (i > 0 && (len(p) != 2 || v > 59)) {
			return 0, bad
		}
		d = d*60 + time.Duration(v)
	}
	return d * time.Second, nil
}
