package gpuinfo

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// CUDAOrder lists the GPUs CUDA sees, in CUDA ordinal order, when
// CUDA_DEVICE_ORDER=PCI_BUS_ID (which infertop sets for its CUDA engine):
// sorted by PCI bus id, then filtered and reordered by visible, the value of
// CUDA_VISIBLE_DEVICES ("" means every GPU). Entries of visible are ordinals
// in PCI order or UUID prefixes ("GPU-…"); as in CUDA, the list ends at the
// first entry that names no GPU. Matching is by bus id and UUID, never by
// NVML index alone.
func (m *Monitor) CUDAOrder(visible string) []DeviceInfo {
	all := append([]DeviceInfo(nil), m.info...)
	sort.SliceStable(all, func(i, j int) bool { return busKey(all[i].PCIBusID) < busKey(all[j].PCIBusID) })
	if strings.TrimSpace(visible) == "" {
		return all
	}
	var out []DeviceInfo
	seen := map[string]bool{}
	for _, tok := range strings.Split(visible, ",") {
		tok = strings.TrimSpace(tok)
		d, ok := pickVisible(all, tok)
		if !ok || seen[d.PCIBusID+d.UUID] {
			break
		}
		seen[d.PCIBusID+d.UUID] = true
		out = append(out, d)
	}
	return out
}

func pickVisible(all []DeviceInfo, tok string) (DeviceInfo, bool) {
	if n, err := strconv.Atoi(tok); err == nil {
		if n < 0 || n >= len(all) {
			return DeviceInfo{}, false
		}
		return all[n], true
	}
	if !strings.HasPrefix(tok, "GPU-") {
		return DeviceInfo{}, false
	}
	var hit []DeviceInfo
	for _, d := range all {
		if strings.HasPrefix(d.UUID, tok) {
			hit = append(hit, d)
		}
	}
	if len(hit) != 1 {
		return DeviceInfo{}, false
	}
	return hit[0], true
}

// CUDADevice returns the GPU that "cuda:<ordinal>" names (see CUDAOrder), so
// telemetry follows the GPU the engine runs on.
func (m *Monitor) CUDADevice(ordinal int, visible string) (DeviceInfo, error) {
	order := m.CUDAOrder(visible)
	if ordinal < 0 || ordinal >= len(order) {
		return DeviceInfo{}, fmt.Errorf("cuda:%d: no such GPU (%d visible to CUDA)", ordinal, len(order))
	}
	return order[ordinal], nil
}

// busKey makes bus ids compare numerically: domain, bus, device, function.
func busKey(id string) string {
	var dom, bus, dev, fn uint64
	if _, err := fmt.Sscanf(strings.ToLower(id), "%x:%x:%x.%x", &dom, &bus, &dev, &fn); err != nil {
		return "~" + id
	}
	return fmt.Sprintf("%016x:%04x:%04x.%04x", dom, bus, dev, fn)
}
