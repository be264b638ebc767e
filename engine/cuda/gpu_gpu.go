//go:build gpu

package cuda

import (
	"fmt"
	"hash/maphash"
	"unsafe"

	"gorgonia.org/cu"

	"infertop/engine"
)

// gpu is one device: its primary context, stream, events, kernels, cuBLAS
// and cuDNN handles and weights, plus the buffers of the batch share it is
// prepared for.
type gpu struct {
	ordinal int
	name    string
	bus     string
	uuid    string
	dev     cu.Device
	ctx     cu.CUContext
	stream  cu.Stream
	events  []cu.Event // start, after H2D, after compute, after D2H
	mod     cu.Module
	fns     map[string]cu.Function
	blas    *cublas
	handle  cublasHandle
	hasBLAS bool
	blasVer int
	// dnn is cuDNN when it loaded and a handle exists on this device
	// (dnnHandle); otherwise dnnWhy says why not.
	dnn       *cudnn
	dnnHandle cudnnHandle
	dnnWhy    string

	// weights are the constants on the device, kept across batches by
	// what they hold (keyOf, hashed with seed).
	weights     map[weightKey]cu.DevicePtr
	weightBytes int64
	seed        maphash.Seed

	// markEvents are the step profile's, recorded between the steps of a
	// profiled batch (profile_gpu.go).
	markEvents []cu.Event

	batch      batchState
	convTimes  []convTiming // what the last Prepare measured, when it timed the convolutions
	dnnSkipped string       // why the last Prepare did not time cuDNN although it is loaded
	resident   bool
	precision  engine.Precision // the products' operand type (engine.Options.Precision)
	streamInit bool
	modLoaded  bool
	retained   bool
}

// devName is the device's canonical name, "cuda:N".
func (g *gpu) devName() string { return fmt.Sprintf("cuda:%d", g.ordinal) }

// current makes the device's primary context current on the calling OS thread.
func (g *gpu) current() error {
	return check(fmt.Sprintf("cuCtxSetCurrent(%s primary context)", g.devName()), cu.SetCurrentContext(g.ctx))
}

// openGPU retains the device's primary context and sets up everything that
// outlives a batch, and uploads the weights plan reads. dnn may be nil (no
// cuDNN); a cuDNN handle that cannot be created leaves the device without
// cuDNN and says why in dnnWhy. The caller holds the OS thread locked.
func openGPU(ordinal int, blas *cublas, dnn *cudnn, plan *Plan, opts engine.Options) (g *gpu, err error) {
	g = &gpu{ordinal: ordinal, blas: blas, resident: opts.DataResident, precision: opts.Precision,
		weights: map[weightKey]cu.DevicePtr{}, seed: maphash.MakeSeed()}
	defer func() {
		if err != nil {
			g.close()
			g = nil
		}
	}()
	if g.dev, err = cu.GetDevice(ordinal); err != nil {
		return g, check(fmt.Sprintf("cuDeviceGet(%d)", ordinal), err)
	}
	if g.name, err = g.dev.Name(); err != nil {
		return g, check("cuDeviceGetName", err)
	}
	if g.bus, err = pciBusID(ordinal); err != nil {
		return g, err
	}
	if id, uerr := g.dev.UUID(); uerr == nil {
		g.uuid = id.String()
	}
	major, err := g.dev.Attribute(cu.ComputeCapabilityMajor)
	if err != nil {
		return g, check("cuDeviceGetAttribute(compute capability)", err)
	}
	if err := precisionSupported(opts.Precision, major); err != nil {
		return g, fmt.Errorf("%s (%s): %w", g.devName(), g.name, err)
	}
	if g.ctx, err = g.dev.RetainPrimaryCtx(); err != nil {
		return g, check(fmt.Sprintf("cuDevicePrimaryCtxRetain(%s)", g.devName()), err)
	}
	g.retained = true
	if err = g.current(); err != nil {
		return g, err
	}
	if g.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return g, check("cuStreamCreate", err)
	}
	g.streamInit = true
	for range 4 {
		ev, err := cu.MakeEvent(cu.DefaultEvent)
		if err != nil {
			return g, check("cuEventCreate", err)
		}
		g.events = append(g.events, ev)
	}
	if g.mod, err = cu.LoadData(PTX); err != nil {
		return g, check("cuModuleLoadData (JIT-compiling the embedded kernels.ptx)", err)
	}
	g.modLoaded = true
	g.fns = map[string]cu.Function{}
	for _, k := range KernelNames() {
		f, err := g.mod.Function(k)
		if err != nil {
			return g, check("cuModuleGetFunction("+k+")", err)
		}
		g.fns[k] = f
	}
	if g.handle, g.blasVer, err = blas.newHandle(unsafe.Pointer(g.stream.C()), g.precision == engine.TF32); err != nil {
		return g, fmt.Errorf("%s (%s): %w", g.devName(), blas.Path, err)
	}
	g.hasBLAS = true
	if dnn != nil {
		if h, herr := dnn.newHandle(unsafe.Pointer(g.stream.C())); herr != nil {
			g.dnnWhy = fmt.Sprintf("%s (%s)", herr, dnn.Path)
		} else {
			g.dnn, g.dnnHandle = dnn, h
		}
	}
	_, err = g.ensureWeights(plan, 0)
	return g, err
}

