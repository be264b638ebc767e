package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The top-level help lists every command and every environment variable
// that changes what the engines load or how they compute.
func TestUsageListsCommandsAndEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"--help"}, strings.NewReader(""), &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	help := out.String()
	for _, c := range commands() {
		if !strings.Contains(help, "  "+c.name+" ") {
			t.Errorf("help lacks the command %s", c.name)
		}
	}
	for _, v := range []string{"INFERTOP_BLAS", "CUDA_VISIBLE_DEVICES", "INFERTOP_CUBLAS", "INFERTOP_CUDNN", "INFERTOP_CUDA_CONV", "NO_COLOR"} {
		if !strings.Contains(help, "\n  "+v+" ") {
			t.Errorf("help lacks the environment variable %s:\n%s", v, help)
		}
	}
	out.Reset()
	if code := Main(context.Background(), []string{"bogus"}, strings.NewReader(""), &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), `unknown command "bogus"`) {
		t.Errorf("unknown command: exit %d, %q", code, errb.String())
	}
}

// An unknown flag or a bad value is one line that points at --help, in
// every command, not the whole usage; --help still prints the usage.
func TestUnknownFlagIsOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--bogus"}, "infertop bench: flag provided but not defined: -bogus (see infertop bench --help)\n"},
		{[]string{"--slo-p99", "fast"}, "infertop dashboard: invalid value \"fast\" for flag -slo-p99: parse error (see infertop dashboard --help)\n"},
		{[]string{"--bogus"}, "infertop dashboard: flag provided but not defined: -bogus (see infertop dashboard --help)\n"},
		{[]string{"replay", "--bogus"}, "infertop replay: flag provided but not defined: -bogus (see infertop replay --help)\n"},
		{[]string{"bogus"}, "infertop: unknown command \"bogus\" (see infertop --help)\n"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), c.args, strings.NewReader(""), &out, &errb)
		if code != ExitUsage || errb.String() != c.want || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"bench", "--help"}, strings.NewReader(""), &out, &errb); code != ExitOK ||
		!strings.Contains(errb.String(), "Usage: infertop bench") || !strings.Contains(errb.String(), "-duration") {
		t.Errorf("bench --help: exit %d, %q", code, errb.String())
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, strings.NewReader(""), &out, &errb); code != ExitOK || out.String() != "infertop "+Version+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
}
