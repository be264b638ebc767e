package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
	"infertop/session"
)

// refExec is an executor computed by the reference (model.Eval of the
// model's graph), with an optional fault.
type refExec struct {
	m       *model.Model
	batch   int
	in, out []model.TensorSpec
	fault   string // "", "skew" (wrong values) or "skip" (last element not written)
	detail  string // Info's detail; with one, batches above 1 have a plan
}

func (e *refExec) Prepare(b int) error {
	g, err := e.m.Bind(b)
	if err != nil {
		return err
	}
	if e.in, e.out, err = g.Signature(); err != nil {
		return err
	}
	e.batch = b
	return nil
}

func (e *refExec) Signature() (in, out []model.TensorSpec) { return e.in, e.out }

func (e *refExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	feed := map[string]*model.Tensor{}
	for i, name := range e.m.Graph.Inputs {
		feed[name] = in[i]
	}
	res, err := model.Eval(e.m.Graph, feed)
	if err != nil {
		return engine.Timing{}, err
	}
	y := res[e.m.Graph.Outputs[0]].F32
	switch e.fault {
	case "skew":
		y[0] += 0.01 * (1 + y[0])
	case "skip":
		y = y[:len(y)-1]
	}
	copy(out[0].F32, y)
	return engine.Timing{}, nil
}
func (e *refExec) Memory() engine.Memory { return engine.Memory{} }
func (e *refExec) Info() engine.Info {
	info := engine.Info{Device: "cpu", Engine: "reference", Detail: e.detail}
	if e.batch > 1 && e.detail != "" {
		info.Plan = fmt.Sprintf("plan of batch %d", e.batch)
	}
	return info
}
func (e *refExec) Close() error { return nil }

func fakeRegistry(fault string) *engine.Registry {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		return &refExec{m: m, fault: fault}, nil
	})
	r.Unavailable(engine.CUDA, "built without CUDA")
	return r
}

func runST(reg *engine.Registry, args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := selftest(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, session.Machine{Registry: reg, OpenNVML: noNVML})
	return code, out.String() + errb.String()
}

func TestSelftestPassesAMatchingEngine(t *testing.T) {
	code, out := runST(fakeRegistry(""), "--device", "cpu", "--presets", "linear,lenet5", "--batches", "1,3")
	if code != ExitOK || strings.Count(out, "PASS ") != 4 || !strings.Contains(out, "PASS: all 4 cases") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestSelftestFailsWrongOrUnwrittenOutputs(t *testing.T) {
	code, out := runST(fakeRegistry("skew"), "--device", "cpu", "--presets", "mlp", "--batches", "2")
	if code != ExitFailure || !strings.Contains(out, "FAIL mlp") || !strings.Contains(out, "exceeds") {
		t.Errorf("skewed output: exit %d:\n%s", code, out)
	}
	code, out = runST(fakeRegistry("skip"), "--device", "cpu", "--presets", "linear", "--batches", "7")
	if code != ExitFailure || !strings.Contains(out, "output[6] = NaN (not written") {
		t.Errorf("unwritten output: exit %d:\n%s", code, out)
	}
}

func TestSelftestUsageAndMissingDevice(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"--device", "tpu"}, {"--batches", "0"}, {"--presets", "vgg"}, {"extra"}} {
		if code, out := runST(fakeRegistry(""), args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d:\n%s", args, code, ExitUsage, out)
		}
	}
	code, out := runST(fakeRegistry(""), "--device", "cuda:0")
	if code != ExitFailure || !strings.Contains(out, "built without CUDA") {
		t.Errorf("cuda without the engine: exit %d:\n%s", code, out)
	}
}

