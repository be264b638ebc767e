package runner

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/serve"
)

// instances are the executors of a real serving run: each instance has
// one executor per prepared size (serve.Policy.PreparedSizes) and a
// goroutine that runs the batches the loop hands it, one at a time.
type instances struct {
	cfg  ServeConfig
	list []*instance
	done chan completion
	wg   sync.WaitGroup
	// timer wakes wait at its deadline; reused.
	timer *time.Timer
	// alarm wakes the loop for near deadlines (alarmWindow) where naps are
	// precise (napPrecise); nil elsewhere.
	alarm *alarm
	// info and mem describe the executors, read once they are prepared
	// (an executor is used by one goroutine at a time: its instance's).
	info engine.Info
	mem  engine.Memory
	// accuracy is what ServeConfig.Check said of one batch of the first
	// instance's largest size, checked is that size (0: none checked).
	accuracy Accuracy
	checked  int
}

// instance is one executor set and its goroutine.
type instance struct {
	idx     int
	device  string
	threads int
	sizes   []int
	execs   []engine.Executor
	ins     [][]*model.Tensor
	outs    [][]*model.Tensor
	work    chan int // the prepared size of the next batch; closed to stop
}

// openInstances opens and prepares every instance at every prepared size,
// and warms each up (concurrently, as they will run), before the loop
// starts measuring.
func openInstances(ctx context.Context, cfg ServeConfig, p serve.Policy) (*instances, error) {
	m, err := cfg.Catalog.Get(cfg.Model)
	if err != nil {
		return nil, err
	}
	b := &instances{cfg: cfg, done: make(chan completion, cfg.Instances), timer: time.NewTimer(time.Hour)}
	b.timer.Stop()
	for i := range cfg.Instances {
		in, err := openInstance(cfg, m, i, p.PreparedSizes())
		if in != nil {
			b.list = append(b.list, in)
		}
		if err != nil {
			b.closeExecs()
			return nil, err
		}
	}
	b.check(ctx, m)
	if err := b.warm(ctx); err != nil {
		b.closeExecs()
		return nil, err
	}
	b.describeExecs()
	if napPrecise {
		b.alarm = newAlarm()
	}
	for _, in := range b.list {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			in.serve(b.done)
		}()
	}
	return b, nil
}

// openInstance opens instance i's executors, one per size.
func openInstance(cfg ServeConfig, m *model.Model, i int, sizes []int) (*instance, error) {
	in := &instance{idx: i, device: cfg.instanceDevice(i), sizes: sizes, work: make(chan int, 1)}
	opts := cfg.Options
	if dev, err := engine.ParseDevice(in.device); err == nil {
		opts = opts.On(dev) // a GPU precision does not follow the run to the CPU
		if dev.Kind == engine.CPU {
			in.threads = cfg.instanceThreads(i)
			opts.Threads = in.threads
		}
	}
	for _, size := range sizes {
		if err := m.CheckBatch(size); err != nil {
			return in, err
		}
		var ex engine.Executor
		err := safely(func() error {
			var err error
			if ex, err = cfg.Registry.Open(in.device, m, opts); err != nil {
				return err
			}
			return ex.Prepare(size)
		})
		if err != nil {
			if ex != nil {
				_ = ex.Close()
			}
			return in, fmt.Errorf("opening instance %d of %s on %s at batch %d: %w", i, m.Name, in.device, size, err)
		}
		sigIn, sigOut := ex.Signature()
		ins, outs := model.NewTensors(sigIn), model.NewTensors(sigOut)
		model.FillInputs(m.Graph, ins, cfg.Options.Seed)
		in.execs, in.ins, in.outs = append(in.execs, ex), append(in.ins, ins), append(in.outs, outs)
	}
	return in, nil
}

// check runs one batch of the first instance at its largest prepared size
// and hands it to ServeConfig.Check; a batch that fails is left to the
// warm-up, which fails the same way and says so.
func (b *instances) check(ctx context.Context, m *model.Model) {
	if b.cfg.Check == nil || len(b.list) == 0 || len(b.list[0].sizes) == 0 {
		return
	}
	in := b.list[0]
	k := len(in.sizes) - 1
	if _, err := in.run(k); err != nil {
		return
	}
	b.accuracy = b.cfg.Check(ctx, CheckInput{Model: m, Device: in.device, Batch: in.sizes[k], Info: in.execs[k].Info(),
		In: in.ins[k], Out: in.outs[k]})
	b.checked = in.sizes[k]
}

