//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"gorgonia.org/cu"

	"infertop/engine"
)

// batchState is what one prepared batch share holds on a device.
type batchState struct {
	plan     *Plan
	ptrs     []cu.DevicePtr // every plan buffer: weights shared, the rest owned
	owned    []bool
	bytes    int64
	pinIn    unsafe.Pointer
	pinOut   unsafe.Pointer
	hostIn   []float32
	hostOut  []float32
	steps    []devStep
	uploaded bool
	// dnnConvs are the cuDNN descriptors of every resolved convolution step
	// (the batch's own and the timing plans'), freed with the batch.
	dnnConvs []dnnConv
	// dnnWork is the cuDNN workspace, as large as the largest chosen
	// algorithm needs (dnnWorkBytes, counted in bytes).
	dnnWork      cu.DevicePtr
	dnnWorkBytes int64
}

// devStep is a plan step with its device addresses resolved: a, b, c are a
// GEMM's A, B, C or a cuDNN convolution's x, filter, y.
type devStep struct {
	src     *Step
	a, b, c uintptr
	conv    dnnConv
	fn      cu.Function
	args    []uint64
	params  []unsafe.Pointer
}

// errCudnnCall marks an error that a cuDNN call returned.
var errCudnnCall = errors.New("cuDNN")

func oomError(dev string, batch int, need, avail int64) error {
	return &engine.OOMError{Device: dev, Batch: batch, Need: need, Available: avail}
}

// allocPlan allocates the buffers of a batch share for plan. Out of memory
// returns an *engine.OOMError and leaves nothing allocated. The caller made
// the context current and freed the previous batch.
func (g *gpu) allocPlan(plan *Plan) error {
	free, _, err := cu.MemInfo()
	if err != nil {
		return check("cuMemGetInfo", err)
	}
	need := plan.BatchBytes() + CublasReserveBytes
	if need > free {
		return oomError(g.devName(), plan.Batch, need+g.weightBytes, free+g.weightBytes)
	}
	if err := g.allocBatch(plan); err != nil {
		ferr := g.freeBatch()
		if errors.Is(err, errOOM) {
			return oomError(g.devName(), plan.Batch, need+g.weightBytes, free+g.weightBytes)
		}
		if ferr != nil {
			return fmt.Errorf("%w (and freeing: %v)", err, ferr)
		}
		return err
	}
	return nil
}

// fits reports whether plan's batch buffers fit in the device's free memory now.
func (g *gpu) fits(plan *Plan) (bool, error) {
	free, _, err := cu.MemInfo()
	if err != nil {
		return false, check("cuMemGetInfo", err)
	}
	return plan.BatchBytes()+CublasReserveBytes <= free, nil
}

func (g *gpu) allocBatch(plan *Plan) error {
	bs := &g.batch
	bs.plan = plan
	bs.ptrs = make([]cu.DevicePtr, len(plan.Buffers))
	bs.owned = make([]bool, len(plan.Buffers))
	for i, b := range plan.Buffers {
		if b.Role == RoleWeight {
			bs.ptrs[i] = g.weights[i]
			continue
		}
		ptr, err := cu.MemAlloc(4 * b.Floats)
		if err != nil {
			return check(fmt.Sprintf("cuMemAlloc(%s, %d bytes)", b.Name, 4*b.Floats), err)
		}
		bs.ptrs[i], bs.owned[i] = ptr, true
		bs.bytes += 4 * b.Floats
	}
	var err error
	if bs.pinIn, err = hostAlloc(4 * plan.InputFloats); err != nil {
		return err
	}
	if bs.pinOut, err = hostAlloc(4 * plan.OutputFloats); err != nil {
		return err
	}
	bs.hostIn = unsafe.Slice((*float32)(bs.pinIn), plan.InputFloats)
	bs.hostOut = unsafe.Slice((*float32)(bs.pinOut), plan.OutputFloats)
	bs.steps, err = g.resolve(plan)
	return err
}

