package backendtest

import (
	"context"
	"os"
	"regexp"
	"testing"

	"infertop/model"
)

// localSuite names this package's copy of ONNX v1.16.2's node tests for opsets 18 to 21.
const localSuite = "node-v1.16.2"

// debianCases lists the tests of Debian's libonnx-testdata, or skips the
// test when they are absent, except in CI (CI set), which installs them.
func debianCases(t *testing.T) []Case {
	t.Helper()
	root := Root()
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ONNX's backend tests are missing in CI (%v); scripts/setup.sh --test installs them (libonnx-testdata)", err)
		}
		t.Skipf("ONNX's backend tests are not installed (%v): apt-get install libonnx-testdata, or set %s", err, RootEnv)
	}
	cases, err := Discover(root, Suites()...)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// localCases lists the tests kept in testdata.
func localCases(t *testing.T) []Case {
	t.Helper()
	cases, err := DiscoverDir("testdata/onnx-v1.16.2/node", localSuite)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// runCases runs cases with the reference kernels.
func runCases(t *testing.T, cases []Case) []Result {
	t.Helper()
	res, err := RunAll(context.Background(), cases, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// refusal is a reason infertop refuses tests whose ops it computes.
type refusal struct {
	// tests matches the names of the tests refused, reason each reason they give.
	tests, reason *regexp.Regexp
	why           string
}

// expectedRefusals are the refusals the suites may give for tests whose ops
// are all supported. A refusal none of them explains fails the test, so a
// new one is noticed; a row that explains no refusal fails it too.
func expectedRefusals() []refusal {
	return []refusal{
		{regexp.MustCompile(`^test_(add|sub|mul|div|maxpool_2d)_uint8$`), regexp.MustCompile(`^\w+: dtype uint8 `),
			"uint8 is not computed"},
		{regexp.MustCompile(`^test_clip_default_int8_`), regexp.MustCompile(`^Clip: dtype int8 `), "int8 is not computed"},
		{regexp.MustCompile(`^test_pow_types_float32_uint(32|64)$`), regexp.MustCompile(`^Pow: dtype uint(32|64) `),
			"unsigned integers are not computed"},
		{regexp.MustCompile(`^test_cast(like)?_(.*_)?(FLOAT16|DOUBLE|BFLOAT16|STRING)(_|$)`),
			regexp.MustCompile(`^Cast: dtype (float16|float64|bfloat16|string) `), "float16, float64, bfloat16 and strings are not computed"},
		{regexp.MustCompile(`^test_operator_(add_.*broadcast|addconstant)$`), regexp.MustCompile(`^Add: dtype float64 `),
			"PyTorch wrote these in float64"},
		{regexp.MustCompile(`^test_reduce_max_bool_inputs$`), regexp.MustCompile(`^ReduceMax: input dtype bool `),
			"bool is not reduced"},
		{regexp.MustCompile(`^test_batchnorm_(epsilon|example)_training_mode$`), regexp.MustCompile(`^BatchNormalization: training_mode=1$`),
			"training mode"},
		{regexp.MustCompile(`^test_training_dropout`), regexp.MustCompile(`^Dropout: training_mode is computed at run time$`),
			"training mode (its switch an input)"},
		{regexp.MustCompile(`^test_maxpool_with_argmax_2d_precomputed_pads$`), regexp.MustCompile(`^MaxPool: its Indices output is used$`),
			"MaxPool's indices are not computed"},
		{regexp.MustCompile(`^test_maxpool_with_argmax_2d_precomputed_strides$`), regexp.MustCompile(`^MaxPool: storage_order=1 \(column-major\)$`),
			"column-major indices are not computed"},
		{regexp.MustCompile(`^test_identity_(opt|sequence)$`), regexp.MustCompile(`^graph input "\w+" is an? (optional|sequence), not a tensor`),
			"only tensors are computed"},
	}
}

// minPassed is how many tests of each suite pass today; fewer means the
// suite or infertop lost what it had.
func minPassed() map[string]int {
	return map[string]int{"node": 258, "pytorch-converted": 63, "pytorch-operator": 21, "simple": 5, localSuite: 108}
}

// checkResults asserts what the suite promises: every test whose ops are all
// supported passes or is refused for an expected reason; every other test is
// refused; each suite passes at least as many tests as it did.
func checkResults(t *testing.T, results []Result, used map[int]bool) {
	t.Helper()
	passed := map[string]int{}
	for _, r := range results {
		switch {
		case r.Status == Passed:
			passed[r.Suite]++
		case !r.Supported() && r.Status != Refused:
			t.Errorf("%s/%s uses %v, outside the list, and ended %s, not refused: %s", r.Suite, r.Name, r.Outside, r.Status, r.Detail())
		case !r.Supported():
		case r.Status != Refused:
			t.Errorf("%s/%s (%s, opset %d) %s: %s", r.Suite, r.Name, OpList(r.Ops), r.Opset, r.Status, r.Detail())
		default:
			for _, why := range r.Reasons {
				if i := explain(r.Name, why); i >= 0 {
					used[i] = true
				} else {
					t.Errorf("%s/%s is refused for a reason expectedRefusals does not list: %s", r.Suite, r.Name, why)
				}
			}
		}
	}
	for suite, want := range minPassed() {
		c := Count(results, func(r Result) bool { return r.Suite == suite })
		if c.Tests > 0 && passed[suite] < want {
			t.Errorf("suite %s: %d tests passed, %d did before", suite, passed[suite], want)
		}
	}
}

// explain returns the index of the expected refusal that explains a test's reason, or -1.
func explain(test, reason string) int {
	for i, e := range expectedRefusals() {
		if e.tests.MatchString(test) && e.reason.MatchString(reason) {
			return i
		}
	}
	return -1
}

// TestConformance runs every test of ONNX's backend suites with the
// reference kernels: ONNX v1.16.2's tests kept here always, Debian's when
// installed, and then every supported op must have passed a node test.
func TestConformance(t *testing.T) {
	used := map[int]bool{}
	var local []Result
	t.Run(localSuite, func(t *testing.T) {
		local = runCases(t, localCases(t))
		checkResults(t, local, used)
		t.Logf("%s: %v", localSuite, Count(local, nil))
	})
	t.Run("debian", func(t *testing.T) {
		res := runCases(t, debianCases(t))
		checkResults(t, res, used)
		checkEveryOpPasses(t, append(res, local...))
		for _, s := range Suites() {
			all := Count(res, func(r Result) bool { return r.Suite == s })
			sup := Count(res, func(r Result) bool { return r.Suite == s && r.Supported() })
			t.Logf("%s: %v; of them with every op supported %v", s, all, sup)
		}
		for i, e := range expectedRefusals() {
			if !used[i] {
				t.Errorf("expected refusal %q (%s) explains no refusal; drop it", e.tests, e.why)
			}
		}
	})
}

// checkEveryOpPasses asserts that every op infertop computes passed at least
// one node test whose ops are all supported.
func checkEveryOpPasses(t *testing.T, results []Result) {
	t.Helper()
	passed := map[string]int{}
	for _, r := range results {
		if (r.Suite == "node" || r.Suite == localSuite) && r.Supported() && r.Status == Passed {
			for _, op := range r.TestedOps() {
				passed[op]++
			}
		}
	}
	for _, op := range model.SupportedOps() {
		if passed[op] == 0 {
			t.Errorf("%s passed no node test", op)
		}
	}
}
