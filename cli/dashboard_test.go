package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"infertop/gpuinfo"
	"infertop/session"
)

func testDashboardDeps(tty bool) dashboardDeps {
	return dashboardDeps{
		machine:    session.Machine{Registry: session.NewRegistry(), OpenNVML: func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }},
		isTerminal: func(io.Writer) bool { return tty },
	}
}

func TestDashboardBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "nope"}, "unknown preset"},
		{[]string{"--device", "tpu"}, "unknown device"},
		{[]string{"--batch", "-1"}, "--batch -1 is out of range"},
		{[]string{"--batch", "9223372036854775808"}, "--batch 9223372036854775808 is out of range (accepted: 1 to 16777216, or 0 for the model's default)"},
		{[]string{"--batch", "lots"}, `--batch "lots" is not an integer`},
		{[]string{"--threads", "-2"}, "--threads -2 is negative"},
		{[]string{"--fake-gpus", "100"}, "--fake-gpus 100 is out of range"},
		{[]string{"--interval", "10ms"}, "--interval 10ms is too short"},
		{[]string{"--warmup", "-1s"}, "--warmup -1s is negative"},
		{[]string{"--slo-p99", "-5ms"}, "--slo-p99 -5ms is negative (accepted: a positive duration such as 20ms)"},
		{[]string{"--slo-p99", "fast"}, "invalid value \"fast\" for flag -slo-p99"},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"--device", "cpu", "--tf32"}, "--tf32 applies to CUDA devices (cuda:N, cuda:all), not cpu"},
		{[]string{"--tf32"}, "--precision tf32 needs a GPU, and none can run here, so the dashboard would start on the CPU; give --device cuda:N or leave --precision tf32 out (the CPU computes in fp32)"},
		{[]string{"--device", "cpu", "--precision", "fp16"}, "--precision fp16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only"},
		{[]string{"--precision", "bf16"}, "--precision bf16 needs a GPU, and none can run here"},
		{[]string{"--precision", "int8"}, `--precision "int8" is not a precision (accepted: fp32|tf32|fp16|bf16)`},
		{[]string{"--precision", "fp16", "--tf32"}, "--tf32 is --precision tf32 and cannot go with --precision fp16 (give one of them)"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		code := dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, tc.args, testDashboardDeps(true))
		if code != ExitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

func TestDashboardNeedsATerminal(t *testing.T) {
	var out, errb bytes.Buffer
	code := dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, nil, testDashboardDeps(false))
	if code != ExitUsage || !strings.Contains(errb.String(), "not") || !strings.Contains(errb.String(), "infertop bench") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestDashboardIsTheDefaultCommand(t *testing.T) {
	for _, args := range [][]string{nil, {"--preset", "linear"}} {
		var out, errb bytes.Buffer
		// Output is a buffer, not a terminal: the dashboard says so and exits 2.
		code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != ExitUsage || !strings.Contains(errb.String(), "infertop bench") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