// ensureWeights makes the device hold exactly the weights plan reads: it
// frees those it no longer reads, then uploads those it lacks (zeros for a
// buffer of zeros), checking free memory first (an out-of-memory error
// names batch, 0 when the engine opens). It returns the device address of
// every weight buffer of plan, by buffer index.
func (g *gpu) ensureWeights(plan *Plan, batch int) ([]cu.DevicePtr, error) {
	keys := make([]weightKey, len(plan.Buffers))
	want := map[weightKey]bool{}
	var missing int64
	for i, b := range plan.Buffers {
		if b.Role != RoleWeight {
			continue
		}
		keys[i] = keyOf(b, g.seed)
		if _, ok := g.weights[keys[i]]; !ok && !want[keys[i]] {
			missing += b.Bytes()
		}
		want[keys[i]] = true
	}
	for k, p := range g.weights {
		if !want[k] {
			if p != 0 {
				if err := check("cuMemFree(weight "+k.name+")", cu.MemFree(p)); err != nil {
					return nil, err
				}
			}
			delete(g.weights, k)
			g.weightBytes -= k.floats * k.typ.Size()
		}
	}
	if missing > 0 {
		free, _, err := cu.MemInfo()
		if err != nil {
			return nil, check("cuMemGetInfo", err)
		}
		if need := missing + CublasReserveBytes; need > free {
			return nil, oomError(g.devName(), batch, need+g.weightBytes, free+g.weightBytes)
		}
	}
	ptrs := make([]cu.DevicePtr, len(plan.Buffers))
	for i, b := range plan.Buffers {
		if b.Role != RoleWeight {
			continue
		}
		p, ok := g.weights[keys[i]]
		if !ok {
			var err error
			if p, err = g.upload(b); err != nil {
				return nil, err
			}
			g.weights[keys[i]] = p
			g.weightBytes += b.Bytes()
		}
		ptrs[i] = p
	}
	return ptrs, nil
}

// upload allocates one weight buffer and fills it with its constant
// (converted first when the buffer is of a half type), or zeros.
func (g *gpu) upload(b Buffer) (cu.DevicePtr, error) {
	if b.Floats == 0 {
		return 0, nil
	}
	p, err := cu.MemAlloc(b.Bytes())
	if err != nil {
		return 0, check(fmt.Sprintf("cuMemAlloc(%s, %d bytes)", b.Name, b.Bytes()), err)
	}
	switch {
	case b.Const == nil:
		err = check("cuMemsetD8("+b.Name+")", cu.MemsetD8(p, 0, b.Bytes()))
	case b.Type == ElemI64:
		v := constInt64(b.Const)
		err = check("cuMemcpyHtoD("+b.Name+")", cu.MemcpyHtoD(p, unsafe.Pointer(&v[0]), b.Bytes()))
	case b.Type != ElemF32:
		h := halfBits(b.Type, b.Const.F32)
		err = check("cuMemcpyHtoD("+b.Name+")", cu.MemcpyHtoD(p, unsafe.Pointer(&h[0]), b.Bytes()))
	default:
		err = check("cuMemcpyHtoD("+b.Name+")", cu.MemcpyHtoD(p, unsafe.Pointer(&b.Const.F32[0]), b.Bytes()))
	}
	if err != nil {
		_ = cu.MemFree(p)
		return 0, err
	}
	return p, nil
}

// close frees everything the device holds; it reports the first failure.
func (g *gpu) close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if !g.retained {
		return nil
	}
	keep(g.current())
	keep(g.freeBatch())
	for k, p := range g.weights {
		if p != 0 {
			keep(check("cuMemFree(weight "+k.name+")", cu.MemFree(p)))
		}
		delete(g.weights, k)
	}
	g.weightBytes = 0
	if g.hasBLAS {
		keep(g.blas.destroy(g.handle))
		g.hasBLAS = false
	}
	if g.dnn != nil {
		keep(g.dnn.destroy(g.dnnHandle))
		g.dnn = nil
	}
	if g.modLoaded {
		keep(check("cuModuleUnload", g.mod.Unload()))
		g.modLoaded = false
	}
	for i := range g.events {
		keep(check("cuEventDestroy", cu.DestroyEvent(&g.events[i])))
	}
	g.events = nil
	keep(g.destroyMarkEvents())
	if g.streamInit {
		keep(check("cuStreamDestroy", g.stream.Destroy()))
		g.streamInit = false
	}
	keep(check("cuDevicePrimaryCtxRelease", g.dev.ReleasePrimaryCtx()))
	g.retained = false
	return first
}
