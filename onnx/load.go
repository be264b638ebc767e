package onnx

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// LoadOptions are what loading a model needs besides its file.
type LoadOptions struct {
	// Dims binds the named dimensions of the inputs other than the batch
	// (the command line's --dim seq=128). Every dimension of an input past
	// the first must be a fixed size or a name bound here; the model keeps
	// the bindings in Model.Dims.
	Dims map[string]int
}

// loader holds what one load needs: the directory external data is read
// from ("" refuses external data), opened as a root on first use so that no
// location can reach outside it.
type loader struct {
	dir  string
	root *os.Root
}

func (l *loader) close() {
	if l.root != nil {
		l.root.Close()
	}
}

// Load reads the .onnx file at path, and its external data from the files
// beside it. The model is named by path as given. An error about what the
// file holds is an *Error; any other is a failure to read a file.
func Load(path string, opts LoadOptions) (*model.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Read(path, data, filepath.Dir(path), opts)
}

// Read reads a model from the bytes of an .onnx file. name names the model
// and begins every error (the file's path, usually); dir is the directory
// its external data lies in ("" refuses external data). Errors are as Load's.
func Read(name string, data []byte, dir string, opts LoadOptions) (*model.Model, error) {
	l := &loader{dir: dir}
	defer l.close()
	m, err := l.model(name, data, opts)
	if err != nil {
		return nil, wrapErr(name, err)
	}
	return m, nil
}

// model parses a ModelProto and builds, sorts, checks and validates its graph.
func (l *loader) model(name string, data []byte, opts LoadOptions) (*model.Model, error) {
	mp := &onnxpb.ModelProto{}
	if err := unmarshal(data, mp, "an ONNX model"); err != nil {
		return nil, err
	}
	switch {
	case mp.GetGraph() == nil:
		return nil, errors.New("not an ONNX model (it holds no graph)")
	case mp.GetIrVersion() <= 0:
		return nil, errors.New("not an ONNX model (it has no IR version)")
	}
	opset, err := defaultOpset(mp.GetOpsetImport())
	if err != nil {
		return nil, err
	}
	gname := mp.GetGraph().GetName()
	if gname == "" {
		gname = name
	}
	b, err := l.graph(mp.GetGraph(), gname, opset)
	if err != nil {
		return nil, err
	}
	g := b.g
	g.Producer = strings.TrimSpace(mp.GetProducerName() + " " + mp.GetProducerVersion())
	if err := g.Sort(); err != nil {
		return nil, err
	}
	if err := checkDims(g, opts.Dims); err != nil {
		return nil, err
	}
	if list := unsupported(b); len(list) > 0 {
		return nil, &model.UnsupportedError{Graph: name, List: list}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	source := fmt.Sprintf("ONNX opset %d", opset)
	if g.Producer != "" {
		source += ", " + g.Producer
	}
	m := &model.Model{
		Name:        name,
		Description: fmt.Sprintf("ONNX IR version %d, graph %q, %s", mp.GetIrVersion(), gname, count(len(g.Nodes), "node")),
		Source:      source,
		Graph:       g,
		Dims:        maps.Clone(opts.Dims),
	}
	m.DefaultBatch = m.FixedBatch()
	if m.DefaultBatch == 0 {
		m.DefaultBatch = 1
	}
	return m, nil
}

// defaultOpset is the version of ONNX's default domain ("" or "ai.onnx") the
// model imports, which must lie in the opsets supported.
func defaultOpset(imports []*onnxpb.OperatorSetIdProto) (int, error) {
	accepted := fmt.Sprintf("accepted: opsets %d to %d", model.MinOpset, model.MaxOpset)
	found := int64(-1)
	for _, o := range imports {
		if d := o.GetDomain(); d != "" && d != "ai.onnx" {
			continue
		}
		if found >= 0 && o.GetVersion() != found {
			return 0, fmt.Errorf("the model imports ONNX's default domain twice, at opsets %d and %d", found, o.GetVersion())
		}
		found = o.GetVersion()
	}
	switch {
	case found < 0:
		return 0, fmt.Errorf("the model imports no opset of ONNX's default domain (%s)", accepted)
	case found < model.MinOpset || found > model.MaxOpset:
		return 0, fmt.Errorf("opset %d is not supported (%s)", found, accepted)
	}
	return int(found), nil
}

// unmarshal parses data as m; kind says what the file should hold ("an ONNX
// model"). A file that ends inside a field that m could hold is truncated;
// any other that does not parse is not what it should be.
func unmarshal(data []byte, m proto.Message, kind string) error {
	if len(data) == 0 {
		return fmt.Errorf("not %s (the file is empty)", kind)
	}
	err := proto.Unmarshal(data, m)
	if err == nil {
		return nil
	}
	if truncated(data, m.ProtoReflect().Descriptor()) {
		return errors.New("truncated")
	}
	msg := err.Error()
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return fmt.Errorf("not %s (protobuf: %s)", kind, msg)
}

// truncated reports whether data, read as the top-level fields of a message
// md describes, ends inside a field after at least one whole field md knows.
func truncated(data []byte, md protoreflect.MessageDescriptor) bool {
	fields := 0
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fields > 0 && errors.Is(protowire.ParseError(n), io.ErrUnexpectedEOF)
		}
		fd := md.Fields().ByNumber(num)
		if fd == nil || !wireFits(fd, typ) {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return fields > 0 && errors.Is(protowire.ParseError(m), io.ErrUnexpectedEOF)
		}
		data = data[n+m:]
		fields++
	}
	return false
}

// wireFits reports whether a field of fd's kind may be written with wire type typ.
func wireFits(fd protoreflect.FieldDescriptor, typ protowire.Type) bool {
	if typ == protowire.BytesType && (fd.IsList() || fd.Kind() == protoreflect.MessageKind ||
		fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind) {
		return true // lists of numbers may be packed
	}
	switch fd.Kind() {
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return typ == protowire.Fixed32Type
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return typ == protowire.Fixed64Type
	case protoreflect.MessageKind, protoreflect.StringKind, protoreflect.BytesKind, protoreflect.GroupKind:
		return false
	}
	return typ == protowire.VarintType
}
