package session

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"infertop/model"
)

// Tensor names become file names that are safe and told apart; outputs and
// inputs written by two calls never share a file.
func TestWriteTensorsNamesFiles(t *testing.T) {
	dir := t.TempDir()
	one := model.Floats([]int{1}, []float32{1})
	taken := map[string]bool{}
	outs, err := WriteTensors(dir, []Named{{"/fc/Gemm_output_0", one}, {"onnx::Gemm_0", one}, {"onnx:/Gemm_0", one}, {"..", one}}, taken)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := WriteTensors(dir, []Named{{"onnx??Gemm_0", one}}, taken)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range append(outs, ins...) {
		got = append(got, filepath.Base(w.Path))
		if _, err := os.Stat(w.Path); err != nil {
			t.Error(err)
		}
	}
	if want := []string{"_fc_Gemm_output_0.npy", "onnx__Gemm_0.npy", "onnx__Gemm_0_2.npy", "_..npy", "onnx__Gemm_0_3.npy"}; !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
}

// The default folder is named after the model's stem.
func TestInferDir(t *testing.T) {
	for name, want := range map[string]string{resnet: "infer-resnet_narrow", "mlp": "infer-mlp", "/a b/x.y.onnx": "infer-x.y"} {
		if got := InferDir(name); got != want {
			t.Errorf("InferDir(%q) = %q, want %q", name, got, want)
		}
	}
}
