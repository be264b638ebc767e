package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/session"
)

// maxBatch bounds batch sizes so buffer sizes cannot overflow.
const maxBatch = 1 << 24

// parseBatchList reads a comma-separated list of batch sizes such as "1,32,256".
// Every entry must be an integer in 1..maxBatch; empty entries are refused.
func parseBatchList(s string) ([]int, error) {
	const accepted = "accepted: comma-separated integers from 1 to 16777216, e.g. 1,32,256"
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty batch list (%s)", accepted)
	}
	parts := strings.Split(s, ",")
	out := make([]int, 0, len(parts))
	for i, f := range parts {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("batch list %q has an empty entry at position %d (%s)", s, i+1, accepted)
		}
		n, err := parseBatch(f)
		if err != nil {
			return nil, fmt.Errorf("%v (%s)", err, accepted)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseBatch reads one batch size, an integer from 1 to maxBatch. Its error
// says which of the two the text is not, without the accepted range, which
// the caller adds in its own words.
func parseBatch(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("batch %s is out of range", strings.TrimSpace(s))
	case err != nil:
		return 0, fmt.Errorf("batch %q is not an integer", s)
	case n < 1 || n > maxBatch:
		return 0, fmt.Errorf("batch %d is out of range", n)
	}
	return n, nil
}

// parseBatchFlag reads a --batch that takes one size: "" (not given) is 0,
// which the caller turns into the model's default; anything else must be
// 1 to maxBatch, or also 0 where zero says "the default".
func parseBatchFlag(s string, zero bool) (int, error) {
	accepted := fmt.Sprintf("accepted: 1 to %d", maxBatch)
	if zero {
		accepted += ", or 0 for the model's default"
	}
	if s == "" || (zero && strings.TrimSpace(s) == "0") {
		return 0, nil
	}
	n, err := parseBatch(s)
	if err != nil {
		return 0, fmt.Errorf("--%v (%s)", err, accepted)
	}
	return n, nil
}

// parseDuration reads a flag's Go duration ("5s", "500ms", "2m"); positive
// requires it to be greater than zero, otherwise zero is accepted.
func parseDuration(flag, s string, positive bool) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("--%s %q is not a duration (accepted: a number with a unit, e.g. 5s, 500ms, 2m)", flag, s)
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("--%s %s is negative (accepted: %s durations, e.g. 5s)", flag, s, bound(positive))
	case d == 0 && positive:
		return 0, fmt.Errorf("--%s %s must be greater than zero (accepted: positive durations, e.g. 5s)", flag, s)
	}
	return d, nil
}

func bound(positive bool) string {
	if positive {
		return "positive"
	}
	return "zero or positive"
}

// parseDevice reads a device name; the error lists the valid forms.
func parseDevice(s string) (engine.Device, error) {
	d, err := engine.ParseDevice(s)
	if err != nil {
		return engine.Device{}, fmt.Errorf("--device: %w", err)
	}
	return d, nil
}

// runnableDevice reads a device name and checks that this build has its engine.
func runnableDevice(m session.Machine, s string) (engine.Device, error) {
	d, err := parseDevice(s)
	if err != nil {
		return d, err
	}
	if !m.Registry.Has(d.Kind) {
		return d, fmt.Errorf("device %s is not available in this build: %s", d, m.Registry.Why(d.Kind))
	}
	if d.Kind == engine.CPU {
		return d, m.CheckBLAS()
	}
	return d, nil
}

// checkThreads accepts a --threads value: 0 for all cores, or 1 to the
// CPUs this process may compute on (its affinity mask and cgroup quota):
// more threads than that only take turns on the same CPUs.
func checkThreads(n int, m session.Machine) error {
	cpus := m.UsableCPUs()
	accepted := fmt.Sprintf("accepted: 0 for all cores, or 1 to %d", cpus.N)
	switch {
	case n < 0:
		return fmt.Errorf("--threads %d is negative (%s)", n, accepted)
	case n > cpus.N:
		return fmt.Errorf("--threads %d is more than the %d CPUs this process may use (%s) (%s)", n, cpus.N, cpus.Source, accepted)
	}
	return nil
}
