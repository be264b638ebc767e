package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"infertop/runner"
)

// policyCall is what the fake session records for a policy of the serving
// fixture (max delay 2ms, preferred 8,16, no queue limit, one sample a
// request) with the fields given.
func policyCall(maxBatch int, delay, preferred string) string {
	return fmt.Sprintf("policy max batch %d, max delay %s, preferred %s, queue limit 0, request 1", maxBatch, delay, preferred)
}

// pressAll presses keys in order, running each command (and the control
// calls it queues) before the next key, as no snapshot arrives between.
func pressAll(m *Model, keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		runCmd(m, press(m, k))
	}
}

func TestServingKeyToggles(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap runner.Snapshot
		keys int
		want []string
	}{
		{"closed loop to serving", cpuSnapshot(), 1, []string{"serving on"}},
		{"serving to closed loop", servingSnapshot(), 1, []string{"serving off"}},
		// Before the runner publishes, a second o undoes the first.
		{"twice before a snapshot", cpuSnapshot(), 2, []string{"serving on", "serving off"}},
	} {
		m, fc := newTestModel(tc.snap, 80, 24)
		for range tc.keys {
			pressAll(m, text("o"))
		}
		if got := fc.Calls(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: calls %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The snapshot says which mode runs once it arrives; o then asks for the other.
func TestServingModeFollowsTheSnapshot(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	pressAll(m, text("o"))
	s := servingSnapshot()
	m.Update(snapshotMsg(s))
	if !strings.Contains(ansi.Strip(m.render()), "Queue depth") {
		t.Fatalf("the serving panels are not shown after the serving snapshot:\n%s", ansi.Strip(m.render()))
	}
	pressAll(m, text("o"))
	c := cpuSnapshot()
	c.RunID = s.RunID + 1
	m.Update(snapshotMsg(c))
	if v := ansi.Strip(m.render()); !strings.Contains(v, "Throughput") || strings.Contains(v, "Queue depth") {
		t.Fatalf("the closed-loop panels are not back:\n%s", v)
	}
	if got, want := fc.Calls(), []string{"serving on", "serving off"}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

func TestRateKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []tea.KeyPressMsg
		want []string
	}{
		{"up", []tea.KeyPressMsg{text(">")}, []string{"rate 2500"}},
		{"up, unshifted", []tea.KeyPressMsg{text(".")}, []string{"rate 2500"}},
		{"down", []tea.KeyPressMsg{text("<")}, []string{"rate 1600"}},
		{"down, unshifted", []tea.KeyPressMsg{text(",")}, []string{"rate 1600"}},
		// Two presses before the runner publishes build on each other.
		{"up twice", []tea.KeyPressMsg{text(">"), text(">")}, []string{"rate 2500", "rate 3125"}},
		{"up then down", []tea.KeyPressMsg{text(">"), text("<")}, []string{"rate 2500", "rate 2000"}},
		// Steps are rounded to whole requests per second: 3125 × 1.25 is 3906.25.
		{"up three times", []tea.KeyPressMsg{text(">"), text(">"), text(">")}, []string{"rate 2500", "rate 3125", "rate 3906"}},
	} {
		m, fc := newTestModel(servingSnapshot(), 80, 24)
		pressAll(m, tc.keys...)
		if got := fc.Calls(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: calls %v, want %v", tc.name, got, tc.want)
		}
		if m.statusBad {
			t.Errorf("%s: status %q", tc.name, m.status)
		}
	}
}

func TestMaxBatchKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []tea.KeyPressMsg
		want []string
	}{
		{"double", []tea.KeyPressMsg{text("+")}, []string{policyCall(64, "2ms", "8,16")}},
		{"double by arrow", []tea.KeyPressMsg{keyUp}, []string{policyCall(64, "2ms", "8,16")}},
		{"halve", []tea.KeyPressMsg{text("-")}, []string{policyCall(16, "2ms", "8,16")}},
		// Preferred sizes above the max batch are left out.
		{"halve twice", []tea.KeyPressMsg{keyDown, keyDown}, []string{policyCall(16, "2ms", "8,16"), policyCall(8, "2ms", "8")}},
		{"halve to 1", []tea.KeyPressMsg{keyDown, keyDown, keyDown, keyDown, keyDown}, []string{policyCall(16, "2ms", "8,16"),
			policyCall(8, "2ms", "8"), policyCall(4, "2ms", ""), policyCall(2, "2ms", ""), policyCall(1, "2ms", "")}},
	} {
		m, fc := newTestModel(servingSnapshot(), 80, 24)
		pressAll(m, tc.keys...)
		if got := fc.Calls(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: calls\n%v\nwant\n%v", tc.name, got, tc.want)
		}
	}
}

func TestMaxBatchKeysRefuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(sv *runner.Serving)
		limit int
		key   tea.KeyPressMsg
		want  string
	}{
		{"at 1", func(sv *runner.Serving) { sv.MaxBatch, sv.Preferred = 1, nil }, 0, text("-"), "max batch is already 1"},
		{"below a request", func(sv *runner.Serving) { sv.RequestSize, sv.Preferred = 32, nil }, 0, text("-"), "cannot hold one request of 32 samples"},
		{"does not fit", nil, 40, text("+"), "batch 64 needs about 12.0 GiB"},
	} {
		s := servingSnapshot()
		if tc.edit != nil {
			tc.edit(s.Serving)
		}
		m, fc := newTestModel(s, 80, 24)
		if tc.limit > 0 {
			fc.fitLimit = tc.limit
		}
		if cmd := press(m, tc.key); cmd != nil || len(fc.Calls()) != 0 {
			t.Errorf("%s: a call was made: %v", tc.name, fc.Calls())
		}
		if !m.statusBad || !strings.Contains(m.status, tc.want) {
			t.Errorf("%s: status %q, want %q", tc.name, m.status, tc.want)
		}
	}
}

func TestMaxDelayKeys(t *testing.T) {
	for _, tc := range []struct {
		from time.Duration
		key  string
		want string // "" when refused
		why  string
	}{
		{2 * time.Millisecond, "]", "4ms", ""},
		{2 * time.Millisecond, "[", "1ms", ""},
		{0, "]", "100µs", ""},
		{100 * time.Microsecond, "[", "0s", ""},
		{50 * time.Microsecond, "[", "0s", ""},
		{400 * time.Microsecond, "[", "200µs", ""},
		{0, "[", "", "max delay is already 0"},
		{8 * time.Second, "]", "", "at its limit of 10s"},
	} {
		s := servingSnapshot()
		s.Serving.MaxDelay = tc.from
		m, fc := newTestModel(s, 80, 24)
		pressAll(m, text(tc.key))
		var want []string
		if tc.want != "" {
			want = []string{policyCall(32, tc.want, "8,16")}
		}
		if got := fc.Calls(); !slices.Equal(got, want) {
			t.Errorf("%s from %v: calls %v, want %v", tc.key, tc.from, got, want)
		}
		if tc.why != "" && (!m.statusBad || !strings.Contains(m.status, tc.why)) {
			t.Errorf("%s from %v: status %q, want %q", tc.key, tc.from, m.status, tc.why)
		}
	}
}

// Two delay keys and a batch key before the runner publishes compose.
func TestServingPolicyKeysCompose(t *testing.T) {
	m, fc := newTestModel(servingSnapshot(), 80, 24)
	pressAll(m, text("]"), text("]"), text("+"))
	want := []string{policyCall(32, "4ms", "8,16"), policyCall(32, "8ms", "8,16"), policyCall(64, "8ms", "8,16")}
	if got := fc.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls\n%v\nwant\n%v", got, want)
	}
}

