package cli

import (
	"context"
	"fmt"
)

// runSelftest is a placeholder until the command's own file replaces this one.
func runSelftest(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "selftest: not built yet")
	return ExitFailure
}
