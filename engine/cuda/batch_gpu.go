//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/model"
)

// batchState is what one prepared batch share holds on a device.
type batchState struct {
	plan   *Plan
	ptrs   []cu.DevicePtr // every plan buffer: weights shared, the rest owned
	owned  []bool
	bytes  int64
	pinIn  unsafe.Pointer
	pinOut unsafe.Pointer
	// hostIn and hostOut are the page-locked staging of each graph input
	// and output, tensors over pinIn and pinOut.
	hostIn   []*model.Tensor
	hostOut  []*model.Tensor
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

// allocPlan uploads the weights plan reads that the device lacks and
// allocates the buffers of a batch share for plan. Out of memory returns an
// *engine.OOMError and leaves no batch allocated. The caller made the
// context current and freed the previous batch.
func (g *gpu) allocPlan(plan *Plan) error {
	wptrs, err := g.ensureWeights(plan, plan.Batch)
	if err != nil {
		return err
	}
	free, _, err := cu.MemInfo()
	if err != nil {
		return check("cuMemGetInfo", err)
	}
	need := plan.BatchBytes() + CublasReserveBytes
	if need > free {
		return oomError(g.devName(), plan.Batch, need+g.weightBytes, free+g.weightBytes)
	}
	if err := g.allocBatch(plan, wptrs); err != nil {
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

// allocBatch allocates plan's batch buffers and staging; wptrs are the
// weights' addresses by buffer index (ensureWeights).
func (g *gpu) allocBatch(plan *Plan, wptrs []cu.DevicePtr) error {
	bs := &g.batch
	bs.plan = plan
	bs.ptrs = make([]cu.DevicePtr, len(plan.Buffers))
	bs.owned = make([]bool, len(plan.Buffers))
	for i, b := range plan.Buffers {
		if b.Role == RoleWeight || b.Floats == 0 {
			bs.ptrs[i] = wptrs[i]
			continue
		}
		ptr, err := cu.MemAlloc(b.Bytes())
		if err != nil {
			return check(fmt.Sprintf("cuMemAlloc(%s, %d bytes)", b.Name, b.Bytes()), err)
		}
		bs.ptrs[i], bs.owned[i] = ptr, true
		bs.bytes += b.Bytes()
	}
	var err error
	if bs.pinIn, bs.hostIn, err = staging(plan.Inputs); err != nil {
		return err
	}
	if bs.pinOut, bs.hostOut, err = staging(plan.Outputs); err != nil {
		return err
	}
	bs.steps, err = g.resolve(plan)
	return err
}

// staging allocates one page-locked block for a list of inputs or outputs
// and returns it and a tensor over it for each: float32, or the integers
// of an integer or bool value (int64; an int32 tensor says int32, a bool
// one int64); each tensor starts on an 8-byte boundary.
func staging(l []IO) (unsafe.Pointer, []*model.Tensor, error) {
	var total int64
	for _, io := range l {
		total += (io.Bytes() + 7) &^ 7
	}
	var p unsafe.Pointer
	if total > 0 {
		var err error
		if p, err = hostAlloc(total); err != nil {
			return nil, nil, err
		}
	}
	ts := make([]*model.Tensor, len(l))
	var at int64
	for i, io := range l {
		dt := io.DType()
		if dt == model.Bool {
			dt = model.Int64
		}
		if io.Floats == 0 {
			ts[i] = model.NewTensor(dt, io.Shape...)
			continue
		}
		base := unsafe.Add(p, at)
		if io.Type == ElemI64 {
			ts[i] = model.Ints(io.Shape, unsafe.Slice((*int64)(base), io.Floats))
			ts[i].DType = dt
		} else {
			ts[i] = model.Floats(io.Shape, unsafe.Slice((*float32)(base), io.Floats))
		}
		at += (io.Bytes() + 7) &^ 7
	}
	return p, ts, nil
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
			in := st.Gemm.In.Size() // A's and B's offsets count values of their type
			ds.a, ds.b, ds.c = bs.addrOf(st.Gemm.A, in), bs.addrOf(st.Gemm.B, in), bs.addr(st.Gemm.C)
		case st.Conv != nil:
			c, err := g.resolveConv(st)
			if err != nil {
				return nil, err
			}
			ds.conv = c
			in := st.Conv.Type.Size() // offsets count values of the convolution's type
			ds.a, ds.b, ds.c = bs.addrOf(st.Conv.X, in), bs.addrOf(st.Conv.Filter, in), bs.addrOf(st.Conv.Y, in)
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
		return dnnConv{}, fmt.Errorf("%s: node %s: the plan calls cuDNN, which this device lacks: %s", g.devName(), st.Layer, g.dnnWhy)
	}
	c, err := g.dnn.setup(g.dnnHandle, st.Conv, g.precision == engine.TF32)
	if err != nil {
		return dnnConv{}, fmt.Errorf("%s: node %s (%s): %w", g.devName(), st.Layer, st.Kernel(), err)
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

func (bs *batchState) addr(r Ref) uintptr { return bs.addrOf(r, 4) }

// addrOf is r's device address when its offset counts values of size bytes.
func (bs *batchState) addrOf(r Ref, size int64) uintptr {
	return uintptr(bs.ptrs[r.Buf]) + uintptr(size*r.Off)
}

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
