package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestMain points the user cache at a folder of its own, so that the tests
// that open the real CPU engine (and the dashboard binary the end-to-end test
// starts) neither read nor write this machine's calibrated peaks: one taken
// while other packages' tests load the cores reads low and would stay cached.
// Go's build cache, which lives in the user cache by default, stays where it
// is (the end-to-end test builds the binary).
func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		os.Exit(runChild(args))
	}
	if os.Getenv("GOCACHE") == "" {
		if d, err := os.UserCacheDir(); err == nil {
			os.Setenv("GOCACHE", filepath.Join(d, "go-build"))
		}
	}
	dir, err := os.MkdirTemp("", "infertop-cli-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// childArgs names the environment variable that makes the test binary run
// the command line it holds (arguments separated by newlines) as infertop
// would, for the tests that need a process of their own: a signal, a
// resource limit.
const childArgs = "INFERTOP_TEST_CHILD_ARGS"

// childFileLimit names the variable that sets the child's RLIMIT_FSIZE in
// bytes first (ulimit -f).
const childFileLimit = "INFERTOP_TEST_CHILD_FSIZE"

func runChild(args string) int {
	if v := os.Getenv(childFileLimit); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err == nil {
			err = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "setting the file size limit:", err)
			return 99
		}
	}
	return Main(context.Background(), strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr)
}

// child is infertop run in a process of its own (the test binary, through
// childArgs) in dir; env adds variables.
func child(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), childArgs+"="+strings.Join(args, "\n")), env...)
	return cmd
}