// TestSelftestCPUEngine runs the real CPU engine against the reference, when this build has it.
func TestSelftestCPUEngine(t *testing.T) {
	reg := session.NewRegistry()
	if !reg.Has(engine.CPU) {
		t.Skip("this build has no CPU engine yet: " + reg.Why(engine.CPU))
	}
	code, out := runST(reg, "--device", "cpu", "--presets", "linear,mlp,lenet5", "--batches", "1,7")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestSelftestSaysWhatRan: the engine's detail (which libraries it loaded)
// comes once before the results, and each case names how the engine computed
// its batch when the engine says.
func TestSelftestSaysWhatRan(t *testing.T) {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		return &refExec{m: m, detail: "libfake 1.0"}, nil
	})
	code, out := runST(r, "--device", "cpu", "--presets", "linear,mlp", "--batches", "1,3")
	if code != ExitOK || strings.Count(out, "engine: reference · libfake 1.0\n") != 1 {
		t.Fatalf("exit %d, want the engine line once:\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "PASS ") {
			continue
		}
		if plan := strings.Contains(line, "[plan of batch 3]"); plan != strings.Contains(line, "batch    3") {
			t.Errorf("case line with the wrong plan: %q", line)
		}
	}
	if _, out := runST(fakeRegistry(""), "--device", "cpu", "--presets", "linear", "--batches", "3"); strings.Contains(out, "engine:") || strings.Contains(out, "[plan") {
		t.Errorf("an engine without detail or plan printed one:\n%s", out)
	}
}

// --precision opens the GPU engine in that precision and accepts the
// precision's relative error (tf32 and fp16 1e-2, bf16 5e-2): an engine
// 5e-3 off passes in them and fails in fp32; the CPU baseline is opened in
// float32 always. --tf32 is --precision tf32. On the CPU a reduced
// precision is a usage error.
func TestSelftestPrecision(t *testing.T) {
	r := engine.NewRegistry()
	var cpuReduced bool
	var gpu engine.Precision
	r.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		cpuReduced = cpuReduced || o.Precision != engine.FP32
		return &refExec{m: m}, nil
	})
	r.Register(engine.CUDA, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		gpu = o.Precision
		return &roundedExec{refExec{m: m}}, nil
	})
	for _, c := range []struct {
		args []string
		want engine.Precision
		head string
	}{
		{[]string{"--tf32"}, engine.TF32, "selftest cuda:0 in tf32 against cpu, tolerance 1e-02 (max|out−base| / max|base|)"},
		{[]string{"--precision", "fp16"}, engine.FP16, "selftest cuda:0 in fp16 against cpu, tolerance 1e-02"},
		{[]string{"--precision", "bf16"}, engine.BF16, "selftest cuda:0 in bf16 against cpu, tolerance 5e-02"},
	} {
		args := append([]string{"--device", "cuda:0", "--presets", "mlp", "--batches", "2"}, c.args...)
		code, out := runST(r, args...)
		if code != ExitOK || !strings.Contains(out, c.head) || !strings.Contains(out, "max rel err 5.00e-03") || cpuReduced || gpu != c.want {
			t.Errorf("%v: exit %d (GPU opened in %v, baseline reduced: %v):\n%s", c.args, code, gpu, cpuReduced, out)
		}
	}
	code, out := runST(r, "--device", "cuda:0", "--presets", "mlp", "--batches", "2")
	if code != ExitFailure || !strings.Contains(out, "selftest cuda:0 in fp32 against cpu, tolerance 1e-03") || !strings.Contains(out, "exceeds 1e-03") {
		t.Errorf("in fp32, an engine 5e-3 off: exit %d:\n%s", code, out)
	}
	for args, want := range map[string]string{
		"--tf32":           "--tf32 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only",
		"--precision fp16": "--precision fp16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only",
	} {
		code, out = runST(r, append([]string{"--device", "cpu"}, strings.Fields(args)...)...)
		if code != ExitUsage || !strings.Contains(out, want) {
			t.Errorf("%s on the CPU: exit %d:\n%s", args, code, out)
		}
	}
}

// roundedExec is off by 5e-3 of the largest output, as an engine whose
// products round their inputs to TF32 could be.
type roundedExec struct{ refExec }

func (e *roundedExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	tm, err := e.refExec.Run(in, out)
	var big float32
	for _, v := range out[0].F32 {
		big = max(big, v, -v)
	}
	out[0].F32[0] += 5e-3 * big
	return tm, err
}
