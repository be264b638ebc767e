package gpuinfo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"infertop/internal/latest"
)

// Sampling intervals.
const (
	DefaultInterval = 500 * time.Millisecond
	MinInterval     = 100 * time.Millisecond
)

// Ticker is the part of time.Ticker the sampler uses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Clock gives the sampler its time; tests inject one they drive by hand.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// SamplerOptions configure a Sampler.
type SamplerOptions struct {
	// Interval between samples; 0 means DefaultInterval; below MinInterval is an error.
	Interval time.Duration
	// PCIe also samples PCIe TX/RX throughput, in a goroutine of its own
	// (each NVML call blocks about 20 ms).
	PCIe bool
	// Clock defaults to the system clock.
	Clock Clock
}

// Sampler reads every GPU at an interval in its own goroutine and publishes
// Samples. It stops when the context given to Start is cancelled.
type Sampler struct {
	m        *Monitor
	opts     SamplerOptions
	out      chan Sample
	done     chan struct{}
	pcie     *pcieCache
	prevTime time.Time
	prevMJ   map[string]uint64 // last energy counter per GPU UUID (or index)
}

// Start validates opts and starts sampling: one Sample at once, then one per
// tick. The Samples channel holds the newest Sample; a reader that falls
// behind loses old ones, never blocks the sampler. The channel is closed when
// the sampler ends.
func (m *Monitor) Start(ctx context.Context, opts SamplerOptions) (*Sampler, error) {
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Interval < MinInterval {
		return nil, fmt.Errorf("%w: %v (the minimum is %v)", ErrInterval, opts.Interval, MinInterval)
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	s := &Sampler{m: m, opts: opts, out: make(chan Sample, 1), done: make(chan struct{}), prevMJ: map[string]uint64{}}
	var wg sync.WaitGroup
	if opts.PCIe {
		s.pcie = &pcieCache{vals: map[int]pcieReading{}}
		wg.Add(1)
		go func() { defer wg.Done(); s.pcie.run(ctx, m, opts.Clock, opts.Interval) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.run(ctx) }()
	go func() { wg.Wait(); close(s.out); close(s.done) }()
	return s, nil
}

// Samples is where the Samples arrive; it is closed when the sampler ends.
func (s *Sampler) Samples() <-chan Sample { return s.out }

// Done is closed when every goroutine of the sampler has ended.
func (s *Sampler) Done() <-chan struct{} { return s.done }

// Wait blocks until the sampler has ended (after its context is cancelled).
func (s *Sampler) Wait() { <-s.done }

// Interval is the sampling interval in use.
func (s *Sampler) Interval() time.Duration { return s.opts.Interval }

func (s *Sampler) run(ctx context.Context) {
	t := s.opts.Clock.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		s.publish(s.sample())
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// sample reads every GPU and adds what only a sampler knows: the interval,
// the energy used since the previous sample, and the latest PCIe readings.
func (s *Sampler) sample() Sample {
	now := s.opts.Clock.Now()
	smp := s.m.Read()
	smp.Time = now
	if !s.prevTime.IsZero() {
		smp.Interval = now.Sub(s.prevTime)
	}
	s.prevTime = now
	for i := range smp.GPUs {
		g := &smp.GPUs[i]
		key := g.UUID
		if key == "" {
			key = fmt.Sprint("index ", g.Index)
		}
		g.EnergyIntervalJoules = energyDelta(s.prevMJ, key, g.energyMJ)
		if s.pcie != nil {
			s.pcie.fill(g)
		}
	}
	return smp
}

// energyDelta is the counter's increase since the previous reading for key,
// in joules. It is missing on the first reading and when the counter went
// backwards (a driver reload or reset), so it is never negative.
func energyDelta(prev map[string]uint64, key string, cur Opt[uint64]) Opt[float64] {
	if !cur.OK {
		delete(prev, key)
		return Opt[float64]{}
	}
	p, had := prev[key]
	prev[key] = cur.V
	if !had || cur.V < p {
		return Opt[float64]{}
	}
	return Some(MillijoulesToJoules(cur.V - p))
}

// publish replaces any unread Sample with the new one; it never blocks.
func (s *Sampler) publish(smp Sample) { latest.Offer(s.out, smp) }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) NewTicker(d time.Duration) Ticker {
	return sysTicker{time.NewTicker(d)}
}

type sysTicker struct{ t *time.Ticker }

func (t sysTicker) C() <-chan time.Time { return t.t.C }
func (t sysTicker) Stop()               { t.t.Stop() }
