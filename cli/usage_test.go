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
