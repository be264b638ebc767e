//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/model"
)

// The executor offers its page-locked staging to the runner.
var _ engine.HostBuffers = (*Executor)(nil)

// Executor runs a model on one GPU, or data parallel on all of them.
type Executor struct {
	d      engine.Device
	m      *model.Model
	seed   uint64
	convs  bool // the model has convolutions
	blas   *cublas
	dnn    *cudnn
	dnnErr error // why no cuDNN loaded
	gpus   []*gpu
	shares []int
	offs   []int
	batch  int
	sigIn  []model.TensorSpec
	sigOut []model.TensorSpec
	peak   float64
	// peakHow says how peak was taken (engine.Peak).
	peakHow engine.Peak
	detail  string
	conv    convChoice
	// prof is the step profile of the first GPU's prepared batch
	// (profile_gpu.go).
	prof   Profile
	closed bool
}

// New opens the CUDA engine for model m on device d (cuda:N or cuda:all).
// It first refuses a model it cannot run (OpenCheck: a
// *model.UnsupportedError listing every node without a plan, or inputs and
// outputs other than float32), then loads cuBLAS and, for a model with
// convolutions, cuDNN where it finds one, retains each GPU's primary
// context, JIT-loads the kernels and uploads the constants the compiled
// graph's steps read to every GPU.
func New(d engine.Device, m *model.Model, opts engine.Options) (engine.Executor, error) {
	if d.Kind != engine.CUDA {
		return nil, fmt.Errorf("cuda engine: device %s is not a GPU", d)
	}
	g, probeBatch, err := OpenCheck(m)
	if err != nil {
		return nil, fmt.Errorf("cuda engine: %w", err)
	}
	probe, err := BuildWith(g, probeBatch, Options{Precision: opts.Precision})
	if err != nil {
		return nil, fmt.Errorf("cuda engine: %w", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, err := cu.NumDevices()
	if err != nil {
		return nil, check("cuDeviceGetCount", err)
	}
	var ordinals []int
	switch {
	case n == 0:
		return nil, errors.New("cuda engine: the driver reports no GPU")
	case d.All:
		for i := range n {
			ordinals = append(ordinals, i)
		}
	case d.Ordinal >= n:
		return nil, fmt.Errorf("cuda engine: %s does not exist: %d GPU(s) visible (CUDA_VISIBLE_DEVICES=%q)", d, n, os.Getenv("CUDA_VISIBLE_DEVICES"))
	default:
		ordinals = []int{d.Ordinal}
	}
	if fb := m.FixedBatch(); fb > 0 && len(ordinals) > 1 {
		return nil, fmt.Errorf("cuda engine: %s splits each batch over %d GPUs, and %s was exported with a fixed batch of %d", d, len(ordinals), m.Name, fb)
	}
	conv, err := parseConvChoice(os.Getenv(ConvEnv))
	if err != nil {
		return nil, fmt.Errorf("cuda engine: %w", err)
	}
	blas, err := loadCublas()
	if err != nil {
		return nil, fmt.Errorf("cuda engine: %w", err)
	}
	// cuDNN is optional, and only convolutions use it: without it they take
	// our own two ways.
	e := &Executor{d: d, m: m, seed: opts.Seed, convs: hasConv(g), blas: blas, conv: conv}
	forced := !conv.auto && conv.way == ConvCudnn
	if e.convs {
		e.dnn, e.dnnErr = loadCudnn()
	}
	if e.dnnErr != nil && forced {
		return nil, fmt.Errorf("cuda engine: %s=cudnn: %w", ConvEnv, e.dnnErr)
	}
	for _, o := range ordinals {
		g, err := openGPU(o, blas, e.dnn, probe, opts)
		if err == nil && forced && g.dnn == nil {
			err = fmt.Errorf("%s=cudnn: %s", ConvEnv, g.dnnWhy)
		}
		if err != nil {
			e.closeLocked()
			return nil, fmt.Errorf("cuda engine: cuda:%d: %w", o, err)
		}
		e.gpus = append(e.gpus, g)
	}
	_ = e.calibrate(opts.Recalibrate) // the detail line says why a calibration failed
	return e, nil
}

// dnnText says which cuDNN the engine uses, or why none.
func (e *Executor) dnnText() string {
	st := cudnnState{env: os.Getenv(CudnnEnv), loadErr: e.dnnErr}
	if e.dnn != nil {
		st.version, st.path, st.handleWhy = e.dnn.VersionString(), e.dnn.Path, e.gpus[0].dnnWhy
	}
	return st.text()
}

// calibrate sets the peak (measured again when fresh, else cached) and the
// detail line; a failed calibration is reported there and returned, not
// fatal to New.
func (e *Executor) calibrate(fresh bool) error {
	var parts []string
	for _, g := range e.gpus {
		parts = append(parts, fmt.Sprintf("%s %s (PCI %s)", g.devName(), g.name, g.bus))
	}
	g := e.gpus[0]
	blas := fmt.Sprintf("cuBLAS %s from %s, %s", cublasVersionString(g.blasVer), e.blas.Path, precisionText(g.precision))
	peak, how, err := peakGFLOPS(g, fresh)
	switch {
	case err != nil:
		blas += "; sgemm calibration failed: " + err.Error()
	default:
		e.peak, e.peakHow = peak*float64(len(e.gpus)), how
	}
	e.detail = strings.Join(parts, ", ") + "; " + blas
	if e.convs {
		e.detail += "; " + e.dnnText()
	}
	return err
}

// Prepare compiles the model for the batch (each GPU's share of it) and
// allocates every GPU's share, freeing the previous batch first. A batch
// the model cannot run at is refused with the model's own message.
func (e *Executor) Prepare(batch int) error {
	if e.closed {
		return errors.New("cuda engine: Prepare after Close")
	}
	if err := e.m.CheckBatch(batch); err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e.batch, e.sigIn, e.sigOut, e.prof = 0, nil, nil, Profile{}
	e.shares = Split(batch, len(e.gpus))
	e.offs = Offsets(e.shares)
	graphs := map[int]*model.Graph{}
	plans := make([]*Plan, len(e.gpus))
	for i, g := range e.gpus {
		if err := g.current(); err != nil {
			return err
		}
		share := e.shares[i]
		if share == 0 {
			if err := g.freeBatch(); err != nil {
				return err
			}
			continue
		}
		cg, ok := graphs[share]
		if !ok {
			var err error
			if cg, err = e.m.Bind(share); err != nil {
				e.freeBatches()
				return fmt.Errorf("cuda engine: %w", err)
			}
			graphs[share] = cg
		}
		if err := g.prepare(cg, share, e.conv, e.seed); err != nil {
			e.freeBatches()
			var oom *engine.OOMError
			if errors.As(err, &oom) && len(e.gpus) > 1 {
				oom.Batch = batch
			}
			return err
		}
		plans[i] = g.batch.plan
	}
	in, out, err := signature(plans, e.shares, batch)
	if err != nil {
		e.freeBatches()
		return fmt.Errorf("cuda engine: %s: %w", e.m.Name, err)
	}
	if err := e.gpus[0].current(); err != nil {
		e.freeBatches()
		return err
	}
	if err := e.describeSteps(graphs[e.shares[0]]); err != nil {
		e.freeBatches()
		return fmt.Errorf("cuda engine: %w", err)
	}
	e.sigIn, e.sigOut, e.batch = in, out, batch
	return nil
}

func (e *Executor) freeBatches() {
	for _, g := range e.gpus {
		if g.current() == nil {
			_ = g.freeBatch()
		}
	}
}

// Signature describes the prepared batch's inputs and outputs, in the
// graph's order; nil, nil before Prepare.
func (e *Executor) Signature() (in, out []model.TensorSpec) { return e.sigIn, e.sigOut }

// Run executes one batch: every GPU's share is issued before any is waited for,
// so the GPUs work in parallel; the timing is the slowest GPU's.
func (e *Executor) Run(in, out []*model.Tensor) (engine.Timing, error) { return e.run(in, out, nil) }

// run executes one batch as Run describes; with times non-nil it also
// times the first GPU's steps into times (RunProfiled).
func (e *Executor) run(in, out []*model.Tensor, times []time.Duration) (engine.Timing, error) {
	if e.batch == 0 {
		return engine.Timing{}, errors.New("cuda engine: Run before Prepare")
	}
	if err := checkTensors("input", in, e.sigIn); err != nil {
		return engine.Timing{}, fmt.Errorf("cuda engine: %w", err)
	}
	if err := checkTensors("output", out, e.sigOut); err != nil {
		return engine.Timing{}, fmt.Errorf("cuda engine: %w", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var enq time.Duration
	for i, g := range e.gpus {
		if e.shares[i] == 0 {
			continue
		}
		if err := g.current(); err != nil {
			return engine.Timing{}, err
		}
		var marks []int
		if i == 0 && times != nil {
			marks = e.prof.Marks
		}
		d, err := g.enqueue(in, e.offs[i], e.shares[i], e.batch, marks)
		if err != nil {
			return engine.Timing{}, err
		}
		enq += d
	}
	var worst engine.Timing
	for i, g := range e.gpus {
		if e.shares[i] == 0 {
			continue
		}
		if err := g.current(); err != nil {
			return engine.Timing{}, err
		}
		t, err := g.finish(out, e.offs[i], e.shares[i], e.batch)
		if err != nil {
			return engine.Timing{}, err
		}
		if !worst.Valid || t.H2D+t.Compute+t.D2H > worst.H2D+worst.Compute+worst.D2H {
			worst = t
		}
	}
	worst.Enqueue = enq
	if times != nil {
		g := e.gpus[0]
		if err := g.current(); err != nil {
			return engine.Timing{}, err
		}
		if err := readStepTimes(g, times); err != nil {
			return engine.Timing{}, fmt.Errorf("%s: %w", g.devName(), err)
		}
	}
	return worst, nil
}

// HostBuffers returns the prepared batch's page-locked input and output
// staging (engine.HostBuffers) on one GPU, as tensors of the signature's
// shapes, valid until the next Prepare or Close. A caller that fills the
// inputs there and passes both lists to Run saves the host copies; the H2D
// and D2H copies stay inside every batch. With several GPUs the staging is
// one buffer per GPU, not one tensor, and a bool input or output is staged
// as int64: nil, nil.
func (e *Executor) HostBuffers() (in, out []*model.Tensor) {
	if e.batch == 0 || len(e.gpus) != 1 {
		return nil, nil
	}
	if p := e.gpus[0].batch.plan; !stagedAsIs(p.Inputs) || !stagedAsIs(p.Outputs) {
		return nil, nil
	}
	return e.gpus[0].batch.hostIn, e.gpus[0].batch.hostOut
}

// Memory reports device memory per GPU and the pinned host staging.
func (e *Executor) Memory() engine.Memory {
	m := engine.Memory{DeviceBytes: map[string]int64{}}
	for _, g := range e.gpus {
		m.DeviceBytes[g.devName()] = g.weightBytes + g.batch.bytes
		if g.batch.plan != nil {
			m.HostBytes += g.batch.plan.PinnedBytes()
		}
	}
	return m
}

// Info describes the GPUs, the cuBLAS and cuDNN libraries and the
// calibrated peak, and once a batch is prepared how its convolutions run
// (Plan).
func (e *Executor) Info() engine.Info {
	var plan string
	if len(e.gpus) > 0 && e.gpus[0].batch.plan != nil {
		g := e.gpus[0]
		plan = planLine(g.batch.plan.ConvSummary(), e.conv, g.convTimes, g.dnnSkipped)
	}
	return engine.Info{Device: e.d.String(), Engine: "cuda+cublas", Detail: e.detail, Plan: plan, PeakGFLOPS: e.peak, Peak: e.peakHow,
		Precision: e.gpus[0].precision}
}

// Close frees every buffer and releases the primary contexts.
func (e *Executor) Close() error {
	if e.closed {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return e.closeLocked()
}

func (e *Executor) closeLocked() error {
	e.closed = true
	var first error
	for _, g := range e.gpus {
		if err := g.close(); err != nil && first == nil {
			first = fmt.Errorf("cuda engine: closing %s: %w", g.devName(), err)
		}
	}
	e.gpus = nil
	return first
}
