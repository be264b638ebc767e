package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain points the user cache at a folder of its own, so that the tests
// that open the real CPU engine (and the dashboard binary the end-to-end test
// starts) neither read nor write this machine's calibrated peaks: one taken
// while other packages' tests load the cores reads low and would stay cached.
// Go's build cache, which lives in the user cache by default, stays where it
// is (the end-to-end test builds the binary).
func TestMain(m *testing.M) {
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
