package cli

import (
	"context"
	"fmt"
	"strings"

	"infertop/engine"
	"infertop/presets"
	"infertop/report"
	"infertop/session"
)

// inferSynopsis is infer's usage: what it writes, with examples.
const inferSynopsis = "infer --model FILE.onnx|--preset NAME [--input NAME=FILE.npy]... [--output DIR] [--batch B] [--dim NAME=N]... [--device cpu|cuda:N] [--precision fp32|tf32|fp16|bf16] [--seed N] [--reference]\n\n" +
	"Runs one batch of a model and writes each output as DIR/<output>.npy (NumPy's format; names made safe for a file),\n" +
	"so that infertop's outputs can be checked against another framework's on the same inputs. The batch runs twice and\n" +
	"the second run is kept and timed (the first warms up). Without --input the inputs are seeded random data, drawn as\n" +
	"bench and the dashboard draw theirs (float32 uniform in [-1, 1), token ids within the embedding table they index,\n" +
	"masks of ones), and are written to DIR/<input>.npy too. With --input every input of the model is given, each a\n" +
	".npy file of the dtype and shape the model wants at the batch (int32 and int64 files are both accepted for an\n" +
	"integer input); the batch is then the first file's first dimension unless --batch says otherwise. Each file is\n" +
	"written atomically: one already there is replaced only once the new one is complete. On a GPU the batch also runs\n" +
	"on the CPU engine in float32, and each output's difference from it is printed: the accuracy of --precision. \n" +
	"--reference also runs the plain reference kernels on the graph as loaded (no fusion, no engine) and prints each\n" +
	"output's difference from them. The exit code is 1 when an output differs from either by more than the precision's\n" +
	"tolerance (the selftest's: fp32 1e-3, tf32 and fp16 1e-2, bf16 5e-2).\n\n" +
	"Examples:\n" +
	"  infertop infer --model resnet50.onnx                          seeded input; writes infer-resnet50/output.npy and input.npy\n" +
	"  infertop infer --model resnet50.onnx --input input=x.npy --output out/\n" +
	"  infertop infer --model bert.onnx --dim seq=128 --input input_ids=ids.npy --input attention_mask=mask.npy\n" +
	"  infertop infer --preset resnet --batch 8 --reference\n" +
	"  infertop infer --preset transformer --device cuda:0 --precision fp16   (prints each output's error against fp32)\n" +
	"  python3 -c 'import numpy as np; a = np.load(\"out/output.npy\"); b = np.load(\"torch_out.npy\"); print(abs(a - b).max())'"

func runInfer(_ context.Context, env Env, args []string) int {
	return infer(env, args, session.NewMachine())
}

