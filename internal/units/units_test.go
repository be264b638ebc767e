package units

import (
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	for _, c := range []struct {
		v      float64
		digits int
		want   string
	}{
		{0, 3, "0"}, {0.000012345, 3, "1.23e-05"}, {0.468, 3, "0.468"}, {12.345, 3, "12.3"}, {12.345, 4, "12.35"},
		{999.4, 3, "999"}, {999.96, 4, "1000"}, {1000, 3, "1000"}, {25623.4, 3, "25623"}, {2.5e7 + 0.5, 4, "25000000"},
		{30450.4, 4, "30450"}, {3.2e6, 4, "3200000"}, {999.4, 4, "999.4"}, {0.5, 4, "0.5"},
	} {
		if got := Rate(c.v, c.digits); got != c.want {
			t.Errorf("Rate(%v, %d) = %q, want %q", c.v, c.digits, got, c.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		v    float64
		sig  int
		want string
	}{
		{1.01992345e8, 6, "101992345"}, {0.000123456789, 6, "0.000123457"}, {1.2e-7, 6, "0.00000012"},
		{12.5, 6, "12.5"}, {0, 6, "0"}, {-3.25e-5, 3, "-0.0000325"}, {999.99996, 6, "1000"}, {2e21, 6, "2000000000000000000000"},
	} {
		if got := Decimal(c.v, c.sig); got != c.want {
			t.Errorf("Decimal(%v, %d) = %q, want %q", c.v, c.sig, got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for b, want := range map[int64]string{0: "0 B", 12: "12 B", 3 * KiB: "3.0 KiB", 512 * MiB: "512.0 MiB", 3 * GiB / 2: "1.5 GiB"} {
		if got := Bytes(b); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", b, got, want)
		}
	}
	for v, want := range map[float64]string{-12: "-12 B", 1536.4: "1.5 KiB", -3 * MiB: "-3.0 MiB", 0.5: "0 B"} {
		if got := FractionalBytes(v); got != want {
			t.Errorf("FractionalBytes(%v) = %q, want %q", v, got, want)
		}
	}
	for b, want := range map[uint64]string{12: "12 B/s", 3 * KiB: "3.0 KiB/s", 5 * GiB / 2: "2.5 GiB/s"} {
		if got := BytesPerSec(b); got != want {
			t.Errorf("BytesPerSec(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestShortAndCount(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12.34: "12.3", 987: "987", 1234: "1234", 12345: "12.3k", 1.05e6: "1.05M", 2.5e9: "2.5G"} {
		if got := Short(v); got != want {
			t.Errorf("Short(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0", 11: "11", 120: "120", 1234: "1.23k", 669706: "670k", 3.3e7: "33M", 2.5e9: "2.5G"} {
		if got := Count(v); got != want {
			t.Errorf("Count(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestThousandsAndPercent(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for p, want := range map[float64]string{0: "0.0%", 9.94: "9.9%", 61.5: "62%"} {
		if got := Percent(p); got != want {
			t.Errorf("Percent(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestDurations(t *testing.T) {
	if MS(1500*time.Microsecond) != 1.5 || FormatMS(48) != "48 ms" || FormatMS(0.25) != "0.25 ms" || Millis(1234567*time.Nanosecond) != "1.235 ms" {
		t.Errorf("MS, FormatMS or Millis")
	}
	for d, want := range map[time.Duration]string{0: "0", 850: "850ns", 12300: "12.3µs", 4560000: "4.56ms", 1200 * time.Millisecond: "1.2s"} {
		if got := Latency(d); got != want {
			t.Errorf("Latency(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{3400 * time.Millisecond: "3.4s", 123 * time.Second: "2m03s", 3723 * time.Second: "1h02m03s"} {
		if got := Elapsed(d); got != want {
			t.Errorf("Elapsed(%v) = %q, want %q", d, got, want)
		}
	}
}