// resolve turns plan's steps into device steps over the current batch's
// buffers (plan must allocate the same buffers as the batch's own plan). A
// cuDNN convolution gets its descriptors and algorithm here, and the cuDNN
// workspace grows to what the algorithm needs.
func (g *gpu) resolve(plan *Plan) ([]devStep, error) {
	bs := &g.batch
	steps := make([]devStep, 0, len(plan.Steps))
	for i := range plan.Steps {
		st := &plan.Steps[i]
		ds := devStep{src: st}
		switch {
		case st.Gemm != nil:
			ds.a, ds.b, ds.c = bs.addr(st.Gemm.A), bs.addr(st.Gemm.B), bs.addr(st.Gemm.C)
		case st.Conv != nil:
			c, err := g.resolveConv(st)
			if err != nil {
				return nil, err
			}
			ds.conv = c
			ds.a, ds.b, ds.c = bs.addr(st.Conv.X), bs.addr(st.Conv.Filter), bs.addr(st.Conv.Y)
		default:
			ds.fn = g.fns[st.Launch.Kernel]
			ds.args = make([]uint64, len(st.Launch.Args))
			ds.params = make([]unsafe.Pointer, len(st.Launch.Args))
			for j, a := range st.Launch.Args {
				switch {
				case a.IsNull():
					ds.args[j] = 0
				case a.Kind == ArgPtr:
					ds.args[j] = uint64(bs.addr(a.Ref))
				case a.Kind == ArgInt:
					ds.args[j] = uint64(a.Int)
				default:
					ds.args[j] = math.Float64bits(a.Float)
				}
				ds.params[j] = unsafe.Pointer(&ds.args[j])
			}
		}
		steps = append(steps, ds)
	}
	return steps, nil
}

// resolveConv describes a cuDNN convolution step to cuDNN and makes the
// workspace large enough for the algorithm chosen.
func (g *gpu) resolveConv(st *Step) (dnnConv, error) {
	if g.dnn == nil {
		return dnnConv{}, fmt.Errorf("%s: layer %s: the plan calls cuDNN, which this device lacks: %s", g.devName(), st.Layer, g.dnnWhy)
	}
	c, err := g.dnn.setup(g.dnnHandle, st.Conv, g.tf32)
	if err != nil {
		return dnnConv{}, fmt.Errorf("%s: layer %s (%s): %w", g.devName(), st.Layer, st.Kernel(), err)
	}
	bs := &g.batch
	bs.dnnConvs = append(bs.dnnConvs, c)
	if need := c.workspace(); need > bs.dnnWorkBytes {
		if err := g.freeDNNWork(); err != nil {
			return dnnConv{}, err
		}
		ptr, err := cu.MemAlloc(need)
		if err != nil {
			return dnnConv{}, check(fmt.Sprintf("cuMemAlloc(cuDNN workspace, %d bytes)", need), err)
		}
		bs.dnnWork, bs.dnnWorkBytes = ptr, need
		bs.bytes += need
	}
	return c, nil
}

// freeDNNWork frees the cuDNN workspace once the stream has finished with it.
func (g *gpu) freeDNNWork() error {
	bs := &g.batch
	if bs.dnnWork == 0 {
		return nil
	}
	if err := g.stream.Synchronize(); err != nil {
		return check("cuStreamSynchronize (before freeing the cuDNN workspace)", err)
	}
	err := check("cuMemFree(cuDNN workspace)", cu.MemFree(bs.dnnWork))
	bs.bytes -= bs.dnnWorkBytes
	bs.dnnWork, bs.dnnWorkBytes = 0, 0
	return err
}

func (bs *batchState) addr(r Ref) uintptr { return uintptr(bs.ptrs[r.Buf]) + uintptr(4*r.Off) }

// freeBatch releases the current batch's buffers and staging.
func (g *gpu) freeBatch() error {
	bs := &g.batch
	var first error
	for i, p := range bs.ptrs {
		if bs.owned[i] && p != 0 {
			if err := check("cuMemFree("+bs.plan.Buffers[i].Name+")", cu.MemFree(p)); err != nil && first == nil {
				first = err
			}
		}
	}
	for _, p := range []unsafe.Pointer{bs.pinIn, bs.pinOut} {
		if err := hostFree(p); err != nil && first == nil {
			first = err
		}
	}
	if err := g.freeDNNWork(); err != nil && first == nil {
		first = err
	}
	for _, c := range bs.dnnConvs {
		g.dnn.free(c)
	}
	*bs = batchState{}
	return first
}

// enqueue stages in (this device's share; no host copy when in is the staging
// buffer itself) and issues the whole batch on the stream: event, H2D, event,
// steps, event, D2H, event. The caller made the context current. It returns the
// host time spent issuing stream work, which excludes any host copy into pinned
// staging (trtexec's "enqueue time" is the same quantity).
func (g *gpu) enqueue(in []float32) (time.Duration, error) {
	bs := &g.batch
	copyIn := !g.resident || !bs.uploaded
	if copyIn && !sameSlice(in, bs.hostIn) {
		copy(bs.hostIn, in) // the caller did not fill our staging itself (engine.HostBuffers)
	}
	start := time.Now()
	err := g.issueBatch(copyIn)
	return time.Since(start), err
}