// warm runs every instance at every size, concurrently, for at least
// MinWarmupBatches batches each and at least the warm-up shared out
// between the sizes.
func (b *instances) warm(ctx context.Context) error {
	errs := make([]error, len(b.list))
	var wg sync.WaitGroup
	for j, in := range b.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			per := b.cfg.Warmup / time.Duration(len(in.sizes))
			for k := range in.sizes {
				start := time.Now()
				for n := 0; n < MinWarmupBatches || time.Since(start) < per; n++ {
					if ctx.Err() != nil {
						errs[j] = ctx.Err()
						return
					}
					if _, err := in.run(k); err != nil {
						errs[j] = fmt.Errorf("warming instance %d at batch %d: %w", in.idx, in.sizes[k], err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// run computes one batch at the k-th prepared size, turning a panic into
// an error.
func (in *instance) run(k int) (d time.Duration, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	t0 := time.Now()
	_, err = in.execs[k].Run(in.ins[k], in.outs[k])
	return time.Since(t0), err
}

// serve runs the batches handed to it until its work channel closes.
func (in *instance) serve(done chan<- completion) {
	for size := range in.work {
		k := 0
		for k < len(in.sizes)-1 && in.sizes[k] < size {
			k++
		}
		d, err := in.run(k)
		done <- completion{inst: in.idx, end: time.Now(), duration: d, err: err}
	}
}

func (b *instances) now() time.Time { return time.Now() }

func (b *instances) start(i, size int) { b.list[i].work <- size }

func (b *instances) wait(ctx context.Context, deadline time.Time, cmds <-chan serveCmd) wakeup {
	var tc <-chan time.Time
	var ring <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return wakeup{kind: wakeTimer}
		}
		if b.alarm != nil && d <= alarmWindow {
			b.alarm.arm(deadline)
			ring = b.alarm.ring
		} else {
			if b.alarm != nil { // the timer brings the loop near; the alarm does the rest
				d -= alarmWindow
			}
			b.timer.Reset(d)
			defer b.timer.Stop()
			tc = b.timer.C
		}
	}
	for {
		select {
		case c := <-b.done:
			return wakeup{kind: wakeDone, done: c}
		case c := <-cmds:
			return wakeup{kind: wakeCmd, cmd: c}
		case <-tc:
			return wakeup{kind: wakeTimer}
		case t := <-ring:
			if !t.Before(deadline) { // else the ring of a deadline since replaced
				return wakeup{kind: wakeTimer}
			}
		case <-ctx.Done():
			return wakeup{kind: wakeCtx}
		}
	}
}

// alarmWindow is how far ahead a deadline is left to the alarm rather than
// to a timer (whose lateness the window covers).
const alarmWindow = 2 * time.Millisecond

func (b *instances) describe(i int) Instance {
	in := b.list[i]
	return Instance{Index: i, Device: in.device, Threads: in.threads}
}

// describeExecs reads the first instance's largest executor's
// description, and adds up what every executor holds, before the
// instances' goroutines start.
func (b *instances) describeExecs() {
	b.mem = engine.Memory{DeviceBytes: map[string]int64{}}
	for _, in := range b.list {
		for _, ex := range in.execs {
			m := ex.Memory()
			b.mem.HostBytes += m.HostBytes
			for k, v := range m.DeviceBytes {
				b.mem.DeviceBytes[k] += v
			}
		}
	}
	if len(b.list) > 0 && len(b.list[0].execs) > 0 {
		first := b.list[0]
		b.info = first.execs[len(first.execs)-1].Info()
	}
}

func (b *instances) snapshotInfo(s *Snapshot) {
	s.Info = b.info
	s.Accuracy = b.accuracy
	s.Memory = engine.Memory{HostBytes: b.mem.HostBytes, DeviceBytes: maps.Clone(b.mem.DeviceBytes)}
}

// close stops the goroutines once their batches finish, and closes the executors.
func (b *instances) close() {
	for _, in := range b.list {
		close(in.work)
	}
	// A goroutine may be sending a completion nobody waits for any more.
	go func() {
		for range b.done {
		}
	}()
	b.wg.Wait()
	close(b.done)
	if b.alarm != nil {
		b.alarm.close()
	}
	b.closeExecs()
}

func (b *instances) closeExecs() {
	for _, in := range b.list {
		for _, ex := range in.execs {
			_ = ex.Close()
		}
		in.execs = nil
	}
}
