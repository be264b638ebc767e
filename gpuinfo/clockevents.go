package gpuinfo

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
)

// ClockEvents is NVML's clock event reasons bit mask (nvmlClocksEventReason*,
// formerly "throttle reasons"): why the clocks are below their maximum.
type ClockEvents uint64

// Clock event reason bits, as nvml.h defines them.
const (
	ClockEventIdle           ClockEvents = 0x1
	ClockEventAppClocks      ClockEvents = 0x2
	ClockEventSwPowerCap     ClockEvents = 0x4
	ClockEventHwSlowdown     ClockEvents = 0x8
	ClockEventSyncBoost      ClockEvents = 0x10
	ClockEventSwThermal      ClockEvents = 0x20
	ClockEventHwThermal      ClockEvents = 0x40
	ClockEventHwPowerBrake   ClockEvents = 0x80
	ClockEventDisplayClocks  ClockEvents = 0x100
	ClockEventBoardLimit     ClockEvents = 0x200
	ClockEventReliability    ClockEvents = 0x400
	clockEventKnownBitsCount             = 11
)

// clockEventWords names each bit, in bit order, close to nvidia-smi -q's wording.
func clockEventWords() [clockEventKnownBitsCount]string {
	return [...]string{"idle", "app clocks", "sw power cap", "hw slowdown", "sync boost",
		"sw thermal", "hw thermal", "hw power brake", "display clocks", "board limit", "reliability"}
}

// Words decodes the mask: "none" when no bit is set; unknown bits as hex.
func (c ClockEvents) Words() []string {
	if c == 0 {
		return []string{"none"}
	}
	names := clockEventWords()
	var out []string
	for m := uint64(c); m != 0; m &= m - 1 {
		bit := bits.TrailingZeros64(m)
		if bit < len(names) {
			out = append(out, names[bit])
		} else {
			out = append(out, fmt.Sprintf("0x%x", uint64(1)<<bit))
		}
	}
	return out
}

// String joins Words with ", ".
func (c ClockEvents) String() string { return strings.Join(c.Words(), ", ") }

// MarshalJSON writes the mask and its words: {"mask": 5, "reasons": ["idle", "sw power cap"]}.
func (c ClockEvents) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Mask    uint64   `json:"mask"`
		Reasons []string `json:"reasons"`
	}{uint64(c), c.Words()})
}

// UnmarshalJSON reads the mask back.
func (c *ClockEvents) UnmarshalJSON(b []byte) error {
	var v struct {
		Mask uint64 `json:"mask"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("clock event reasons: %w", err)
	}
	*c = ClockEvents(v.Mask)
	return nil
}