// In serving mode b types the max batch.
func TestTypedMaxBatch(t *testing.T) {
	m, fc := newTestModel(servingSnapshot(), 80, 24)
	press(m, text("b"))
	if !strings.Contains(ansi.Strip(m.render()), "max batch: ") {
		t.Fatalf("the prompt does not ask for the max batch:\n%s", ansi.Strip(m.render()))
	}
	press(m, keyEsc)
	runCmd(m, typeBatch(m, "12"))
	if got, want := fc.Calls(), []string{policyCall(12, "2ms", "8")}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

// Outside serving mode the serving keys say so and call nothing; in
// serving mode, the rate of closed-loop clients cannot change.
func TestServingKeysRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap runner.Snapshot
		keys []string
		want string
	}{
		{"closed loop", cpuSnapshot(), []string{">", "<", "]", "["}, "serving mode only: o switches to it"},
		{"clients", func() runner.Snapshot {
			s := servingSnapshot()
			s.Serving.Arrival = "clients:8"
			return s
		}(), []string{">", "<"}, "arrival clients:8 has no rate to change"},
	} {
		for _, k := range tc.keys {
			m, fc := newTestModel(tc.snap, 80, 24)
			if cmd := press(m, text(k)); cmd != nil || len(fc.Calls()) != 0 {
				t.Errorf("%s %s: calls %v", tc.name, k, fc.Calls())
			}
			if !m.statusBad || !strings.Contains(m.status, tc.want) {
				t.Errorf("%s %s: status %q", tc.name, k, m.status)
			}
		}
	}
	// Closed loop's batch keys stay the batch's.
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	pressAll(m, text("+"))
	if got := fc.Calls(); !slices.Equal(got, []string{"batch 512"}) {
		t.Errorf("closed loop +: calls %v", got)
	}
}

// A refused control says why in red and forgets what it asked: the next
// key starts from the snapshot again.
func TestServingControlErrorsShow(t *testing.T) {
	m, fc := newTestModel(servingSnapshot(), 80, 24)
	fc.err = errNoRoom
	pressAll(m, text(">"))
	if !m.statusBad || !strings.Contains(m.status, "rate 2500 req/s: batch 512 needs") {
		t.Fatalf("status %q", m.status)
	}
	fc.err = nil
	pressAll(m, text(">"))
	if got := fc.Calls(); !slices.Equal(got, []string{"rate 2500", "rate 2500"}) {
		t.Errorf("calls %v", got)
	}
}

func TestServingHelp(t *testing.T) {
	m, _ := newTestModel(servingSnapshot(), 160, 48)
	v := ansi.Strip(m.render())
	for _, want := range []string{"o closed loop", "</> rate", "-/+ max batch", "[/] max delay"} {
		if !strings.Contains(v, want) {
			t.Errorf("the footer lacks %q:\n%s", want, v)
		}
	}
	press(m, text("?"))
	v = ansi.Strip(m.render())
	for _, want := range []string{"max batch ×2", "max batch ÷2", "type max batch", "rate ×1.25", "max delay ÷2"} {
		if !strings.Contains(v, want) {
			t.Errorf("the help lacks %q:\n%s", want, v)
		}
	}
	c, _ := newTestModel(cpuSnapshot(), 160, 48)
	press(c, text("?"))
	if v := ansi.Strip(c.render()); !strings.Contains(v, "o   serving mode") || !strings.Contains(v, "rate ×1.25 (serving)") {
		t.Errorf("the closed-loop help does not name serving mode's keys:\n%s", v)
	}
}

// A dashboard that starts on a serving run drives serving mode at once.
func TestStartsInServingMode(t *testing.T) {
	m, fc := newTestModel(servingSnapshot(), 80, 24)
	m2 := New(Options{Session: fc, Initial: servingSnapshot(), Location: time.UTC, NoColor: true})
	if !m2.keys.serving || !m.keys.serving {
		t.Fatal("the keys do not drive serving mode on a serving run")
	}
	m2.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := ansi.Strip(m2.render()); !strings.Contains(v, "o closed loop") || !strings.Contains(v, "Queue depth") {
		t.Errorf("a dashboard starting on a serving run does not show serving mode:\n%s", v)
	}
}
