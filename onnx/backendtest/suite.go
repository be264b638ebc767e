package backendtest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// DefaultRoot is where Debian's libonnx-testdata installs ONNX's backend tests.
const DefaultRoot = "/usr/share/libonnx-testdata/data"

// RootEnv names the environment variable that overrides DefaultRoot.
const RootEnv = "INFERTOP_ONNX_TESTDATA"

// Suites are the folders of a root that hold tests which carry their model
// (the "real" suite's models are downloaded, so it is not among them).
func Suites() []string { return []string{"node", "pytorch-converted", "pytorch-operator", "simple"} }

// Root is the directory the backend tests are read from: $INFERTOP_ONNX_TESTDATA, or DefaultRoot.
func Root() string {
	if r := os.Getenv(RootEnv); r != "" {
		return r
	}
	return DefaultRoot
}

// Case is one test directory.
type Case struct {
	// Suite names the set the test belongs to ("node", "pytorch-converted" ...).
	Suite string
	// Name is the directory's name ("test_relu").
	Name string
	// Dir is the directory's path.
	Dir string
}

// Discover lists the tests of the named suites under root, by suite in the
// order given, then by name. A suite folder that is absent is an error.
func Discover(root string, suites ...string) ([]Case, error) {
	var out []Case
	for _, s := range suites {
		found, err := DiscoverDir(filepath.Join(root, s), s)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// DiscoverDir lists the tests in dir, each a folder holding model.onnx, by
// name, as members of suite.
func DiscoverDir(dir, suite string) ([]Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", suite, err)
	}
	var out []Case
	for _, e := range entries {
		d := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(d, "model.onnx")); e.IsDir() && err == nil {
			out = append(out, Case{Suite: suite, Name: e.Name(), Dir: d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Info is what a test's model.onnx says of itself, read without the
// loader's checks so that a model it refuses can be classified too.
type Info struct {
	// Opset is the version of ONNX's default domain the model imports (0: none).
	Opset int
	// Ops are the op types its nodes use, sorted, each once; an op of another
	// domain than ONNX's default one is prefixed with it, as the loader names it.
	Ops []string
	// Outside are those of Ops infertop does not compute (not in model.SupportedOps).
	Outside []string
	// inputs are the graph inputs that are not initializers, as declared.
	inputs []declared
}

// declared is a graph input's declared shape: each dimension a size (≥ 0),
// or a name (size -1), or neither (size -1, no name).
type declared struct {
	name string
	dims []model.Dim
}

// Supported reports whether every op of the model is one infertop computes.
func (in Info) Supported() bool { return len(in.Outside) == 0 && len(in.Ops) > 0 }

// ReadInfo reads the opset, the ops and the inputs of an .onnx file.
func ReadInfo(path string) (Info, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Info{}, err
	}
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return Info{}, fmt.Errorf("%s: %w", path, err)
	}
	var info Info
	for _, o := range mp.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			info.Opset = int(o.GetVersion())
		}
	}
	known := model.SupportedOps()
	for _, n := range mp.GetGraph().GetNode() {
		op := n.GetOpType()
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			op = d + "." + op
		}
		if !slices.Contains(info.Ops, op) {
			info.Ops = append(info.Ops, op)
		}
	}
	sort.Strings(info.Ops)
	for _, op := range info.Ops {
		if !slices.Contains(known, op) {
			info.Outside = append(info.Outside, op)
		}
	}
	inits := map[string]bool{}
	for _, t := range mp.GetGraph().GetInitializer() {
		inits[t.GetName()] = true
	}
	for _, vi := range mp.GetGraph().GetInput() {
		if inits[vi.GetName()] {
			continue
		}
		d := declared{name: vi.GetName()}
		for _, dim := range vi.GetType().GetTensorType().GetShape().GetDim() {
			switch v := dim.GetValue().(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				d.dims = append(d.dims, model.Fixed(int(v.DimValue)))
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				d.dims = append(d.dims, model.Sym(v.DimParam))
			default:
				d.dims = append(d.dims, model.Dim{Size: -1})
			}
		}
		info.inputs = append(info.inputs, d)
	}
	return info, nil
}

// OpList is ops joined for a table cell ("Add, Mul").
func OpList(ops []string) string { return strings.Join(ops, ", ") }
