package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"infertop/engine"
	"infertop/internal/latest"
	"infertop/runner"
	"infertop/serve"
)

// current is the dashboard's run: the closed-loop runner, or the serving
// server (exactly one is set).
type current struct {
	r   *runner.Runner
	srv *runner.Server
}

// latestSnap is the run's newest snapshot.
func (c *current) latestSnap() runner.Snapshot {
	if c.srv != nil {
		return c.srv.Latest()
	}
	return c.r.Latest()
}

func (c *current) snapshots() <-chan runner.Snapshot {
	if c.srv != nil {
		return c.srv.Snapshots()
	}
	return c.r.Snapshots()
}

func (c *current) stop() {
	if c.srv != nil {
		c.srv.Stop()
	} else {
		c.r.Stop()
	}
}

// runs holds the dashboard's current run and switches it between closed
// loop and serving mode (the o key). Switches are serialized; the current
// run is read without waiting for one (CheckBatch is on the UI goroutine).
type runs struct {
	switching sync.Mutex
	cur       atomic.Pointer[current]
	// out carries the current run's snapshots, whichever it is, to the
	// screen; swap hands the forwarder a new run's channel.
	out  chan runner.Snapshot
	swap chan (<-chan runner.Snapshot)
	ctx  context.Context
	// lastServing is the settings of the last serving run, kept across
	// switches so that o, o comes back to the rate and policy left.
	lastServing *ServingSpec
}

// forward copies the current run's snapshots to out until ctx ends.
func (rs *runs) forward(ctx context.Context, wg *sync.WaitGroup, src <-chan runner.Snapshot) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-src:
				latest.Offer(rs.out, s)
			case src = <-rs.swap:
			}
		}
	}()
}

// install makes c the current run and hands its snapshots to the forwarder.
func (rs *runs) install(c *current) {
	rs.cur.Store(c)
	select {
	case rs.swap <- c.snapshots():
	case <-rs.ctx.Done():
	}
}

// errNotServing answers the serving controls in closed-loop mode.
var errNotServing = errors.New("not serving: press o to switch to serving mode first")

// SetServing switches to serving mode (on) or back to batches back to
// back, under a new RunID; see ui.Session.
func (d *Dashboard) SetServing(on bool) error {
	d.runs.switching.Lock()
	defer d.runs.switching.Unlock()
	c := d.runs.cur.Load()
	if on == (c.srv != nil) {
		return nil
	}
	snap := c.latestSnap()
	if on {
		spec := d.servingSettings(snap)
		return d.serveNow(c, spec, snap.Model, snap.Device, snap.Batch)
	}
	if sv := snap.Serving; sv != nil {
		d.runs.lastServing = specOf(sv, d.runs.lastServing)
	}
	c.stop()
	snap = c.latestSnap()
	r, err := d.newRunner(snap.Model, snap.Device, snap.Batch, c.latestSnap().RunID)
	if err != nil {
		return err
	}
	if err := r.Start(d.runs.ctx); err != nil {
		return err
	}
	d.runs.install(&current{r: r})
	return nil
}

// serveNow replaces run c by a serving run of model on device at max
// batch maxBatch with spec's settings.
func (d *Dashboard) serveNow(c *current, spec ServingSpec, model, device string, maxBatch int) error {
	mod, err := d.spec.Catalog.Get(model)
	if err != nil {
		return err
	}
	if err := CheckServing(spec, mod, maxBatch); err != nil {
		return err
	}
	dev, err := engine.ParseDevice(device)
	if err != nil {
		return err
	}
	cfg := d.m.serveConfig(spec, d.spec.Catalog, mod, dev, maxBatch, d.options())
	cfg.Warmup = d.spec.Warmup
	if c != nil {
		cfg.FirstRunID = c.latestSnap().RunID
	}
	srv, err := runner.NewServer(cfg)
	if err != nil {
		return err
	}
	if c != nil {
		c.stop()
	}
	if err := srv.Start(d.runs.ctx); err != nil {
		return err
	}
	d.runs.lastServing = &spec
	d.runs.install(&current{srv: srv})
	return nil
}

// servingSettings are the settings o switches to: the last serving run's,
// else the dashboard's --arrival flags, else Poisson arrivals at half the
// closed-loop throughput on screen (100 req/s before one is measured),
// dispatched at once, on one instance.
func (d *Dashboard) servingSettings(snap runner.Snapshot) ServingSpec {
	switch {
	case d.runs.lastServing != nil:
		return *d.runs.lastServing
	case d.spec.Serving != nil:
		return *d.spec.Serving
	}
	rate := 100.0
	if tp := snap.Overall.SamplesPerSec; tp > 0 {
		rate = roundRate(tp / 2)
	}
	return ServingSpec{Arrival: serve.Arrival{Kind: serve.Poisson, Rate: rate}, Policy: serve.Policy{RequestSize: 1},
		Instances: 1, SLOP99: d.spec.SLOP99}
}

