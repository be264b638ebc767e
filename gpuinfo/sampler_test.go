package gpuinfo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestIntervalBelowMinimumIsRejected(t *testing.T) {
	srv, _ := fakeServer(t, 1)
	m := openServer(t, srv)
	_, err := m.Start(context.Background(), SamplerOptions{Interval: 50 * time.Millisecond})
	if !errors.Is(err, ErrInterval) || err.Error() != "sampling interval too short: 50ms (the minimum is 100ms)" {
		t.Fatalf("err = %v", err)
	}
}

func TestSamplerTicksEnergyAndCancellation(t *testing.T) {
	srv, devs := fakeServer(t, 2)
	energy := make(chan uint64, 8)
	devs[0].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return <-energy, nvml.SUCCESS }
	m := openServer(t, srv)
	clk := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	energy <- 10_000
	s, err := m.Start(ctx, SamplerOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if s.Interval() != DefaultInterval {
		t.Fatalf("interval %v", s.Interval())
	}
	first := <-s.Samples()
	if first.Interval != 0 || first.GPUs[0].EnergyIntervalJoules.OK || !first.GPUs[0].EnergyTotalJoules.OK {
		t.Fatalf("first sample: %+v", first.GPUs[0])
	}
	tk := clk.ticker(0)
	step := func(at time.Duration, mj uint64) Sample {
		clk.Set(t0.Add(at))
		energy <- mj
		tk.tick(t0.Add(at))
		return <-s.Samples()
	}
	second := step(500*time.Millisecond, 12_500)
	if second.Interval != 500*time.Millisecond || second.GPUs[0].EnergyIntervalJoules.V != 2.5 {
		t.Fatalf("second: interval %v energy %v", second.Interval, second.GPUs[0].EnergyIntervalJoules)
	}
	reset := step(time.Second, 300) // the counter went backwards: a driver reload
	if reset.GPUs[0].EnergyIntervalJoules.OK {
		t.Fatalf("a counter reset must not give energy: %v", reset.GPUs[0].EnergyIntervalJoules)
	}
	after := step(1500*time.Millisecond, 1_300)
	if after.GPUs[0].EnergyIntervalJoules.V != 1 {
		t.Fatalf("after reset: %v", after.GPUs[0].EnergyIntervalJoules)
	}
	cancel()
	s.Wait()
	if _, open := <-s.Samples(); open {
		t.Fatal("samples channel must be closed after the sampler ends")
	}
	select {
	case <-tk.stopped:
	default:
		t.Fatal("ticker not stopped")
	}
}

func TestSlowReaderNeverBlocksTheSampler(t *testing.T) {
	srv, _ := fakeServer(t, 1)
	m := openServer(t, srv)
	clk := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := m.Start(ctx, SamplerOptions{Clock: clk, Interval: MinInterval})
	if err != nil {
		t.Fatal(err)
	}
	tk := clk.ticker(0)
	// Nobody reads: each tick is taken only once the previous sample was
	// published, so twenty ticks going through proves publishing never blocks.
	for i := 1; i <= 20; i++ {
		clk.Set(t0.Add(time.Duration(i) * time.Second))
		tk.tick(clk.Now())
	}
	// The 20th tick is taken before its sample is read: one more tick, at the
	// same time, is taken only once that sample was published. Cancelling
	// without it could end the sampler before it read the 20th sample.
	tk.tick(clk.Now())
	cancel()
	s.Wait()
	var last Sample
	n := 0
	for smp := range s.Samples() {
		last, n = smp, n+1
	}
	if n != 1 || !last.Time.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("got %d samples, last at %v; want only the newest", n, last.Time)
	}
}

func TestSamplerWithPCIe(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	devs[0].GetPcieThroughputFunc = func(c nvml.PcieUtilCounter) (uint32, nvml.Return) {
		if c == nvml.PCIE_UTIL_TX_BYTES {
			return 2, nvml.SUCCESS
		}
		return 3, nvml.SUCCESS
	}
	m := openServer(t, srv)
	clk := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := m.Start(ctx, SamplerOptions{Clock: clk, PCIe: true})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Samples()
	main, pcie := clk.ticker(0), clk.ticker(1)
	if main == pcie {
		t.Fatal("PCIe needs its own ticker")
	}
	// Whichever ticker is the PCIe one: once it has taken a tick its first
	// pass is done; the next main sample then carries it.
	clk.ticker(0).tick(t0)
	clk.ticker(1).tick(t0)
	<-s.Samples()
	clk.ticker(0).tick(t0)
	clk.ticker(1).tick(t0)
	g := (<-s.Samples()).GPUs[0]
	if g.PCIeTXBytesPerSec.V != 2048 || g.PCIeRXBytesPerSec.V != 3072 {
		t.Fatalf("PCIe %v %v", g.PCIeTXBytesPerSec, g.PCIeRXBytesPerSec)
	}
	cancel()
	s.Wait()
}

func TestEnergyDelta(t *testing.T) {
	prev := map[string]uint64{}
	seq := []struct {
		in   Opt[uint64]
		want Opt[float64]
	}{
		{Some[uint64](1000), Opt[float64]{}},
		{Some[uint64](3500), Some(2.5)},
		{Some[uint64](100), Opt[float64]{}},
		{Opt[uint64]{}, Opt[float64]{}},
		{Some[uint64](200), Opt[float64]{}},
		{Some[uint64](1200), Some(1.0)},
	}
	for i, c := range seq {
		if got := energyDelta(prev, "g", c.in); got != c.want {
			t.Errorf("step %d: %v, want %v", i, got, c.want)
		}
	}
}
