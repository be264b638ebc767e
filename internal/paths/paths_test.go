package paths

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree makes a folder of models, other files, folders, a hidden file and a
// link to a folder, and returns its path.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"resnet.onnx", "resnet.op13.onnx", "RESNET2.ONNX", "readme.md", "bert.onnx", ".hidden.onnx", "models/a.onnx"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "models"), filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestComplete(t *testing.T) {
	dir := tree(t) + "/"
	for _, c := range []struct {
		typed string
		want  []string
	}{
		{dir + "re", []string{dir + "resnet.onnx", dir + "resnet.op13.onnx", dir + "results/"}},
		{dir + "R", []string{dir + "RESNET2.ONNX"}},
		{dir, []string{dir + "RESNET2.ONNX", dir + "bert.onnx", dir + "linked/", dir + "models/", dir + "resnet.onnx", dir + "resnet.op13.onnx", dir + "results/"}},
		{dir + ".h", []string{dir + ".hidden.onnx"}},
		{dir + "models/", []string{dir + "models/a.onnx"}},
		{dir + "lin", []string{dir + "linked/"}},
		{dir + "readme", nil},
		{dir + "zzz", nil},
		{"~", []string{"~/"}},
	} {
		got, err := Complete(c.typed)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Complete(%q) = %q, %v; want %q", c.typed, got, err, c.want)
		}
	}
	if _, err := Complete(dir + "nope/x"); err == nil || !strings.HasSuffix(err.Error(), "nope/: no such file or directory") {
		t.Errorf("a missing folder: %v", err)
	}
}

// A path relative to the working folder lists the working folder, and "~/"
// the home folder, each kept as typed.
func TestCompleteRelativeAndHome(t *testing.T) {
	dir := tree(t)
	t.Chdir(dir)
	if got, err := Complete("b"); err != nil || !slices.Equal(got, []string{"bert.onnx"}) {
		t.Errorf("Complete(b) = %q, %v", got, err)
	}
	t.Setenv("HOME", dir)
	if got, err := Complete("~/models/"); err != nil || !slices.Equal(got, []string{"~/models/a.onnx"}) {
		t.Errorf("Complete(~/models/) = %q, %v", got, err)
	}
	if got, err := Expand("~/models/a.onnx"); err != nil || got != filepath.Join(dir, "models/a.onnx") {
		t.Errorf("Expand = %q, %v", got, err)
	}
	if got, _ := Expand("x~/a"); got != "x~/a" {
		t.Errorf("Expand of a path without a leading ~ = %q", got)
	}
}
