package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"infertop/report"
	"infertop/session"
)

func runDevices(ctx context.Context, env Env, args []string) int {
	return devicesMain(ctx, env, args, session.NewMachine())
}

type devicesFlags struct {
	format   string
	watch    bool
	interval time.Duration
	fake     int
	pcie     bool
}

func devicesMain(ctx context.Context, env Env, args []string, m session.Machine) int {
	fs := newFlags(env, "devices", "devices [--format table|json] [--watch] [--interval 500ms] [--fake-gpus N] [--pcie]")
	var f devicesFlags
	fs.StringVar(&f.format, "format", "table", "output format: table or json (with --watch: one JSON object per line)")
	fs.BoolVar(&f.watch, "watch", false, "print one line per GPU every interval until Ctrl-C")
	fs.DurationVar(&f.interval, "interval", session.DefaultInterval, "sampling interval (minimum 100ms)")
	fs.IntVar(&f.fake, "fake-gpus", 0, "simulate N GPUs (clearly labelled FAKE) instead of asking NVML")
	fs.BoolVar(&f.pcie, "pcie", false, "also sample PCIe TX/RX throughput (each read blocks about 20 ms)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case f.format != "table" && f.format != "json":
		return usageErr(env, "devices", "unknown format %q (valid: table, json)", f.format)
	case f.interval < session.MinInterval:
		return usageErr(env, "devices", "--interval %v is too short (the minimum is %v)", f.interval, session.MinInterval)
	case f.fake < 0 || f.fake > session.MaxFakeGPUs:
		return usageErr(env, "devices", "--fake-gpus %d is out of range (0 to %d)", f.fake, session.MaxFakeGPUs)
	}
	gpus := m.OpenGPUs(f.fake)
	defer gpus.Close()
	if f.watch {
		return watchDevices(ctx, env, f, gpus)
	}
	rep := gpus.Listing(f.pcie)
	if f.format == "json" {
		if err := report.JSON(env.Stdout, rep); err != nil {
			fmt.Fprintf(env.Stderr, "infertop devices: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	report.WriteDevicesTable(env.Stdout, rep)
	return ExitOK
}

// watchDevices prints one line per GPU per interval until ctx ends.
func watchDevices(ctx context.Context, env Env, f devicesFlags, gpus *session.GPUs) int {
	if err := gpus.Err(); err != nil {
		fmt.Fprintf(env.Stdout, "GPUs: none. %v\n", err)
		return ExitOK
	}
	enc := json.NewEncoder(env.Stdout)
	begin := func() {
		if f.format == "table" {
			report.WriteWatchHeader(env.Stdout, gpus.Fake())
		}
	}
	err := gpus.Watch(ctx, f.interval, f.pcie, begin, func(l report.WatchLine) error {
		if f.format == "json" {
			return enc.Encode(l)
		}
		report.WriteWatchLine(env.Stdout, l)
		return nil
	})
	if err != nil {
		return failed(env, "devices", err)
	}
	return ExitOK
}
