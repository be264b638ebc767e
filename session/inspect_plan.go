package session

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"infertop/engine"
	"infertop/engine/cuda"
	"infertop/model"
	"infertop/report"
)

// gpuPlan is the CUDA engine's plan of the compiled graph c at batch, as
// inspect --plan cuda shows it: the engine's own plan compiler, which
// needs no GPU. Convolutions are shown the im2col way, whose workspace
// bounds the memory; the engine times the ways on the device in Prepare.
// Products take their operands in precision prec.
func gpuPlan(c *model.Graph, batch int, prec engine.Precision) (*report.GPUPlan, error) {
	out := &report.GPUPlan{Batch: batch, Precision: prec.String()}
	if u := cuda.CheckGraph(c); len(u) > 0 {
		out.Unsupported = unsupportedRows(u)
		return out, nil
	}
	p, err := cuda.BuildWith(c, batch, cuda.Options{Precision: prec})
	if err != nil {
		return nil, fmt.Errorf("the CUDA plan at batch %d: %w", batch, err)
	}
	ways := map[string]int{}
	for _, n := range p.Nodes {
		row := report.GPUPlanNode{Name: n.Name, Op: strings.TrimPrefix(n.Op, "infertop."), Covers: n.Covers, Steps: []string{}}
		if n.Covers == nil {
			row.Covers = []string{}
		}
		for i := n.Lo; i < n.Hi; i++ {
			s := &p.Steps[i]
			row.Steps = append(row.Steps, stepText(s))
			switch {
			case s.Gemm != nil:
				out.Gemms++
			case s.Conv != nil:
				out.Convs++
			default:
				out.Launches++
			}
		}
		if w, ok := p.Conv[n.Name]; ok {
			row.Way = w.String()
			ways[row.Way]++
		}
		out.Nodes = append(out.Nodes, row)
	}
	out.Buffers = len(p.Buffers)
	for _, b := range p.Buffers {
		bytes := b.Bytes()
		switch b.Role {
		case cuda.RoleWeight:
			out.WeightBytes += bytes
		case cuda.RoleInput:
			out.InputBytes += bytes
		case cuda.RoleActivation:
			out.ActivationBytes += bytes
		case cuda.RoleWorkspace:
			out.WorkspaceBytes += bytes
		}
		out.PeakBytes += bytes
	}
	out.UnsharedBytes = 4 * p.ValueFloats
	if len(ways) > 0 {
		var parts []string
		for _, w := range slices.Sorted(maps.Keys(ways)) {
			parts = append(parts, fmt.Sprintf("%d %s", ways[w], w))
		}
		out.Note = fmt.Sprintf("convolutions are shown the way the plan takes without a GPU (%s): im2col where it can (its workspace bounds the memory), the direct kernel where only it can; on the GPU, Prepare times the ways each layer can take (im2col + cuBLAS, the implicit-GEMM kernel, cuDNN, the direct kernel) and keeps the quickest that agrees", strings.Join(parts, ", "))
	}
	return out, nil
}

// stepText names one step: a kernel with its grid, a cuBLAS call, a cuDNN call.
func stepText(s *cuda.Step) string {
	switch {
	case s.Gemm != nil:
		g := s.Gemm
		if g.In != cuda.ElemF32 {
			if g.Batch > 1 {
				return fmt.Sprintf("cublasGemmStridedBatchedEx %s %d×%d×%d ×%d", g.In, g.M, g.N, g.K, g.Batch)
			}
			return fmt.Sprintf("cublasGemmEx %s %d×%d×%d", g.In, g.M, g.N, g.K)
		}
		if g.Batch > 1 {
			return fmt.Sprintf("cublasSgemmStridedBatched %d×%d×%d ×%d", g.M, g.N, g.K, g.Batch)
		}
		return fmt.Sprintf("cublasSgemm %d×%d×%d", g.M, g.N, g.K)
	case s.Conv != nil:
		return s.Kernel()
	}
	l := s.Launch
	return fmt.Sprintf("%s<<<%d, %d>>>", l.Kernel, l.Grid.Size(), l.Block.Size())
}
