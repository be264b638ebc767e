package session

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/presets"
)

// The dashboard's prompt opens a file into its catalog once, under its
// path (~ read as the home folder), with the dashboard's --dim bindings; a
// bad file is one line that begins with its path, and is not listed.
func TestAddModelFile(t *testing.T) {
	d := testDashboard(sleepMachine(), DashboardSpec{Dims: map[string]int{"seq": 16}}, gpus{}, nil, nil)
	cat := d.spec.Catalog
	for _, path := range []string{resnet, " " + resnet + " ", bert} {
		name, err := d.OpenModel(path)
		if want := strings.TrimSpace(path); err != nil || name != want {
			t.Fatalf("%q: %q, %v", path, name, err)
		}
	}
	if got := cat.Names(); !slices.Equal(got[len(got)-2:], []string{resnet, bert}) || len(got) != len(presets.NewModels(presets.DefaultSeed).Names())+2 {
		t.Errorf("catalog %q", got)
	}
	if m, err := cat.Get(bert); err != nil || m.Dims["seq"] != 16 {
		t.Errorf("bert: %v, dims %v", err, m.Dims)
	}

	empty, _, truncated := badFiles(t)
	for path, want := range map[string]string{
		"nope.onnx":          "nope.onnx: cannot read it: no such file or directory (accepted: the path of an .onnx file)",
		empty:                empty + ": not an ONNX model (the file is empty)",
		truncated:            truncated + ": truncated",
		unsupported:          unsupported + " needs what cannot be computed: Hardmax (opset 17) ×2, first \"hardmax_1\": op not supported; TopK",
		filepath.Dir(resnet): filepath.Dir(resnet) + ": cannot read it: is a directory (accepted: the path of an .onnx file)",
		"  ":                 "no path given (accepted: the path of an .onnx file)",
	} {
		name, err := d.OpenModel(path)
		var ue *UsageError
		if err == nil || !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %q, %v\nwant %s", path, name, err, want)
		}
		if cat.Has(path) && path != "  " {
			t.Errorf("%q is listed after failing", path)
		}
	}
	plain := testDashboard(sleepMachine(), DashboardSpec{}, gpus{}, nil, nil)
	if _, err := plain.OpenModel(bert); err == nil || !strings.HasSuffix(err.Error(), "bind it with --dim seq=N") {
		t.Errorf("bert without --dim: %v", err)
	}
}

// "~/" is the home folder, and a file named like a preset is listed as ./NAME.
func TestAddModelFileHomeAndPresetNames(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	whole, err := os.ReadFile(mlpGemm)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"m.onnx", "mlp"} {
		if err := os.WriteFile(filepath.Join(home, f), whole, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat := presets.NewModels(presets.DefaultSeed)
	if name, err := AddModelFile(cat, "~/m.onnx", nil); err != nil || name != filepath.Join(home, "m.onnx") {
		t.Errorf("~/m.onnx: %q, %v", name, err)
	}
	t.Chdir(home)
	name, err := AddModelFile(cat, "mlp", nil)
	if err != nil || name != "./mlp" {
		t.Fatalf("a file named mlp: %q, %v", name, err)
	}
	if m, _ := cat.Get("./mlp"); m.Source == presets.ModelSource {
		t.Errorf("./mlp is the preset")
	}
	if got, err := (&Dashboard{}).CompletePath("~/m"); err != nil || !slices.Equal(got, []string{"~/m.onnx"}) {
		t.Errorf("completions %q, %v", got, err)
	}
}
