package onnx

import (
	"fmt"
	"os"
	"path/filepath"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// LoadTensor reads a file holding one serialized TensorProto, the form of
// the inputs and outputs of ONNX's backend tests
// (test_data_set_0/input_0.pb), and returns the tensor's name (empty when it
// has none) and its data, converted as initializers are. External data is
// read from the file's directory. Errors are as Load's; a dtype that cannot
// be computed is an *Error.
func LoadTensor(path string) (string, *model.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	return ParseTensor(path, data, filepath.Dir(path))
}

// ParseTensor reads a tensor from the bytes of a serialized TensorProto;
// file begins every error, and dir is the directory its external data lies
// in ("" refuses external data).
func ParseTensor(file string, data []byte, dir string) (string, *model.Tensor, error) {
	l := &loader{dir: dir}
	defer l.close()
	name, t, err := l.tensorFile(data)
	if err != nil {
		return "", nil, wrapErr(file, err)
	}
	return name, t, nil
}

func (l *loader) tensorFile(data []byte) (string, *model.Tensor, error) {
	tp := &onnxpb.TensorProto{}
	if err := unmarshal(data, tp, "an ONNX tensor"); err != nil {
		return "", nil, err
	}
	what := fmt.Sprintf("tensor %q", tp.GetName())
	t, err := l.tensor(tp, what)
	if err != nil {
		return "", nil, err
	}
	if !t.DType.Computable() {
		return "", nil, fmt.Errorf("%s has dtype %s, which cannot be computed (accepted: float32, int64, int32, bool)", what, t.DType)
	}
	return tp.GetName(), t, nil
}
