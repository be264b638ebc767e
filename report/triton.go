package report

import (
	"fmt"
	"strings"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/serve"
	"infertop/sweep"
)

// TritonConfig writes the recommended configuration of a serving search as
// a fragment of Triton's config.pbtxt (the model configuration's
// max_batch_size, dynamic_batching and instance_group), "" without a
// recommendation. device is where it ran: cpu gives KIND_CPU; cuda:N one
// group of KIND_GPU on GPU N; cuda:all, which deals the instances over
// gpus GPUs in turn, one group per GPU with its share.
func TritonConfig(res sweep.ServeResult, model, device string, gpus int) string {
	c := res.Recommended()
	if c == nil {
		return ""
	}
	var b strings.Builder
	best := c.BestPoint()
	fmt.Fprintf(&b, "# %s on %s: p99 %s at %s req/s (%s arrivals; SLO %s), measured by infertop sweep\n", model, device,
		sweep.MSText(best.P99MS), units.Rate(best.RateRPS, 4), res.Arrival, sweep.MSText(res.SLOMS))
	if res.RequestSize > 1 {
		fmt.Fprintf(&b, "# each request carries %d samples along the batch dimension\n", res.RequestSize)
	}
	fmt.Fprintf(&b, "max_batch_size: %d\n", c.MaxBatch)
	b.WriteString("dynamic_batching {\n")
	if p := c.Policy(serve.Policy{Preferred: res.Preferred}).Preferred; len(p) > 0 {
		fmt.Fprintf(&b, "  preferred_batch_size: [ %s ]\n", strings.ReplaceAll(serve.FormatSizes(p), ",", ", "))
	}
	fmt.Fprintf(&b, "  max_queue_delay_microseconds: %d\n", c.MaxDelayUS)
	if res.QueueLimit > 0 {
		fmt.Fprintf(&b, "  default_queue_policy {\n    max_queue_size: %d\n  }\n", res.QueueLimit)
	}
	b.WriteString("}\ninstance_group [\n")
	for i, g := range tritonGroups(device, c.Instances, gpus) {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  {\n    count: %d\n    kind: %s\n", g.count, g.kind)
		if g.gpu >= 0 {
			fmt.Fprintf(&b, "    gpus: [ %d ]\n", g.gpu)
		}
		b.WriteString("  }")
	}
	b.WriteString("\n]\n")
	return b.String()
}

// tritonGroup is one entry of instance_group; gpu is -1 on the CPU.
type tritonGroup struct {
	count int
	kind  string
	gpu   int
}

// tritonGroups places instances as the serving run did.
func tritonGroups(device string, instances, gpus int) []tritonGroup {
	d, err := engine.ParseDevice(device)
	switch {
	case err != nil || d.Kind != engine.CUDA:
		return []tritonGroup{{count: instances, kind: "KIND_CPU", gpu: -1}}
	case !d.All:
		return []tritonGroup{{count: instances, kind: "KIND_GPU", gpu: d.Ordinal}}
	case gpus < 1:
		// Without the GPU count, Triton's own rule: count instances on every GPU.
		return []tritonGroup{{count: instances, kind: "KIND_GPU", gpu: -1}}
	}
	var out []tritonGroup
	for g := range min(gpus, instances) {
		out = append(out, tritonGroup{count: instances/gpus + boolInt(g < instances%gpus), kind: "KIND_GPU", gpu: g})
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
