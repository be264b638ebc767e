package cli

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"infertop/engine"
)

func TestParseBatchList(t *testing.T) {
	got, err := parseBatchList(" 1, 32 ,256")
	if err != nil || !slices.Equal(got, []int{1, 32, 256}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "-3", "abc", "1,,2", "1,", "16777217", "1.5", "99999999999999999999"} {
		if _, err := parseBatchList(bad); err == nil || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("parseBatchList(%q): %v", bad, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	if d, err := parseDuration("warmup", "0s", false); err != nil || d != 0 {
		t.Errorf("warmup 0s: %v %v", d, err)
	}
	if d, err := parseDuration("duration", "1m30s", true); err != nil || d != 90*time.Second {
		t.Errorf("1m30s: %v %v", d, err)
	}
	for _, bad := range []string{"0", "0s", "-1s", "5", "x"} {
		if _, err := parseDuration("duration", bad, true); err == nil || !strings.Contains(err.Error(), "--duration") {
			t.Errorf("parseDuration(%q): %v", bad, err)
		}
	}
}

// FuzzParseBatchList: whatever the input, the parser either refuses it with a
// message that says what is accepted, or returns batches in range whose
// canonical form parses to the same list.
func FuzzParseBatchList(f *testing.F) {
	for _, s := range []string{"1,32,256", "0", "-3", "abc", "1,,2", " 7 ", "16777216"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseBatchList(s)
		if err != nil {
			if !strings.Contains(err.Error(), "accepted:") {
				t.Fatalf("error without the accepted forms: %v", err)
			}
			return
		}
		parts := make([]string, len(got))
		for i, n := range got {
			if n < 1 || n > maxBatch {
				t.Fatalf("accepted out-of-range batch %d from %q", n, s)
			}
			parts[i] = strconv.Itoa(n)
		}
		again, err := parseBatchList(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

// FuzzParseDuration: accepted durations respect the sign rule; refusals name the flag.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5s", "0s", "-1s", "500ms", "5", "1h2m3.5s", ""} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, positive bool) {
		d, err := parseDuration("duration", s, positive)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--duration ") {
				t.Fatalf("error does not name the flag: %v", err)
			}
			return
		}
		if d < 0 || (positive && d == 0) {
			t.Fatalf("accepted %v from %q (positive=%v)", d, s, positive)
		}
	})
}

// FuzzParseDevice: an accepted device prints a canonical name that parses back to itself.
func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"cpu", "cuda", "cuda:0", "cuda:all", "gpu", "cuda:-1", "tpu", "CUDA:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDevice(s)
		if err != nil {
			if !strings.Contains(err.Error(), "valid: cpu") {
				t.Fatalf("error without the valid names: %v", err)
			}
			return
		}
		again, err := parseDevice(d.String())
		if err != nil || again != d {
			t.Fatalf("%q → %v → %v, %v", s, d, again, err)
		}
		if d.Kind != engine.CPU && d.Kind != engine.CUDA {
			t.Fatalf("unknown kind from %q", s)
		}
	})
}
