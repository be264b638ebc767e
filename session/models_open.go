package session

import (
	"slices"
	"strings"

	"infertop/internal/paths"
	"infertop/model"
	"infertop/onnx"
)

// CompletePath lists the completions of a path typed in the dashboard's
// "open a file…" prompt: the .onnx files and folders of its folder whose
// names begin with its last element (paths.Complete).
func (d *Dashboard) CompletePath(typed string) ([]string, error) { return paths.Complete(typed) }

// OpenModel opens the file at path for the dashboard (AddModelFile into its
// catalog, with its --dim bindings) and returns the model's name there.
func (d *Dashboard) OpenModel(path string) (string, error) {
	return AddModelFile(d.spec.Catalog, path, d.spec.Dims)
}

// AddModelFile reads, imports and checks the ONNX file at path (a leading
// "~" the home folder) with the named dimensions dims bound, adds it to cat
// under its path and returns that name; a file cat lists already is not
// read again. A file named like a preset is listed as ./NAME. Anything wrong
// with the file is a *UsageError of one line that begins with the path:
// one that cannot be read or is not a model, an unbound dimension, the whole
// list of what cannot be computed.
func AddModelFile(cat *model.Catalog, path string, dims map[string]int) (string, error) {
	name, err := paths.Expand(strings.TrimSpace(path))
	if err != nil {
		return "", &UsageError{Msg: err.Error()}
	}
	if name == "" {
		return "", usage("no path given (accepted: the path of an .onnx file)")
	}
	if _, err := Preset(cat, name); err == nil {
		name = "./" + name
	}
	if slices.Contains(cat.Names(), name) {
		if _, err := cat.Get(name); err != nil {
			return "", &UsageError{Msg: modelError(name, err)}
		}
		return name, nil
	}
	m, err := onnx.Load(name, onnx.LoadOptions{Dims: dims})
	if err != nil {
		return "", &UsageError{Msg: modelError(name, err)}
	}
	if err := CheckModel(m, []int{m.DefaultBatch}); err != nil {
		return "", &UsageError{Msg: err.Error()}
	}
	if err := cat.Add(name, "ONNX file "+name, func() (*model.Model, error) { return m, nil }); err != nil {
		// Opened twice at once: the first one listed it.
		if !slices.Contains(cat.Names(), name) {
			return "", err
		}
	}
	return name, nil
}
