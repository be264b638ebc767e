package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"infertop/model"
	"infertop/session"
)

// modelFlags are --model FILE.onnx and --dim NAME=VALUE, both repeatable:
// the ONNX files a command runs besides (or instead of) a preset, and the
// sizes of the named dimensions of their inputs other than the batch.
type modelFlags struct {
	files, dims listFlag
}

// listFlag collects every value of a repeatable flag, in order.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// addModelFlags registers --model and --dim on fs; doc is --model's help,
// which names its value FILE.onnx in backquotes.
func addModelFlags(fs *flag.FlagSet, doc string) *modelFlags {
	mf := &modelFlags{}
	fs.Var(&mf.files, "model", doc)
	fs.Var(&mf.dims, "dim", "the size of a named dimension of the --model files' inputs other than the batch, `NAME=N` (repeatable), e.g. --dim seq=128")
	return mf
}

// modelUsage is the part of a command's usage that teaches --model and
// --dim, with an example of cmd.
func modelUsage(cmd, example string) string {
	return "\n\nA model is a preset (\"infertop presets\" lists them) or an ONNX file given with --model; --dim binds the\n" +
		"named dimensions of a file's inputs other than the batch (the first). For example:\n  infertop " + cmd + " " + example
}

// maxDim bounds a --dim size, as maxBatch bounds a batch.
const maxDim = maxBatch

// parseDims reads the --dim values: NAME=N with a positive N, each name once
// (or again with the same size).
func parseDims(values []string) (map[string]int, error) {
	accepted := fmt.Sprintf("accepted: NAME=N with N from 1 to %d, e.g. --dim seq=128", maxDim)
	dims := map[string]int{}
	for _, v := range values {
		name, size, ok := strings.Cut(v, "=")
		name, size = strings.TrimSpace(name), strings.TrimSpace(size)
		switch {
		case !ok:
			return nil, fmt.Errorf("--dim %q has no '=' (%s)", v, accepted)
		case name == "":
			return nil, fmt.Errorf("--dim %q names no dimension (%s)", v, accepted)
		}
		n, err := strconv.Atoi(size)
		if err != nil || n < 1 || n > maxDim {
			return nil, fmt.Errorf("--dim %q: %q is not a size (%s)", v, size, accepted)
		}
		if old, seen := dims[name]; seen && old != n {
			return nil, fmt.Errorf("--dim %s is given twice, as %d and %d (accepted: one size per name)", name, old, n)
		}
		dims[name] = n
	}
	return dims, nil
}

// catalog checks --dim and opens the session's catalog: the presets and
// every --model file, each read and checked now. Every error is the
// person's to fix (exit 2): a malformed --dim, --dim without a file, a file
// that cannot be read or run (its whole list of what cannot be computed).
func (mf *modelFlags) catalog() (*model.Catalog, error) {
	dims, err := parseDims(mf.dims)
	if err != nil {
		return nil, err
	}
	if len(dims) > 0 && len(mf.files) == 0 {
		return nil, fmt.Errorf("--dim %s binds dimensions of --model files, and no --model is given", mf.dims[0])
	}
	return session.OpenModels(mf.files, dims)
}

// one resolves the single model of a command that runs one: the --model
// file when one is given (with --preset not given as well), else the preset.
func (mf *modelFlags) one(fs *flag.FlagSet, cat *model.Catalog, preset string) (*model.Model, error) {
	switch {
	case len(mf.files) > 1:
		return nil, fmt.Errorf("--model is given %d times; %s runs one model", len(mf.files), fs.Name())
	case len(mf.files) == 1 && flagSet(fs, "preset"):
		return nil, fmt.Errorf("give --preset or --model, not both (%s runs one model)", fs.Name())
	case len(mf.files) == 1:
		return cat.Get(mf.files[0])
	}
	return session.Preset(cat, preset)
}

// single opens the catalog and resolves the one model of a command that
// runs one (catalog, then one): every error is the person's to fix.
func (mf *modelFlags) single(fs *flag.FlagSet, preset string) (*model.Catalog, *model.Model, error) {
	cat, err := mf.catalog()
	if err != nil {
		return nil, nil, err
	}
	mod, err := mf.one(fs, cat, preset)
	if err != nil {
		return nil, nil, err
	}
	return cat, mod, nil
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// dimsOf are the --dim bindings, once catalog has checked them.
func dimsOf(mf *modelFlags) map[string]int {
	dims, _ := parseDims(mf.dims)
	return dims
}
