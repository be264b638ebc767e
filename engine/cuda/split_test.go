package cuda

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		batch, devices int
		want           []int
	}{
		{10, 3, []int{4, 3, 3}},
		{64, 1, []int{64}},
		{64, 8, []int{8, 8, 8, 8, 8, 8, 8, 8}},
		{7, 2, []int{4, 3}},
		{2, 4, []int{1, 1, 0, 0}},
		{0, 2, []int{0, 0}},
	}
	for _, c := range cases {
		got := Split(c.batch, c.devices)
		if !slices.Equal(got, c.want) {
			t.Errorf("Split(%d, %d) = %v, want %v", c.batch, c.devices, got, c.want)
		}
	}
	if Split(5, 0) != nil {
		t.Error("Split over no devices should be empty")
	}
	if got := Offsets([]int{4, 3, 3}); !slices.Equal(got, []int{0, 4, 7}) {
		t.Errorf("Offsets = %v", got)
	}
	for d := 1; d <= 9; d++ {
		for b := 1; b <= 70; b++ {
			s := Split(b, d)
			sum := 0
			for _, v := range s {
				sum += v
			}
			if sum != b || slices.Max(s)-slices.Min(s) > 1 {
				t.Fatalf("Split(%d, %d) = %v", b, d, s)
			}
		}
	}
}

func TestCublasCandidates(t *testing.T) {
	files := map[string][]string{
		"/opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.1[0-9]": {
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12",
			"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
		},
		"/home/u/.local/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.1[0-9]": {"/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11"},
	}
	glob := func(p string) ([]string, error) { return files[p], nil }
	env := func(k string) string {
		if k == CublasEnv {
			return "/x/libcublas.so"
		}
		return ""
	}
	got := CublasCandidates(env, "/home/u", glob)
	want := []string{"/x/libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11",
		"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
		"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12",
		"/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11"}
	if !slices.Equal(got, want) {
		t.Errorf("candidates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	noEnv := CublasCandidates(func(string) string { return "" }, "", glob)
	if noEnv[0] != "libcublas.so.13" || slices.Contains(noEnv, "/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.11") {
		t.Errorf("without env and home: %v", noEnv)
	}
}
