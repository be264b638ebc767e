package session

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"infertop/model"
	"infertop/onnx"
	"infertop/presets"
)

// NewCatalog is the models a session can run: the built-in presets (weights
// from presets.DefaultSeed), then each ONNX file of files under its path as
// given, loaded on first use with the named dimensions dims bound
// (`--dim seq=128`). A file listed twice is listed once; a file named like a
// preset is a *UsageError. Nothing is read here: OpenModels reads the files.
func NewCatalog(files []string, dims map[string]int) (*model.Catalog, error) {
	cat := presets.NewModels(presets.DefaultSeed)
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		if err := cat.Add(f, "ONNX file "+f, func() (*model.Model, error) {
			return onnx.Load(f, onnx.LoadOptions{Dims: dims})
		}); err != nil {
			return nil, usage("--model %s: a file may not have a preset's name; give its path as ./%s", f, f)
		}
	}
	return cat, nil
}

// OpenModels is NewCatalog with every file read, imported and checked at
// once, so that a bad file is refused before anything runs: a file that
// cannot be read, is not an ONNX model, or needs what cannot be computed
// (its whole list) is a *UsageError whose message begins with the file.
func OpenModels(files []string, dims map[string]int) (*model.Catalog, error) {
	cat, err := NewCatalog(files, dims)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := cat.Get(f); err != nil {
			return nil, &UsageError{Msg: modelError(f, err)}
		}
	}
	return cat, nil
}

// modelError says in one line why file could not be opened.
func modelError(file string, err error) string {
	var oe *onnx.Error
	var pe *fs.PathError
	switch {
	case errors.As(err, &oe):
		return oe.Error() // "x.onnx: truncated", or the unsupported list naming the file
	case errors.As(err, &pe):
		return fmt.Sprintf("%s: cannot read it: %v (accepted: the path of an .onnx file)", file, pe.Err)
	}
	return fmt.Sprintf("%s: %v", file, err)
}

// FixedBatchNote says that m, exported with a fixed batch, runs at that
// batch only ("" for a model whose batch is free).
func FixedBatchNote(m *model.Model) string {
	fb := m.FixedBatch()
	if fb == 0 {
		return ""
	}
	return fmt.Sprintf("%s was exported with a fixed batch of %d, so only batch %d is measured "+
		"(export it with a dynamic batch axis to measure others)", m.Name, fb, fb)
}

// CheckModel compiles m for each batch of batches, so that a batch the model
// cannot run at (a fixed-batch export at another batch: the model's own
// message, which says how to export it with a free batch) or a graph whose
// shapes do not work out is refused before anything runs.
func CheckModel(m *model.Model, batches []int) error {
	for _, b := range batches {
		if _, err := m.Bind(b); err != nil {
			return err
		}
	}
	return nil
}

// Preset returns the named built-in preset of cat, or says which names are
// presets (and that a file runs with --model).
func Preset(cat *model.Catalog, name string) (*model.Model, error) {
	names := presets.NewModels(presets.DefaultSeed).Names() // nothing is built
	for _, n := range names {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return cat.Get(n)
		}
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown preset %q (valid: %s; an ONNX file runs with --model FILE.onnx)", name, strings.Join(names, ", "))
}
