package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"infertop/engine"
	"infertop/report"
	"infertop/session"
)

// inspectSynopsis is inspect's usage: what it prints, with examples.
const inspectSynopsis = "inspect FILE.onnx|PRESET [--batch B] [--dim NAME=N]... [--plan cuda [--precision fp32|tf32|fp16|bf16]] [--format table|json]\n\n" +
	"Describes a model without running it: its producer and opset, its inputs and outputs (the shapes as declared,\n" +
	"with their named dimensions, and at the batch), its nodes by op type, its parameters, its FLOPs per sample and per\n" +
	"batch, the memory the engines need at the batch (weights, inputs, the peak of live activations, and the estimate a\n" +
	"batch is checked against), and what each node became once compiled: one row per step the engines run, with the\n" +
	"ONNX nodes it covers, and a line summing up the fusion. A file with nodes that cannot be computed is described as\n" +
	"far as it can be, followed by every such node, and the exit code is 2. --plan cuda adds the CUDA engine's plan at the\n" +
	"batch, on any machine: each node's kernel launches and cuBLAS/cuDNN calls, and the device memory a run holds.\n\n" +
	"Examples:\n" +
	"  infertop inspect resnet50.onnx                  the batch is the model's default (1, or a fixed-batch export's)\n" +
	"  infertop inspect bert.onnx --dim seq=128 --batch 8\n" +
	"  infertop inspect resnet                         a built-in preset, as the engines run it\n" +
	"  infertop inspect resnet --plan cuda --batch 256 what the GPU runs, and its memory, without a GPU\n" +
	"  infertop inspect resnet --plan cuda --precision fp16   the same with half-precision products\n" +
	"  infertop inspect model.onnx --format json | jq '.memory.estimate_bytes'"

func runInspect(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "inspect", inspectSynopsis)
	batch := fs.Int("batch", 0, "the batch to work the shapes, FLOPs and memory out at (default: the model's)")
	var dims listFlag
	fs.Var(&dims, "dim", "the size of a named dimension of the file's inputs other than the batch, `NAME=N` (repeatable), e.g. --dim seq=128")
	format := fs.String("format", "table", "output format: table or json")
	plan := fs.String("plan", "", "also print an engine's plan at the batch: cuda (the CUDA engine's kernels, library calls and device memory; no GPU needed)")
	precision := fs.String("precision", "fp32", "with --plan cuda: the type the products take their operands in, "+engine.PrecisionNames+" (fp16 and bf16 plans convert operands and call cublasGemmEx; tf32 plans are fp32's, the cuBLAS math mode differs)")
	name, code, ok := parseWithOperand(fs, args, "a model: the path of an .onnx file or a preset's name (\"infertop presets\" lists them)")
	if !ok {
		return code
	}
	*format = strings.ToLower(*format)
	if !slices.Contains(report.InspectFormats(), *format) {
		return usageErr(env, "inspect", "unknown format %q (valid: %s)", *format, strings.Join(report.InspectFormats(), ", "))
	}
	if *batch < 0 || *batch > maxBatch {
		return usageErr(env, "inspect", "--batch %d is out of range (accepted: 1 to %d, or 0 for the model's default)", *batch, maxBatch)
	}
	bound, err := parseDims(dims)
	if err != nil {
		return usageErr(env, "inspect", "%v", err)
	}
	prec, err := parsePrecision("--precision", *precision)
	if err != nil {
		return usageErr(env, "inspect", "%v", err)
	}
	inspect := session.Inspect
	switch strings.ToLower(*plan) {
	case "":
		if prec != engine.FP32 {
			return usageErr(env, "inspect", "--precision %s applies to --plan cuda (the CPU engine computes in float32 only)", prec)
		}
	case "cuda":
		inspect = func(name string, dims map[string]int, batch int) (report.Inspection, error) {
			return session.InspectWithPlan(name, dims, batch, prec)
		}
	default:
		return usageErr(env, "inspect", "--plan %q: accepted: cuda (the CPU engine's steps are the compiled graph's, listed without --plan)", *plan)
	}
	ins, err := inspect(name, bound, *batch)
	if err != nil {
		return failed(env, "inspect", err)
	}
	if err := report.WriteInspection(env.Stdout, *format, ins); err != nil {
		fmt.Fprintf(env.Stderr, "infertop inspect: %v\n", err)
		return ExitFailure
	}
	if len(ins.Unsupported) > 0 {
		fmt.Fprintf(env.Stderr, "infertop inspect: %s has %d kind(s) of node that cannot be computed (listed above)\n", name, len(ins.Unsupported))
		return ExitUsage
	}
	if p := ins.GPUPlan; p != nil && len(p.Unsupported) > 0 {
		fmt.Fprintf(env.Stderr, "infertop inspect: the CUDA engine has no plan for %d kind(s) of node of %s (listed above)\n", len(p.Unsupported), name)
		return ExitUsage
	}
	return ExitOK
}

// parseWithOperand parses a command line of flags and exactly one operand,
// which may come before, between or after the flags; what says what the
// operand is, for the message when it is missing. It returns (operand, 0,
// true), or (_, code, false) when the command should stop, as parseFlags.
func parseWithOperand(fs *flag.FlagSet, args []string, what string) (string, int, bool) {
	parse := func(a []string) (int, bool) {
		if err := fs.Parse(a); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK, false
			}
			return ExitUsage, false
		}
		return 0, true
	}
	if code, ok := parse(args); !ok {
		return "", code, false
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(fs.Output(), "infertop %s: give %s\n", fs.Name(), what)
		return "", ExitUsage, false
	}
	operand := fs.Arg(0)
	if code, ok := parse(fs.Args()[1:]); !ok {
		return "", code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "infertop %s: unexpected argument %q (give one model)\n", fs.Name(), fs.Arg(0))
		return "", ExitUsage, false
	}
	return operand, 0, true
}
