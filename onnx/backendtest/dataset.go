package backendtest

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"infertop/model"
	"infertop/onnx"
)

// DataSet is one test_data_set_N folder: the tensors fed to the model and
// those it must return, each in the order of its file's number.
type DataSet struct {
	// Name is the folder's name ("test_data_set_0").
	Name    string
	Inputs  []Named
	Outputs []Named
}

// Named is a tensor read from a file, with the name the file gives it (often empty).
type Named struct {
	Name   string
	Tensor *model.Tensor
}

// ReadDataSets reads every test_data_set_N folder of a test directory, in
// the order of N.
func ReadDataSets(dir string) ([]DataSet, error) {
	dirs, err := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if err != nil {
		return nil, err
	}
	sortNumbered(dirs, "test_data_set_")
	var out []DataSet
	for _, d := range dirs {
		ds := DataSet{Name: filepath.Base(d)}
		if ds.Inputs, err = readTensors(d, "input_"); err != nil {
			return nil, err
		}
		if ds.Outputs, err = readTensors(d, "output_"); err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no test_data_set_N folder", dir)
	}
	return out, nil
}

// readTensors reads the files prefixN.pb of dir in the order of N.
func readTensors(dir, prefix string) ([]Named, error) {
	files, err := filepath.Glob(filepath.Join(dir, prefix+"*.pb"))
	if err != nil {
		return nil, err
	}
	sortNumbered(files, prefix)
	out := make([]Named, 0, len(files))
	for _, f := range files {
		name, t, err := onnx.LoadTensor(f)
		if err != nil {
			return nil, err
		}
		out = append(out, Named{Name: name, Tensor: t})
	}
	return out, nil
}

// sortNumbered sorts paths whose base names are prefix, a number and maybe
// an extension by that number (input_10 after input_9).
func sortNumbered(paths []string, prefix string) {
	num := func(p string) int {
		s := strings.TrimPrefix(filepath.Base(p), prefix)
		s = strings.TrimSuffix(s, filepath.Ext(s))
		n, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return n
	}
	sort.SliceStable(paths, func(i, j int) bool { return num(paths[i]) < num(paths[j]) })
}

// match orders tensors as the values names list them: by the tensors' own
// names when every name is among them, else by position. what names the
// kind ("input", "output") for errors.
func match(names []string, ts []Named, what string) ([]*model.Tensor, error) {
	byName := map[string]*model.Tensor{}
	for _, t := range ts {
		if t.Name != "" {
			byName[t.Name] = t.Tensor
		}
	}
	out := make([]*model.Tensor, len(names))
	all := true
	for i, n := range names {
		if out[i] = byName[n]; out[i] == nil {
			all = false
		}
	}
	if all {
		return out, nil
	}
	if len(ts) != len(names) {
		return nil, fmt.Errorf("the data set holds %d %ss, the graph has %d (%s)", len(ts), what, len(names), strings.Join(names, ", "))
	}
	for i, t := range ts {
		out[i] = t.Tensor
	}
	return out, nil
}
