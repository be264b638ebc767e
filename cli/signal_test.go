package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

// Each of SIGINT, SIGTERM and SIGHUP ends a command's context with the
// signal as its cause, and the process exits 128 + its number as shells
// expect; a failure or a usage error after it stands.
func TestSignalsEndTheContext(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{
		{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129},
	} {
		ctx, stop := interruptible(context.Background(), &bytes.Buffer{})
		if err := syscall.Kill(os.Getpid(), c.sig); err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		var s signalled
		if !errors.As(context.Cause(ctx), &s) || s.sig != c.sig {
			t.Errorf("%v: cause %v", c.sig, context.Cause(ctx))
		}
		for in, want := range map[int]int{ExitInterrupted: c.code, ExitOK: c.code, ExitFailure: ExitFailure, ExitUsage: ExitUsage} {
			if got := exitCode(ctx, in); got != want {
				t.Errorf("%v: a command's %d exits %d, want %d", c.sig, in, got, want)
			}
		}
		stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := exitCode(ctx, ExitInterrupted); got != ExitInterrupted {
		t.Errorf("a context cancelled without a signal: %d", got)
	}
}