// infer runs one batch on m and writes its outputs.
func infer(env Env, args []string, m session.Machine) int {
	fs := newFlags(env, "infer", inferSynopsis)
	presetName := fs.String("preset", "", "a built-in preset to run (see \"infertop presets\")")
	models := addModelFlags(fs, "the ONNX model to run, `FILE.onnx`")
	var inputs listFlag
	fs.Var(&inputs, "input", "the data of one input, `NAME=FILE.npy` (repeatable: every input, or none for seeded data)")
	output := fs.String("output", "", "the folder to write the .npy files to, made when missing (default ./infer-<model>/)")
	batch := fs.Int("batch", 0, "the batch (default: the first --input file's first dimension, else the model's default)")
	deviceName := fs.String("device", "cpu", "device: cpu or cuda:N")
	seed := fs.Uint64("seed", presets.DefaultSeed, "the seed of the inputs drawn when no --input is given")
	reference := fs.Bool("reference", false, "also run the reference kernels and print each output's difference from them")
	precision := addPrecisionFlags(fs, "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int { return usageErr(env, "infer", format, a...) }
	if len(models.files) == 0 && *presetName == "" {
		return fail("give the model to run: --model FILE.onnx or --preset NAME (\"infertop presets\" lists the presets)")
	}
	if *batch < 0 || *batch > maxBatch {
		return fail("--batch %d is out of range (accepted: 1 to %d, or 0 for the default)", *batch, maxBatch)
	}
	files, err := parseInputs(inputs)
	if err != nil {
		return fail("%v", err)
	}
	_, mod, err := models.single(fs, *presetName)
	if err != nil {
		return fail("%v", err)
	}
	dev, err := runnableDevice(m, *deviceName)
	if err != nil {
		return fail("%v", err)
	}
	prec, err := precision.on(dev)
	if err != nil {
		return fail("%v", err)
	}
	inf, err := session.NewInfer(mod, dev, *batch, files, *seed)
	if err != nil {
		return failed(env, "infer", err)
	}
	inf.Precision = prec
	dir := *output
	if dir == "" {
		dir = session.InferDir(mod.Name)
	}
	if err := session.MakeOutputDir(dir); err != nil {
		return failed(env, "infer", err)
	}
	res, err := m.RunInfer(inf, *reference)
	if err != nil {
		return failed(env, "infer", err)
	}
	sum, err := writeInferFiles(dir, inf, res)
	if err != nil {
		return failed(env, "infer", err)
	}
	if err := report.WriteInferSummary(env.Stdout, sum); err != nil {
		fmt.Fprintf(env.Stderr, "infertop infer: %v\n", err)
		return ExitFailure
	}
	code := ExitOK
	if !report.DiffsAgree(res.CPUDiffs, sum.Tolerance) {
		fmt.Fprintf(env.Stderr, "infertop infer: %s on %s in %s differs from the CPU engine's float32 by more than %.0e (see above)\n", mod.Name, dev, prec, sum.Tolerance)
		code = ExitFailure
	}
	if *reference && !report.DiffsAgree(res.Diffs, sum.Tolerance) {
		fmt.Fprintf(env.Stderr, "infertop infer: %s on %s differs from the reference kernels by more than %.0e (see above)\n", mod.Name, dev, sum.Tolerance)
		code = ExitFailure
	}
	return code
}

// writeInferFiles writes the outputs (and seeded inputs) into dir and
// returns the summary that names the files.
func writeInferFiles(dir string, inf *session.Infer, res session.InferResult) (report.InferSummary, error) {
	eng := res.Info.Engine
	if res.Info.Detail != "" {
		eng += " · " + res.Info.Detail
	}
	sum := report.InferSummary{Model: inf.Model.Name, Device: inf.Device.String(), Engine: eng, Batch: inf.Batch,
		Seeded: inf.Seeded, Seed: inf.Seed, Took: res.Took, Diffs: res.Diffs, CPUDiffs: res.CPUDiffs, Tolerance: res.Info.Precision.Tolerance()}
	if inf.Device.Kind != engine.CPU {
		sum.Precision = res.Info.Precision.String()
	}
	taken := map[string]bool{}
	outs, err := session.WriteTensors(dir, res.Outputs, taken)
	if err != nil {
		return sum, err
	}
	for i, w := range outs {
		sum.Outputs = append(sum.Outputs, report.NewTensorStats(w.Name, res.Outputs[i].Tensor, w.Path))
	}
	if !inf.Seeded {
		return sum, nil
	}
	ins, err := session.WriteTensors(dir, inf.Inputs, taken)
	if err != nil {
		return sum, err
	}
	for i, w := range ins {
		sum.Inputs = append(sum.Inputs, report.NewTensorStats(w.Name, inf.Inputs[i].Tensor, w.Path))
	}
	return sum, nil
}

// parseInputs reads the --input values, NAME=FILE.npy each.
func parseInputs(values []string) ([]session.InputFile, error) {
	out := make([]session.InputFile, 0, len(values))
	for _, v := range values {
		name, path, ok := strings.Cut(v, "=")
		name, path = strings.TrimSpace(name), strings.TrimSpace(path)
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("--input %q is not NAME=FILE.npy (e.g. --input input_ids=ids.npy)", v)
		}
		out = append(out, session.InputFile{Name: name, Path: path})
	}
	return out, nil
}
