package cli

import (
	"context"
	"fmt"

	"infertop/presets"
	"infertop/report"
)

func runPresets(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "presets", "presets [--format table|json]\n\n"+
		"Lists the built-in presets. Any command runs an ONNX file instead with --model FILE.onnx (and --dim NAME=N for\n"+
		"the named dimensions of its inputs other than the batch), e.g. infertop bench --model bert.onnx --dim seq=128")
	format := fs.String("format", "table", "output format: table or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		return usageErr(env, "presets", "unknown format %q (valid: table, json)", *format)
	}
	if err := report.WritePresets(env.Stdout, *format, presets.NewModels(presets.DefaultSeed)); err != nil {
		fmt.Fprintf(env.Stderr, "infertop presets: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}
