//go:build gpu

package cuda

import (
	"fmt"
	"time"
	"unsafe"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/model"
)

// Issuing a prepared batch on the stream and collecting it.

// enqueue stages the inputs (this device's share of samples [off,
// off+share) of a batch of batch; no host copy of a tensor that is the
// staging itself) and issues the whole batch on the stream: event, H2D,
// event, steps, event, D2H, event. The caller made the context current and
// checked the tensors against the signature. It returns the host time
// spent issuing stream work, which excludes any host copy into pinned
// staging (trtexec's "enqueue time" is the same quantity). With marks (a
// profiled batch, Profile.Marks) the step profile's events are recorded
// between the steps.
func (g *gpu) enqueue(in []*model.Tensor, off, share, batch int, marks []int) (time.Duration, error) {
	bs := &g.batch
	copyIn := !g.resident || !bs.uploaded
	if copyIn {
		for j, t := range in {
			stageIn(bs.hostIn[j], t, off, share, batch) // unless the caller filled our staging itself (engine.HostBuffers)
		}
	}
	start := time.Now()
	err := g.issueBatch(copyIn, marks)
	return time.Since(start), err
}

// issueBatch records the events and issues the copies and steps of one
// batch, with the step profile's events between the steps when marks are
// given.
func (g *gpu) issueBatch(copyIn bool, marks []int) error {
	bs := &g.batch
	if g.resident && !bs.uploaded {
		// Data resident: upload once, outside the timed region.
		if err := g.copyInputs("resident input"); err != nil {
			return err
		}
		bs.uploaded = true
		copyIn = false
	}
	if err := g.events[0].Record(g.stream); err != nil {
		return check("cuEventRecord(start)", err)
	}
	if copyIn {
		if err := g.copyInputs("input"); err != nil {
			return err
		}
	}
	if err := g.events[1].Record(g.stream); err != nil {
		return check("cuEventRecord(after H2D)", err)
	}
	if marks != nil {
		if err := issueMarked(g, len(bs.steps), marks); err != nil {
			return err
		}
	} else {
		for i := range bs.steps {
			if err := g.issue(&bs.steps[i]); err != nil {
				return err
			}
		}
	}
	if err := g.events[2].Record(g.stream); err != nil {
		return check("cuEventRecord(after compute)", err)
	}
	for j, io := range bs.plan.Outputs {
		if io.Floats == 0 {
			continue
		}
		if err := cu.MemcpyDtoHAsync(hostData(bs.hostOut[j]), bs.addrPtr(io.Ref), io.Bytes(), g.stream); err != nil {
			return check("cuMemcpyDtoHAsync(output "+io.Name+")", err)
		}
	}
	return check("cuEventRecord(after D2H)", g.events[3].Record(g.stream))
}

// copyInputs issues the copy of every input from its staging to the device.
func (g *gpu) copyInputs(what string) error {
	bs := &g.batch
	for j, io := range bs.plan.Inputs {
		if io.Floats == 0 {
			continue
		}
		if err := cu.MemcpyHtoDAsync(bs.addrPtr(io.Ref), hostData(bs.hostIn[j]), io.Bytes(), g.stream); err != nil {
			return check("cuMemcpyHtoDAsync("+what+" "+io.Name+")", err)
		}
	}
	return nil
}

func (bs *batchState) addrPtr(r Ref) cu.DevicePtr { return cu.DevicePtr(bs.addr(r)) }

// hostData is the address of a staging tensor's first value.
func hostData(t *model.Tensor) unsafe.Pointer {
	if t.F32 == nil {
		return unsafe.Pointer(&t.I64[0])
	}
	return unsafe.Pointer(&t.F32[0])
}

func (g *gpu) issue(ds *devStep) error {
	st := ds.src
	if st.Gemm != nil {
		if r := g.blas.gemm(g.handle, st.Gemm, ds.a, ds.b, ds.c); r != 0 {
			gm := st.Gemm
			return fmt.Errorf("%s: node %s: %w (m=%d n=%d k=%d lda=%d ldb=%d ldc=%d batch=%d)", g.devName(), st.Layer,
				blasErr(gemmCall(gm.In), r), gm.M, gm.N, gm.K, gm.LdA, gm.LdB, gm.LdC, gm.Batch)
		}
		return nil
	}
	if cc := st.Conv; cc != nil {
		bs := &g.batch
		if r := g.dnn.forward(g.dnnHandle, ds.conv, ds.a, ds.b, ds.c, uintptr(bs.dnnWork), bs.dnnWorkBytes); r != 0 {
			return fmt.Errorf("%s: node %s: %w: %w (%s, algorithm %d, workspace %d bytes)", g.devName(), st.Layer, errCudnnCall,
				g.dnn.err("cudnnConvolutionForward", r), st.Kernel(), ds.conv.algo(), bs.dnnWorkBytes)
		}
		return nil
	}
	l := st.Launch
	if err := ds.fn.Launch(l.Grid.X, l.Grid.Y, l.Grid.Z, l.Block.X, l.Block.Y, l.Block.Z, 0, g.stream, ds.params); err != nil {
		return fmt.Errorf("%s: node %s: %w", g.devName(), st.Layer,
			check(fmt.Sprintf("cuLaunchKernel(%s, grid %+v, block %+v)", l.Kernel, l.Grid, l.Block), err))
	}
	return nil
}

// finish waits for the batch, copies the outputs into this device's share
// of out (unless a tensor is the staging itself) and reads the events.
func (g *gpu) finish(out []*model.Tensor, off, share, batch int) (engine.Timing, error) {
	if err := g.events[3].Synchronize(); err != nil {
		return engine.Timing{}, fmt.Errorf("%s: %w", g.devName(), check("cuEventSynchronize (a kernel, GEMM or copy of this batch failed)", err))
	}
	for j, t := range out {
		unstageOut(t, g.batch.hostOut[j], off, share, batch)
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