// roundRate keeps two significant digits of a rate (1,234.5 → 1,200).
func roundRate(r float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(r))-1)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(math.Round(r/p)*p, 'g', 2, 64), 64)
	return max(v, 1)
}

// specOf is the settings a serving snapshot shows, with the instance
// count of the spec before (a snapshot names the instances it ran).
func specOf(sv *runner.Serving, before *ServingSpec) *ServingSpec {
	a, err := serve.ParseArrival(sv.Arrival)
	if err != nil {
		return before
	}
	s := &ServingSpec{Arrival: a, Instances: len(sv.Instances), SLOP99: sv.SLOP99,
		Policy: serve.Policy{MaxDelay: sv.MaxDelay, Preferred: sv.Preferred, QueueLimit: sv.QueueLimit, RequestSize: sv.RequestSize}}
	return s
}

// SetRate changes the serving run's arrival rate.
func (d *Dashboard) SetRate(rate float64) error {
	c := d.runs.cur.Load()
	if c.srv == nil {
		return errNotServing
	}
	return c.srv.SetRate(rate)
}

// SetServePolicy changes the serving run's batcher, after checking that the
// model can run at every size the policy prepares.
func (d *Dashboard) SetServePolicy(p serve.Policy) error {
	c := d.runs.cur.Load()
	if c.srv == nil {
		return errNotServing
	}
	snap := c.latestSnap()
	mod, err := d.spec.Catalog.Get(snap.Model)
	if err != nil {
		return err
	}
	if err := CheckServing(ServingSpec{Policy: p, Instances: 1}, mod, p.MaxBatch); err != nil {
		return err
	}
	return c.srv.SetPolicy(p)
}

// controls are the commands Runner and Server share.
type controls interface {
	Pause() error
	Resume() error
	Reset() error
}

// run is the current run's controls, whichever it is.
func (c *current) run() controls {
	if c.srv != nil {
		return c.srv
	}
	return c.r
}

// Pause pauses the current run.
func (d *Dashboard) Pause() error { return d.runs.cur.Load().run().Pause() }

// Resume resumes the current run.
func (d *Dashboard) Resume() error { return d.runs.cur.Load().run().Resume() }

// Reset throws the current run's statistics away.
func (d *Dashboard) Reset() error { return d.runs.cur.Load().run().Reset() }

// SetBatch sets the batch size, or in serving mode the max batch.
func (d *Dashboard) SetBatch(n int) error {
	c := d.runs.cur.Load()
	if c.srv == nil {
		return c.r.SetBatch(n)
	}
	sv := c.srv.Latest().Serving
	return d.SetServePolicy(serve.Policy{MaxBatch: n, MaxDelay: sv.MaxDelay, Preferred: sv.Preferred, QueueLimit: sv.QueueLimit, RequestSize: sv.RequestSize})
}

// SetModel opens another model; a serving run serves it afresh at its
// default batch as the max batch.
func (d *Dashboard) SetModel(name string) error {
	return d.restart(func(c *current) error { return c.r.SetModel(name) }, func(snap runner.Snapshot) (string, string, int, error) {
		m, err := d.spec.Catalog.Get(name)
		if err != nil {
			return "", "", 0, err
		}
		return m.Name, snap.Device, m.DefaultBatch, nil
	})
}

// SetDevice moves the run to another device.
func (d *Dashboard) SetDevice(name string) error {
	return d.restart(func(c *current) error { return c.r.SetDevice(name) }, func(snap runner.Snapshot) (string, string, int, error) {
		dev, err := engine.ParseDevice(name)
		if err != nil {
			return "", "", 0, err
		}
		return snap.Model, dev.String(), snap.Batch, nil
	})
}

// restart applies closed to a closed-loop run, or serves afresh what where
// says in serving mode, with the settings on screen.
func (d *Dashboard) restart(closed func(*current) error, where func(runner.Snapshot) (string, string, int, error)) error {
	d.runs.switching.Lock()
	defer d.runs.switching.Unlock()
	c := d.runs.cur.Load()
	if c.srv == nil {
		return closed(c)
	}
	snap := c.latestSnap()
	model, device, batch, err := where(snap)
	if err != nil {
		return err
	}
	spec := *specOf(snap.Serving, d.runs.lastServing)
	return d.serveNow(c, spec, model, device, batch)
}

// SetProfile turns the layer profile on or off (closed-loop mode only).
func (d *Dashboard) SetProfile(every int) error {
	c := d.runs.cur.Load()
	if c.srv != nil {
		return fmt.Errorf("the layer profile times batches run back to back: press o to leave serving mode first")
	}
	return c.r.SetProfile(every)
}

// Latest is the current run's newest snapshot (an empty one before the
// first run is opened).
func (d *Dashboard) Latest() runner.Snapshot {
	if c := d.runs.cur.Load(); c != nil {
		return c.latestSnap()
	}
	return runner.Snapshot{}
}

// Done is closed when the dashboard's runs have ended (Close, or its
// context ended).
func (d *Dashboard) Done() <-chan struct{} { return d.runs.ctx.Done() }
