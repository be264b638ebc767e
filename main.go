// Command infertop profiles model inference live on the CPU and on NVIDIA GPUs.
// Run "infertop help" for the commands.
package main

import (
	"context"
	"os"

	"infertop/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
