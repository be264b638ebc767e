package cpu

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

var benchThreads = flag.Int("threads", 0, "threads for the benchmarks (0: every core)")

// BenchmarkPresets runs every preset at batch 1, 32 and 256 on every core (or
// -threads N) and reports samples per second (and GFLOP/s from the analytic FLOP count).
// Set -benchtime as usual; memory figures come with -benchmem.
func BenchmarkPresets(b *testing.B) {
	for _, m := range presetModels(b) {
		for _, batch := range []int{1, 32, 256} {
			b.Run(fmt.Sprintf("%s/b%d", m.Name, batch), func(b *testing.B) {
				benchModel(b, m, batch, options{})
			})
		}
	}
}

// BenchmarkFixtures runs the ONNX fixtures that look like real networks
// (depthwise and projection convolutions, batch norm folded or not, BERT's
// masked attention) at batch 1, 32 and 256.
func BenchmarkFixtures(b *testing.B) {
	for _, f := range fixtures {
		switch f.file {
		case "mobilenet_tiny.onnx", "resnet_narrow.onnx", "bert_tiny.onnx":
		default:
			continue
		}
		m := loadFixture(b, f)
		for _, batch := range []int{1, 32, 256} {
			b.Run(fmt.Sprintf("%s/b%d", f.prefix, batch), func(b *testing.B) {
				benchModel(b, m, batch, options{})
			})
		}
	}
}

// BenchmarkGonum is the presets on the pure-Go fallback, at batch 32.
func BenchmarkGonum(b *testing.B) {
	for _, m := range presetModels(b) {
		b.Run(m.Name+"/b32", func(b *testing.B) { benchModel(b, m, 32, options{noLibrary: true}) })
	}
}

func benchModel(b *testing.B, m *model.Model, batch int, o options) {
	e, err := newExecutor(cpuDev, m, engine.Options{Threads: *benchThreads}, o)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.Prepare(batch); err != nil {
		b.Fatal(err)
	}
	in := inputsFor(e, 1)
	out := model.NewTensors(e.plan.sigOut)
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
	b.ReportMetric(sps*float64(e.plan.g.FLOPs())/float64(batch)/1e9, "GFLOP/s")
}

// BenchmarkSgemm times the engine's partitioned sgemm on square matrices.
func BenchmarkSgemm(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m, _ := presets.BuildModel("linear", presets.DefaultSeed)
			e, _ := newExecutor(cpuDev, m, engine.Options{}, options{})
			defer e.Close()
			op := newGemmOp(e.c, n, n, n, act{}, false)
			op.x, op.w, op.y, op.b = make([]float32, n*n), make([]float32, n*n), make([]float32, n*n), make([]float32, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.c.pool.do(op, op.chunks, op.parts)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
