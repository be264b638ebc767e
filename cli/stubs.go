package cli

import (
	"context"
	"fmt"
)

// Temporary entry points, each replaced by its command's own file.

func runBench(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "bench: not built yet")
	return ExitFailure
}

func runDevices(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "devices: not built yet")
	return ExitFailure
}

func runSelftest(_ context.Context, env Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "selftest: not built yet")
	return ExitFailure
}
