package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"infertop/internal/latest"
	"infertop/serve"
)

// Server runs serving mode: requests arrive on their own schedule
// (ServeConfig.Arrival), wait in a queue, and a dynamic batcher
// (ServeConfig.Policy) hands batches to instances, each an executor of
// its own. Every request's latency is measured from its scheduled arrival,
// so a stall anywhere shows in the percentiles of every request scheduled
// during it. It publishes Snapshots with Serving set, as Runner does,
// and its methods are safe for concurrent use.
//
// Its loop goroutine owns the queue, the statistics and the instances'
// work channels; each instance's goroutine owns its executors and only
// runs the batches it is handed.
type Server struct {
	cfg   ServeConfig
	cmds  chan serveCmd
	snaps chan Snapshot
	done  chan struct{}

	started atomic.Bool
	mu      sync.Mutex // guards cancel and latest
	cancel  context.CancelFunc
	latest  Snapshot
}

type serveCmdKind int

const (
	scPause serveCmdKind = iota
	scResume
	scReset
	scRate
	scPolicy
)

type serveCmd struct {
	kind   serveCmdKind
	rate   float64
	policy serve.Policy
	reply  chan error
}

// NewServer checks the configuration; nothing runs until Start.
func NewServer(cfg ServeConfig) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cmds: make(chan serveCmd), snaps: make(chan Snapshot, 1), done: make(chan struct{})}
	s.latest = Snapshot{State: Idle, Model: cfg.Model, Device: cfg.Device, Batch: cfg.Policy.MaxBatch,
		Serving: &Serving{Arrival: cfg.Arrival.String(), MaxBatch: cfg.Policy.MaxBatch, MaxDelay: cfg.Policy.MaxDelay,
			Preferred: cfg.Policy.Preferred, QueueLimit: cfg.Policy.QueueLimit, RequestSize: cfg.Policy.RequestSize,
			SLOP99: cfg.SLOP99, Simulated: cfg.Simulate != nil}}
	return s, nil
}

// Start opens the instances and starts the loop, which runs until ctx
// ends, Stop is called or MaxMeasure has been measured. A failure to open
// an instance is reported in state Error. Start may be called once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.cancel != nil {
		s.mu.Unlock()
		return errors.New("server already started")
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.started.Store(true)
	s.mu.Unlock()
	go func() {
		defer close(s.done)
		newServeLoop(s).run(ctx)
	}()
	return nil
}

// Stop ends the run and waits for it: arrivals stop, the batches in
// flight finish, what is still queued is counted as unanswered, and the
// executors are closed. Stop is idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-s.done
}

// Wait blocks until the loop has ended.
func (s *Server) Wait() {
	if s.started.Load() {
		<-s.done
	}
}

// Done is closed when the loop has ended.
func (s *Server) Done() <-chan struct{} { return s.done }

// Snapshots delivers snapshots as Runner.Snapshots does.
func (s *Server) Snapshots() <-chan Snapshot { return s.snaps }

// Latest returns the most recent snapshot.
func (s *Server) Latest() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// Pause stops arrivals; the batches in flight and the queue drain, and
// measured time stops counting.
func (s *Server) Pause() error { return s.send(serveCmd{kind: scPause}) }

// Resume starts arrivals again after Pause, or reopens the instances after
// an error (a new RunID).
func (s *Server) Resume() error { return s.send(serveCmd{kind: scResume}) }

// Reset throws the statistics away and measures again under a new RunID.
func (s *Server) Reset() error { return s.send(serveCmd{kind: scReset}) }

// SetRate changes an open-loop arrival's rate (requests per second) under
// a new RunID; the schedule goes on from now at the new rate.
func (s *Server) SetRate(rate float64) error { return s.send(serveCmd{kind: scRate, rate: rate}) }

// SetPolicy changes the batcher's policy under a new RunID; the instances
// prepare again (and warm up) when its prepared sizes changed.
func (s *Server) SetPolicy(p serve.Policy) error { return s.send(serveCmd{kind: scPolicy, policy: p}) }

func (s *Server) send(c serveCmd) error {
	if !s.started.Load() {
		return ErrNotStarted
	}
	c.reply = make(chan error, 1)
	select {
	case s.cmds <- c:
	case <-s.done:
		return ErrStopped
	}
	select {
	case err := <-c.reply:
		return err
	case <-s.done:
		return ErrStopped
	}
}

func (s *Server) publish(snap Snapshot) {
	s.mu.Lock()
	s.latest = snap
	s.mu.Unlock()
	latest.Offer(s.snaps, snap)
}
