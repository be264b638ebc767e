package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
)

// GPUPlan is the CUDA engine's plan of a compiled graph at a batch
// (inspect --plan cuda): what each node becomes on the device and what
// the device must hold, worked out without a GPU by the engine's own plan
// compiler.
type GPUPlan struct {
	// Batch is the batch the plan is for.
	Batch int `json:"batch"`
	// Precision is the type the products take their operands in: fp32,
	// tf32, fp16 or bf16 (engine.Precision's names).
	Precision string `json:"precision"`
	// Nodes are what each compiled node becomes, in order.
	Nodes []GPUPlanNode `json:"nodes"`
	// Launches, Gemms and Convs count the steps: our kernels' launches,
	// cuBLAS calls and cuDNN convolutions, one stream in order.
	Launches int `json:"launches"`
	Gemms    int `json:"cublas_calls"`
	Convs    int `json:"cudnn_calls"`
	// Buffers is the number of device allocations; WeightBytes,
	// InputBytes, ActivationBytes and WorkspaceBytes what they hold by
	// role, and PeakBytes their sum: what a run holds on the device, all
	// allocated in Prepare. UnsharedBytes is what the activations would
	// take without sharing buffers between values whose lives do not
	// overlap.
	Buffers         int   `json:"buffers"`
	WeightBytes     int64 `json:"weight_bytes"`
	InputBytes      int64 `json:"input_bytes"`
	ActivationBytes int64 `json:"activation_bytes"`
	UnsharedBytes   int64 `json:"activation_unshared_bytes"`
	WorkspaceBytes  int64 `json:"workspace_bytes"`
	PeakBytes       int64 `json:"peak_bytes"`
	// Note says what the plan leaves to the device (the convolution ways).
	Note string `json:"note,omitempty"`
	// Unsupported lists every kind of node the CUDA engine has no plan
	// for; the plan is then empty (never null).
	Unsupported []Unsupported `json:"unsupported"`
}

// GPUPlanNode is one compiled node on the device.
type GPUPlanNode struct {
	Name string `json:"name"`
	Op   string `json:"op"`
	// Covers names the nodes of the graph as loaded that it computes.
	Covers []string `json:"covers"`
	// Steps are its launches and library calls, in order (none for a node
	// that only renames memory).
	Steps []string `json:"steps"`
	// Way is a convolution's way in this plan.
	Way string `json:"way,omitempty"`
}

// writeGPUPlan prints the plan's section of an inspection.
func writeGPUPlan(w io.Writer, p *GPUPlan) error {
	fmt.Fprintf(w, "\nCUDA PLAN (batch %d, %s products; worked out by the engine's plan compiler, no GPU needed)\n", p.Batch, p.Precision)
	if len(p.Unsupported) > 0 {
		fmt.Fprintln(w, "  the CUDA engine has no plan for:")
		for _, u := range p.Unsupported {
			fmt.Fprintf(w, "  %s\n", u)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tOP\tON THE DEVICE")
	for _, n := range p.Nodes {
		steps := strings.Join(n.Steps, "; ")
		if steps == "" {
			steps = "(renames memory: no step)"
		}
		if n.Way != "" {
			steps += " [" + n.Way + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n.Name, n.Op, steps)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	fmt.Fprintf(w, "  %d kernel launches, %d cuBLAS calls, %d cuDNN calls per batch, on one stream\n", p.Launches, p.Gemms, p.Convs)
	fmt.Fprintf(w, "  device memory: %s in %d buffers = weights %s + inputs %s + activations %s (%s without sharing) + workspace %s\n",
		units.Bytes(p.PeakBytes), p.Buffers, units.Bytes(p.WeightBytes), units.Bytes(p.InputBytes),
		units.Bytes(p.ActivationBytes), units.Bytes(p.UnsharedBytes), units.Bytes(p.WorkspaceBytes))
	if p.Note != "" {
		fmt.Fprintf(w, "  %s\n", p.Note)
	}
	return nil
}
