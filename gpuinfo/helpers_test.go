package gpuinfo

import (
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// t0 is the fixed start of every test's simulated time.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a Clock driven by hand: Set moves time, Tick fires a ticker.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
	made    chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0, made: make(chan struct{}, 8)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
func (c *fakeClock) NewTicker(time.Duration) Ticker {
	t := &fakeTicker{c: make(chan time.Time), stopped: make(chan struct{})}
	c.mu.Lock()
	c.tickers = append(c.tickers, t)
	c.mu.Unlock()
	c.made <- struct{}{}
	return t
}

// ticker waits until the i-th ticker exists and returns it.
func (c *fakeClock) ticker(i int) *fakeTicker {
	for {
		c.mu.Lock()
		if i < len(c.tickers) {
			t := c.tickers[i]
			c.mu.Unlock()
			return t
		}
		c.mu.Unlock()
		<-c.made
	}
}

type fakeTicker struct {
	c       chan time.Time
	once    sync.Once
	stopped chan struct{}
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }
func (t *fakeTicker) Stop()               { t.once.Do(func() { close(t.stopped) }) }

// tick delivers one tick; it returns once the sampler has taken it.
func (t *fakeTicker) tick(now time.Time) { t.c <- now }

// fakeServer returns simulated GPUs at fixed time t0 with seed 1.
func fakeServer(t *testing.T, n int) (*server.Server, []*server.Device) {
	t.Helper()
	srv, err := FakeServer(n, FakeOptions{Seed: 1, Now: func() time.Time { return t0 }, SelfPID: 4242})
	if err != nil {
		t.Fatal(err)
	}
	devs := make([]*server.Device, n)
	for i, d := range srv.Devices {
		devs[i] = d.(*server.Device)
	}
	return srv, devs
}

func openServer(t *testing.T, srv *server.Server) *Monitor {
	t.Helper()
	m, err := OpenLibrary(srv, Options{SelfPID: 4242})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
