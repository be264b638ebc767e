package cli

import (
	"context"
	"fmt"
)

// runBench is a placeholder until the command's own file replaces this one.
func runBench(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "bench: not built yet")
	return ExitFailure
}