// issueBatch records the events and issues the copies and steps of one batch.
func (g *gpu) issueBatch(copyIn bool) error {
	bs := &g.batch
	pl := bs.plan
	if g.resident && !bs.uploaded {
		// Data resident: upload once, outside the timed region.
		if err := cu.MemcpyHtoDAsync(bs.ptrs[pl.Input.Buf], bs.pinIn, 4*pl.InputFloats, g.stream); err != nil {
			return check("cuMemcpyHtoDAsync(resident input)", err)
		}
		bs.uploaded = true
		copyIn = false
	}
	if err := g.events[0].Record(g.stream); err != nil {
		return check("cuEventRecord(start)", err)
	}
	if copyIn {
		if err := cu.MemcpyHtoDAsync(bs.ptrs[pl.Input.Buf], bs.pinIn, 4*pl.InputFloats, g.stream); err != nil {
			return check("cuMemcpyHtoDAsync(input)", err)
		}
	}
	if err := g.events[1].Record(g.stream); err != nil {
		return check("cuEventRecord(after H2D)", err)
	}
	for i := range bs.steps {
		if err := g.issue(&bs.steps[i]); err != nil {
			return err
		}
	}
	if err := g.events[2].Record(g.stream); err != nil {
		return check("cuEventRecord(after compute)", err)
	}
	if err := cu.MemcpyDtoHAsync(bs.pinOut, bs.addrPtr(pl.Output), 4*pl.OutputFloats, g.stream); err != nil {
		return check("cuMemcpyDtoHAsync(output)", err)
	}
	return check("cuEventRecord(after D2H)", g.events[3].Record(g.stream))
}

func (bs *batchState) addrPtr(r Ref) cu.DevicePtr { return cu.DevicePtr(bs.addr(r)) }

func (g *gpu) issue(ds *devStep) error {
	st := ds.src
	if st.Gemm != nil {
		if r := g.blas.gemm(g.handle, st.Gemm, ds.a, ds.b, ds.c); r != 0 {
			gm := st.Gemm
			return fmt.Errorf("%s: layer %s: %w (m=%d n=%d k=%d lda=%d ldb=%d ldc=%d batch=%d)", g.devName(), st.Layer,
				blasErr("cublasSgemm", r), gm.M, gm.N, gm.K, gm.LdA, gm.LdB, gm.LdC, gm.Batch)
		}
		return nil
	}
	if cc := st.Conv; cc != nil {
		bs := &g.batch
		if r := g.dnn.forward(g.dnnHandle, ds.conv, ds.a, ds.b, ds.c, uintptr(bs.dnnWork), bs.dnnWorkBytes); r != 0 {
			return fmt.Errorf("%s: layer %s: %w: %w (%s, algorithm %d, workspace %d bytes)", g.devName(), st.Layer, errCudnnCall,
				g.dnn.err("cudnnConvolutionForward", r), st.Kernel(), ds.conv.algo(), bs.dnnWorkBytes)
		}
		return nil
	}
	l := st.Launch
	if err := ds.fn.Launch(l.Grid.X, l.Grid.Y, l.Grid.Z, l.Block.X, l.Block.Y, l.Block.Z, 0, g.stream, ds.params); err != nil {
		return fmt.Errorf("%s: layer %s: %w", g.devName(), st.Layer,
			check(fmt.Sprintf("cuLaunchKernel(%s, grid %+v, block %+v)", l.Kernel, l.Grid, l.Block), err))
	}
	return nil
}

// finish waits for the batch, copies the output into out (unless out is the
// staging buffer itself) and reads the events.
func (g *gpu) finish(out []float32) (engine.Timing, error) {
	if err := g.events[3].Synchronize(); err != nil {
		return engine.Timing{}, fmt.Errorf("%s: %w", g.devName(), check("cuEventSynchronize (a kernel, GEMM or copy of this batch failed)", err))
	}
	if !sameSlice(out, g.batch.hostOut) {
		copy(out, g.batch.hostOut)
	}
	var ms [3]float64
	for i := range ms {
		v, err := g.events[i].Elapsed(g.events[i+1])
		if err != nil {
			return engine.Timing{}, check("cuEventElapsedTime", err)
		}
		ms[i] = v
	}
	t := engine.Timing{Valid: true, H2D: msDur(ms[0]), Compute: msDur(ms[1]), D2H: msDur(ms[2])}
	if g.resident {
		t.H2D = 0
	}
	return t, nil
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
