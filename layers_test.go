package main

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers are the house rules of docs/DESIGN's "The house" and of each
// package's doc: what a package must never import (its non-test files, in
// the default build and in the -tags gpu one). A prefix ending in "/"
// forbids everything under it.
var layers = map[string][]string{
	"cli":                 {"infertop/engine/", "infertop/gpuinfo", "infertop/hostinfo", "infertop/internal/blas", "infertop/internal/peakcache", "infertop/metrics", "infertop/onnx"},
	"session":             {"flag", "infertop/cli", "infertop/ui", "charm.land/"},
	"ui":                  {"infertop/session", "infertop/cli", "infertop/report", "infertop/engine/", "infertop/metrics", "infertop/internal/blas", "infertop/onnx"},
	"report":              {"infertop/session", "infertop/cli", "infertop/ui", "infertop/metrics", "charm.land/"},
	"metrics":             {"infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "charm.land/"},
	"record":              {"infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "charm.land/"},
	"sweep":               {"infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/record", "infertop/metrics", "infertop/onnx", "charm.land/"},
	"serve":               {"infertop/", "charm.land/"},
	"runner":              {"infertop/sweep", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/record", "infertop/metrics", "infertop/onnx", "charm.land/"},
	"engine":              {"infertop/onnx", "infertop/runner", "infertop/sweep", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/record", "infertop/metrics", "infertop/gpuinfo", "charm.land/"},
	"engine/cpu":          {"infertop/onnx", "infertop/runner", "infertop/sweep", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/record", "infertop/metrics", "infertop/gpuinfo", "charm.land/"},
	"engine/cuda":         {"infertop/onnx", "infertop/runner", "infertop/sweep", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/record", "infertop/metrics", "infertop/gpuinfo", "charm.land/"},
	"engine/reference":    {"infertop/onnx", "infertop/runner", "infertop/session", "infertop/cli", "infertop/ui", "charm.land/"},
	"presets":             {"infertop/engine", "infertop/runner", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "charm.land/"},
	"gpuinfo":             {"infertop/engine", "infertop/runner", "infertop/session", "infertop/cli", "infertop/ui", "infertop/report", "infertop/hostinfo", "charm.land/"},
	"hostinfo":            {"infertop/"},
	"model":               {"infertop/"},
	"onnx":                {"infertop/engine", "infertop/runner", "infertop/session", "infertop/cli", "infertop/ui", "infertop/presets", "charm.land/"},
	"internal/units":      {"infertop/"},
	"internal/peakcache":  {"infertop/"},
	"internal/blas":       {"infertop/"},
	"internal/latest":     {"infertop/"},
	"internal/paths":      {"infertop/"},
	"internal/atomicfile": {"infertop/"},
}

// leaves may import these despite a rule that forbids all of infertop.
var leaves = []string{"infertop/internal/latest", "infertop/internal/atomicfile"}

// TestLayers checks every package against layers, and that only tests
// import the fakes of internal/fake.
func TestLayers(t *testing.T) {
	for _, tags := range [][]string{nil, {"gpu"}} {
		ctx := build.Default
		ctx.BuildTags = tags
		err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if n := d.Name(); path != "." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bench" || n == "docs") {
				return filepath.SkipDir
			}
			p, err := ctx.ImportDir(path, 0)
			if err != nil {
				return nil // no Go files for these tags
			}
			rel := filepath.ToSlash(path)
			for _, imp := range p.Imports {
				if imp == "infertop/internal/fake" {
					t.Errorf("%s (tags %v) imports %s, which is for tests only", rel, tags, imp)
				}
				if !slices.Contains(leaves, imp) && slices.ContainsFunc(layers[rel], func(f string) bool {
					return imp == f || strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)
				}) {
					t.Errorf("%s (tags %v) imports %s, which it must never import", rel, tags, imp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
