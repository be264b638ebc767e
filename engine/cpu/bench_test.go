package cpu

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
)

var benchThreads = flag.Int("threads", 0, "threads for the benchmarks (0: every core)")

// BenchmarkPresets runs every preset at batch 1, 32 and 256 on every core (or
// -threads N) and reports samples per second (and GFLOP/s from the analytic FLOP count).
// Set -benchtime as usual; memory figures come with -benchmem.
func BenchmarkPresets(b *testing.B) {
	for _, p := range presets.NewCatalog().All() {
		for _, batch := range []int{1, 32, 256} {
			b.Run(fmt.Sprintf("%s/b%d", p.Name, batch), func(b *testing.B) {
				benchPreset(b, p, batch, options{})
			})
		}
	}
}

// BenchmarkGonum is the same on the pure-Go fallback, at batch 32.
func BenchmarkGonum(b *testing.B) {
	for _, p := range presets.NewCatalog().All() {
		b.Run(p.Name+"/b32", func(b *testing.B) { benchPreset(b, p, 32, options{noLibrary: true}) })
	}
}

func benchPreset(b *testing.B, p *presets.Preset, batch int, o options) {
	e, err := newExecutor(cpuDev, p, engine.Options{Seed: presets.DefaultSeed, Threads: *benchThreads}, o)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.Prepare(batch); err != nil {
		b.Fatal(err)
	}
	in := make([]float32, batch*p.InputSize())
	p.FillInput(in, 1)
	out := make([]float32, batch*p.OutputSize())
	for i := 0; i < 3; i++ {
		if _, err := e.Run(in, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(in, out); err != nil {
			b.Fatal(err)
		}
	}
	sec := time.Since(start).Seconds()
	b.StopTimer()
	sps := float64(b.N*batch) / sec
	b.ReportMetric(sps, "samples/s")
	b.ReportMetric(sps*float64(p.FLOPsPerSample())/1e9, "GFLOP/s")
}

// BenchmarkSgemm times the engine's partitioned sgemm on square matrices.
func BenchmarkSgemm(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e, _ := newExecutor(cpuDev, presets.NewCatalog().All()[0], engine.Options{}, options{})
			defer e.Close()
			a, w, y, bias := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n), make([]float32, n)
			op := newGemmOp(e.c, "bench", []int{2, 2, 1}, nil, n, n, n, actNone, false)
			op.x, op.w, op.b, op.y = a, w, bias, y
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.c.pool.do(op, op.chunks, op.parts)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
