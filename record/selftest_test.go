package record

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/runner"
)

// A selftest's cases and events come back as event entries, each case with
// its verdict, error and relative error (NaN and uncompared included), and
// the events are numbered in order.
func TestSelftestCasesRoundTrip(t *testing.T) {
	c := &clock{t: t0}
	f := &memFile{}
	r, err := New(f, Header{Command: "selftest"}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []Case{
		{Model: "linear", Batch: 1, Device: "cpu", Baseline: "reference", Pass: true, Compared: true, MaxRelErr: 1.5e-7,
			Tolerance: 1e-3, Took: 2 * time.Millisecond, BaselineTook: time.Millisecond},
		{Model: "mlp", Batch: 7, Device: "cpu", Baseline: "reference", Compared: true, MaxRelErr: 0.02, Tolerance: 1e-3,
			Error: "max rel err 2.00e-02 exceeds 1e-03"},
		{Model: "mlp", Batch: 64, Device: "cpu", Baseline: "reference", Compared: true, MaxRelErr: math.NaN(), Tolerance: 1e-3,
			Error: "baseline not finite"},
		{Model: "resnet", Batch: 64, Device: "cpu", Baseline: "reference", Tolerance: 1e-3, Error: "prepare: out of memory"},
	}
	for _, k := range cases {
		c.add(time.Second)
		r.Case(k)
	}
	r.Event(runner.Event{Kind: runner.EventError, Text: "FAIL: 3 of 4 cases"})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	if len(rec.Entries) != len(cases)+1 {
		t.Fatalf("%d entries, want %d", len(rec.Entries), len(cases)+1)
	}
	for i, e := range rec.Entries {
		if e.Kind != KindEvent || e.Event.Seq != uint64(i) || e.Event.Time.IsZero() {
			t.Errorf("entry %d: kind %v event %+v", i, e.Kind, e.Event)
		}
		if i == len(cases) {
			if e.Case != nil || e.Event.Text != "FAIL: 3 of 4 cases" {
				t.Errorf("summary: case %+v, text %q", e.Case, e.Event.Text)
			}
			continue
		}
		want, got := cases[i], e.Case
		if got == nil {
			t.Fatalf("entry %d carries no case", i)
		}
		sameRel := got.MaxRelErr == want.MaxRelErr || math.IsNaN(got.MaxRelErr) && math.IsNaN(want.MaxRelErr)
		if got.Model != want.Model || got.Batch != want.Batch || got.Pass != want.Pass || got.Compared != want.Compared ||
			!sameRel || got.Error != want.Error || got.Took != want.Took || got.Tolerance != want.Tolerance {
			t.Errorf("case %d: got %+v, want %+v", i, *got, want)
		}
		kind := runner.EventDone
		if !want.Pass {
			kind = runner.EventError
		}
		if e.Event.Kind != kind || e.Event.Text != want.String() || !strings.HasPrefix(e.Event.Text, want.Verdict()+" ") {
			t.Errorf("case %d: event %v %q", i, e.Event.Kind, e.Event.Text)
		}
	}
	if s := cases[0].String(); s != "PASS linear batch 1 on cpu: max rel err 1.50e-07 (tolerance 1e-03, against reference)" {
		t.Errorf("pass text %q", s)
	}
	if s := cases[3].String(); s != "FAIL resnet batch 64 on cpu: prepare: out of memory" {
		t.Errorf("uncompared failure text %q", s)
	}
}

// A case line with an unknown verdict is damage, and the reading stops there.
func TestSelftestCaseBadVerdict(t *testing.T) {
	f := &memFile{}
	r, err := New(f, Header{Command: "selftest"}, (&clock{t: t0}).now)
	if err != nil {
		t.Fatal(err)
	}
	r.Case(Case{Model: "linear", Batch: 1, Pass: true, Compared: true})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(f.bytes()), `"verdict":"PASS"`, `"verdict":"MAYBE"`, 1)
	rec, err := Read(strings.NewReader(bad))
	if err != nil || rec.Stopped == nil || !strings.Contains(rec.Stopped.Reason, "MAYBE") || len(rec.Entries) != 0 {
		t.Fatalf("err %v, stopped %v, %d entries", err, rec.Stopped, len(rec.Entries))
	}
}
