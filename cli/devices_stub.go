package cli

import (
	"context"
	"fmt"
)

// runDevices is a placeholder until the command's own file replaces this one.
func runDevices(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "devices: not built yet")
	return ExitFailure
}
