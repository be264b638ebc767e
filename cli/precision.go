package cli

import (
	"flag"
	"fmt"
	"strings"

	"infertop/engine"
)

// precisionHelp teaches what each precision means, for --precision's help.
const precisionHelp = "GPU: the type matrix products and convolutions take their operands in: " +
	"fp32 (full float32, the default); " +
	"tf32 (float32 operands rounded to 10-bit mantissas on tensor cores, PyTorch's allow_tf32; Ampere and later); " +
	"fp16 (operands converted to IEEE half: 10-bit mantissa, largest 65504); " +
	"bf16 (operands converted to bfloat16: 7-bit mantissa, float32's range; Ampere and later). " +
	"Sums are float32 in every precision, and norms, softmax, activations and residual sums stay float32. " +
	"The CPU computes in fp32 only"

// precisionFlags are --precision and its alias --tf32 (--precision tf32).
type precisionFlags struct {
	fs   *flag.FlagSet
	name *string
	tf32 *bool
}

// addPrecisionFlags defines --precision and --tf32 on fs; what, when not
// empty, says what else the precision reaches (e.g. the dashboard's s sweep).
func addPrecisionFlags(fs *flag.FlagSet, what string) precisionFlags {
	help := precisionHelp
	if what != "" {
		help = what + ". " + help
	}
	return precisionFlags{fs: fs,
		name: fs.String("precision", "fp32", help+" (accepted: "+engine.PrecisionNames+")"),
		tf32: fs.Bool("tf32", false, "the same as --precision tf32"),
	}
}

// value is the precision asked for, and the flag as the person gave it,
// for messages ("--precision fp16", or "--tf32").
func (p precisionFlags) value() (engine.Precision, string, error) {
	prec, err := parsePrecision("--precision", *p.name)
	if err != nil {
		return prec, "", err
	}
	if !*p.tf32 {
		return prec, "--precision " + prec.String(), nil
	}
	if flagSet(p.fs, "precision") && prec != engine.TF32 {
		return prec, "", fmt.Errorf("--tf32 is --precision tf32 and cannot go with --precision %s (give one of them)", prec)
	}
	return engine.TF32, "--tf32", nil
}

// on is the precision asked for, refused where device d cannot compute in it.
func (p precisionFlags) on(d engine.Device) (engine.Precision, error) {
	prec, given, err := p.value()
	if err != nil {
		return prec, err
	}
	return prec, checkPrecision(d, prec, given)
}

// parsePrecision reads one precision name given to flag.
func parsePrecision(flag, s string) (engine.Precision, error) {
	p, err := engine.ParsePrecision(s)
	if err != nil {
		return p, fmt.Errorf("%s %q is not a precision (accepted: %s)", flag, s, engine.PrecisionNames)
	}
	return p, nil
}

// checkPrecision accepts a precision other than fp32 only for a GPU: the
// reduced ones are tensor-core formats, and the CPU engine computes in
// float32 only. given is the flag as the person gave it.
func checkPrecision(d engine.Device, p engine.Precision, given string) error {
	if p != engine.FP32 && d.Kind != engine.CUDA {
		return fmt.Errorf("%s applies to CUDA devices (cuda:N, cuda:all), not %s: the CPU engine computes in float32 only", given, d)
	}
	return nil
}

// sidePrecisions reads compare's --precision A,B (or one for both) and its
// alias --tf32 off,on, into the precision of each side and the flag as the
// person gave it, for messages.
func sidePrecisions(fs *flag.FlagSet, precision, tf32 string) ([2]engine.Precision, [2]string, error) {
	var ps [2]engine.Precision
	var given [2]string
	names, err := perSide("--precision", precision, "e.g. fp32,fp16")
	if err != nil {
		return ps, given, err
	}
	for i, n := range names {
		if ps[i], err = parsePrecision("--precision", n); err != nil {
			return ps, given, fmt.Errorf("--precision %q: %q is not a precision (accepted: %s, one for both or one per side)", precision, n, engine.PrecisionNames)
		}
		given[i] = "--precision " + ps[i].String()
	}
	if !flagSet(fs, "tf32") {
		return ps, given, nil
	}
	settings, err := perSide("--tf32", tf32, "e.g. off,on")
	if err != nil {
		return ps, given, err
	}
	var fromTF32 [2]engine.Precision
	for i, s := range settings {
		switch strings.TrimSpace(s) {
		case "on":
			fromTF32[i] = engine.TF32
		case "off":
		default:
			return ps, given, fmt.Errorf("--tf32 %q: %q is not a setting (accepted: on or off, one for both or one per side; --tf32 off,on is --precision fp32,tf32)", tf32, s)
		}
	}
	if flagSet(fs, "precision") && fromTF32 != ps {
		return ps, given, fmt.Errorf("--tf32 %s is --precision %s,%s and cannot go with --precision %s (give one of them)", tf32, fromTF32[0], fromTF32[1], precision)
	}
	for i := range given {
		given[i] = "--tf32 " + strings.TrimSpace(settings[i])
	}
	return fromTF32, given, nil
}

// perSide splits a compare flag's value into one per side: two values, or
// one for both.
func perSide(flag, v, example string) ([]string, error) {
	vs := strings.Split(v, ",")
	if len(vs) == 1 {
		vs = append(vs, vs[0])
	}
	if len(vs) != 2 {
		return nil, fmt.Errorf("%s %q must be one setting or two, %s", flag, v, example)
	}
	return vs, nil
}
