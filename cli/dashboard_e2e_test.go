package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDashboardEndToEnd builds the real binary, runs the dashboard in tmux,
// waits for measured throughput, presses + and sees the batch double, picks
// the ONNX file given with --model with p and sees it measured, presses q and
// checks the exit status. It skips without tmux (apt-get install -y tmux).
func TestDashboardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install -y tmux); skipping the end-to-end dashboard test")
	}
	// The build has a deadline of its own: on a clean machine whose cores
	// are busy with other packages' tests it compiles every dependency (and
	// the cgo BLAS loader) outside the race-instrumented test cache, which
	// can take minutes. The 60 s below are for the dashboard alone.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelBuild()
	bin := filepath.Join(t.TempDir(), "infertop")
	if out, err := exec.CommandContext(buildCtx, "go", "build", "-o", bin, "infertop").CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := fmt.Sprintf("infertop-e2e-%d-%s", os.Getpid(), strings.ReplaceAll(filepath.Base(t.TempDir()), " ", ""))
	tmux := func(args ...string) string {
		out, err := exec.CommandContext(ctx, "tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	file, err := filepath.Abs(filepath.Join("..", "testdata", "models", "mlp_gemm.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	shell := bin + " --preset linear --model " + file + " --warmup 200ms --fake-gpus 1; echo EXIT=$?; sleep 30"
	tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", shell)
	defer exec.Command("tmux", "kill-session", "-t", session).Run()

	screen := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		for {
			s := screen()
			if ok(s) {
				return s
			}
			if strings.Contains(s, "not available in this build") {
				t.Skipf("the CPU engine is not in this build:\n%s", s)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	waitFor("measured throughput", func(s string) bool {
		return strings.Contains(s, "batch 1,000") && strings.Contains(s, "samples/s") && !strings.Contains(s, "no measured batches")
	})
	tmux("send-keys", "-t", session, "+")
	waitFor("batch 2,000", func(s string) bool { return strings.Contains(s, "batch 2,000") })
	tmux("send-keys", "-t", session, "p")
	// The picker cuts a path longer than its column at the start, so only
	// the file's name is sure to be on screen, whatever folder holds it.
	waitFor("the model picker", func(s string) bool {
		return strings.Contains(s, "Model") && strings.Contains(s, string(filepath.Separator)+"mlp_gemm.onnx")
	})
	for range 5 { // past mlp, lenet5, resnet and transformer to the file
		tmux("send-keys", "-t", session, "Down")
	}
	tmux("send-keys", "-t", session, "Enter")
	waitFor("the file measured", func(s string) bool {
		return strings.Contains(s, "model mlp_gemm.onnx ") && strings.Contains(s, "batch 1 ") &&
			(strings.Contains(s, "measuring") || strings.Contains(s, "stable ✓"))
	})
	// o serves the file: requests arriving at half the throughput on screen.
	tmux("send-keys", "-t", session, "o")
	waitFor("serving mode", func(s string) bool {
		return strings.Contains(s, "Queue depth") && strings.Contains(s, "Latency per request") && strings.Contains(s, "poisson:")
	})
	tmux("send-keys", "-t", session, "q")
	s := waitFor("the exit", func(s string) bool { return strings.Contains(s, "EXIT=") })
	if !strings.Contains(s, "EXIT=0") {
		t.Fatalf("dashboard did not exit 0:\n%s", s)
	}
}
