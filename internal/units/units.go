// Package units is infertop's one set of formatters: byte counts, rates,
// counts and durations, as every table, progress line, error and screen
// prints them. It is a leaf (the standard library only), so that the
// engines, gpuinfo, sweep, report and ui can all use it without an import
// cycle: report imports the engines' types, so the formatters cannot live
// in report itself.
//
// It must never import another infertop package.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Binary units.
const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

// Bytes prints a byte count with a binary unit and one decimal ("9.3 GiB",
// "512.0 MiB", "12 B").
func Bytes(b int64) string { return binary(float64(b), "") }

// FractionalBytes prints a byte count that need not be whole or positive
// (a fitted memory model's coefficients: "1.5 KiB", "-12 B").
func FractionalBytes(v float64) string { return binary(v, "") }

// BytesPerSec prints a transfer rate with a binary unit ("1.2 GiB/s").
func BytesPerSec(bps uint64) string { return binary(float64(bps), "/s") }

// binary prints v bytes in the largest binary unit |v| reaches, then per.
func binary(v float64, per string) string {
	switch a := math.Abs(v); {
	case a >= GiB:
		return fmt.Sprintf("%.1f GiB%s", v/GiB, per)
	case a >= MiB:
		return fmt.Sprintf("%.1f MiB%s", v/MiB, per)
	case a >= KiB:
		return fmt.Sprintf("%.1f KiB%s", v/KiB, per)
	}
	return fmt.Sprintf("%.0f B%s", v, per)
}

// Rate prints a figure of a table or a progress line (samples/s,
// batches/s, milliseconds): whole units from 1000 on, where more digits
// would be noise, and digits significant figures below (0 as "0"); never an
// exponent.
func Rate(v float64, digits int) string {
	if v >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}

// Decimal prints v in plain decimal notation, never with an exponent, to
// sig significant figures, or every digit before the point where it has
// more ("101992345", "0.000123457", "12.5"): the numbers of CSV and JSON,
// which a spreadsheet or a script reads without surprise.
func Decimal(v float64, sig int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	decimals := max(sig-1-int(math.Floor(math.Log10(math.Abs(v)))), 0)
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Short prints a rate for a narrow panel with three significant figures
// and a k, M or G suffix from ten thousand on ("12.3k", "1.05M", "987").
func Short(v float64) string { return si(v, 1e4) }

// Count prints a large count (parameters, FLOPs) with three significant
// figures and a k, M or G suffix from a thousand on ("1.2k", "3.4M").
func Count(v float64) string { return si(v, 1e3) }

// si prints v with an SI suffix, k from kFrom on; below, whole numbers from
// 100 and three significant figures under that.
func si(v, kFrom float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= kFrom:
		return fmt.Sprintf("%.3gk", v/1e3)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// Thousands prints an integer with thousands separators ("1,234,567").
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Percent prints a percentage with one decimal below 10 and none above.
func Percent(p float64) string {
	if p < 10 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// MS converts a duration to milliseconds, the unit of every exported latency.
func MS(d time.Duration) float64 { return float64(d) / 1e6 }

// FormatMS prints milliseconds with up to three significant figures ("48 ms", "0.25 ms").
func FormatMS(v float64) string { return fmt.Sprintf("%.3g ms", v) }

// Millis prints a duration in milliseconds with three decimals ("1.234 ms").
func Millis(d time.Duration) string { return fmt.Sprintf("%.3f ms", MS(d)) }

// Latency prints a latency with three significant figures in the unit that
// fits it ("850ns", "12.3µs", "4.56ms", "1.2s").
func Latency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

// Elapsed prints a run time as 1h02m03s, 2m03s or 3.4s.
func Elapsed(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
