package ui

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"infertop/internal/paths"
	"infertop/model"
	"infertop/presets"
)

var keyTab = tea.KeyPressMsg{Code: tea.KeyTab}

// fakeFiles is the application's side of the prompt in tests: completions
// from complete (nil: the real file system, through internal/paths), and
// opening that adds a Relu model to the catalog for a path that ends in
// good.onnx and fails with the loader's kind of line for any other.
type fakeFiles struct {
	t        *testing.T
	cat      *model.Catalog
	complete func(string) ([]string, error)
	mu       sync.Mutex
	opened   []string
}

func (f *fakeFiles) CompletePath(typed string) ([]string, error) {
	if f.complete != nil {
		return f.complete(typed)
	}
	return paths.Complete(typed)
}

func (f *fakeFiles) OpenModel(path string) (string, error) {
	f.mu.Lock()
	f.opened = append(f.opened, path)
	f.mu.Unlock()
	if !strings.HasSuffix(path, "good.onnx") {
		return "", errors.New(path + ": not an ONNX model (protobuf: cannot parse invalid wire-format data)")
	}
	m := reluModel(f.t, path, 0)
	if err := f.cat.Add(path, "ONNX file "+path, func() (*model.Model, error) { return m, nil }); err != nil {
		return "", err
	}
	return path, nil
}

// openModel is a dashboard of w×h with a file opener.
func openModel(t *testing.T, w, h int) (*Model, *fakeControl, *fakeFiles) {
	t.Helper()
	cat := presets.NewModels(presets.DefaultSeed)
	fc, ff := &fakeControl{}, &fakeFiles{t: t, cat: cat}
	m := New(Options{Session: fc, Files: ff, Initial: cpuSnapshot(), Catalog: cat, Devices: testDevices(),
		Location: time.UTC, NoColor: true, Dark: true})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg(cpuSnapshot()))
	return m, fc, ff
}

// feed runs cmd, hands its message to the dashboard, and runs what that
// returns (the control call a picked model makes) as runCmd does.
func feed(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	_, next := m.Update(cmd())
	runCmd(m, next)
}

// toPrompt opens the picker and picks its last entry.
func toPrompt(t *testing.T, m *Model) {
	t.Helper()
	press(m, text("p"))
	for range len(m.modelChoices()) {
		press(m, keyDown)
	}
	if c, _ := m.picker.selected(); c.name != openEntry {
		t.Fatalf("the last entry is %q, want %q", c.name, openEntry)
	}
	press(m, keyEnter)
	if m.mode != modeOpen {
		t.Fatalf("mode %d after picking %q", m.mode, openEntry)
	}
}

// typeText types s into the dashboard one key at a time.
func typeText(m *Model, s string) {
	for _, r := range s {
		press(m, text(string(r)))
	}
}

// The picker lists the presets, then "open a file…" last; without a file
// opener (a replay) the entry is not there.
func TestOpenEntryIsLast(t *testing.T) {
	m, _, _ := openModel(t, 120, 40)
	names := []string{}
	for _, c := range m.modelChoices() {
		names = append(names, c.name)
	}
	if want := append(presets.NewModels(presets.DefaultSeed).Names(), openEntry); !slices.Equal(names, want) {
		t.Errorf("choices %q, want %q", names, want)
	}
	plain, _ := newTestModel(cpuSnapshot(), 120, 40)
	for _, c := range plain.modelChoices() {
		if c.opens {
			t.Errorf("a dashboard without Files offers %q", c.name)
		}
	}
}

// Tab over a real folder: a unique match completes, several complete to
// their common prefix and are listed, further Tabs cycle through them (and
// wrap), typing stops the cycle, and no match says so.
func TestOpenTabCompletes(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"resnet.onnx", "resnet.op13.onnx", "results/a.onnx", "bert.onnx", "notes.txt"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, _, _ := openModel(t, 120, 40)
	toPrompt(t, m)
	m.open.input.SetValue(dir + "/")
	m.open.input.CursorEnd()
	typeText(m, "b")
	feed(m, press(m, keyTab))
	if got := m.open.input.Value(); got != dir+"/bert.onnx" {
		t.Fatalf("unique match: %q", got)
	}
	m.open.input.SetValue(dir + "/")
	m.open.input.CursorEnd()
	typeText(m, "r")
	feed(m, press(m, keyTab))
	if got := m.open.input.Value(); got != dir+"/res" || len(m.open.matches) != 3 {
		t.Fatalf("common prefix: %q, matches %q", got, m.open.matches)
	}
	if v := ansi.Strip(m.render()); !strings.Contains(v, "  resnet.op13.onnx") || !strings.Contains(v, "  results/") {
		t.Errorf("the matches are not listed:\n%s", v)
	}
	for _, want := range []string{"resnet.onnx", "resnet.op13.onnx", "results/", "resnet.onnx"} {
		if cmd := press(m, keyTab); cmd != nil {
			t.Fatalf("a Tab while cycling asked for completions again")
		}
		if got := m.open.input.Value(); got != dir+"/"+want {
			t.Fatalf("cycling: %q, want %s", got, want)
		}
	}
	if v := ansi.Strip(m.render()); !strings.Contains(v, "› resnet.onnx") {
		t.Errorf("the match shown is not marked:\n%s", v)
	}
	m.open.input.SetValue(dir + "/results")
	m.open.input.CursorEnd()
	typeText(m, "/") // typing ends the cycle
	if m.open.matches != nil {
		t.Errorf("matches %q kept after typing", m.open.matches)
	}
	m.open.input.SetValue(dir + "/res")
	feed(m, press(m, keyTab))
	m.open.input.SetValue(dir + "/resu")
	feed(m, press(m, keyTab))
	if got := m.open.input.Value(); got != dir+"/results/" {
		t.Errorf("a folder completes with its slash: %q", got)
	}
	typeText(m, "z")
	feed(m, press(m, keyTab))
	if !m.statusBad || m.status != `no .onnx file or folder begins with "`+dir+`/results/z"` {
		t.Errorf("no match: status %q", m.status)
	}
}

// A completion that arrives after the person typed on is dropped.
func TestOpenDropsStaleCompletions(t *testing.T) {
	m, _, _ := openModel(t, 120, 40)
	toPrompt(t, m)
	typeText(m, "mo")
	m.Update(completedMsg{typed: "m", matches: []string{"models/"}})
	if got := m.open.input.Value(); got != "mo" {
		t.Errorf("a stale completion replaced %q", got)
	}
}

// Enter on a good file opens it and switches the run to it; on a bad one
// the file's one-line error is the status and the run goes on; Esc cancels
// without asking anything; Enter on nothing says what to type.
func TestOpenEnterAndEsc(t *testing.T) {
	m, fc, ff := openModel(t, 120, 40)
	toPrompt(t, m)
	press(m, keyEnter)
	if m.mode != modeOpen || !m.statusBad || !strings.HasPrefix(m.status, "type the path of an .onnx file") {
		t.Errorf("enter on nothing: mode %d, status %q", m.mode, m.status)
	}
	typeText(m, "models/good.onnx")
	feed(m, press(m, keyEnter))
	if got := fc.Calls(); !slices.Equal(got, []string{"model models/good.onnx"}) || m.mode != modeDash {
		t.Fatalf("enter on a good file: calls %v, mode %d", got, m.mode)
	}
	if m.statusBad || m.status != "model models/good.onnx: done" || !m.opts.Catalog.Has("models/good.onnx") {
		t.Errorf("status %q (bad %v)", m.status, m.statusBad)
	}

	toPrompt(t, m)
	typeText(m, "bad.onnx")
	feed(m, press(m, keyEnter))
	if got := fc.Calls(); len(got) != 1 || m.mode != modeDash {
		t.Fatalf("enter on a bad file: calls %v, mode %d", got, m.mode)
	}
	if !m.statusBad || m.status != "bad.onnx: not an ONNX model (protobuf: cannot parse invalid wire-format data)" {
		t.Errorf("status %q (bad %v)", m.status, m.statusBad)
	}

	toPrompt(t, m)
	typeText(m, "q") // typed, not quit
	if cmd := press(m, keyEsc); cmd != nil || m.mode != modeDash || m.status != "" {
		t.Errorf("esc: mode %d, status %q", m.mode, m.status)
	}
	if got := ff.opened; !slices.Equal(got, []string{"models/good.onnx", "bad.onnx"}) {
		t.Errorf("opened %q", got)
	}
}

// The prompt with its listed matches, the second shown, at 80×24 and 120×40.
func TestGoldenOpenPrompt(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m, _, ff := openModel(t, size[0], size[1])
		ff.complete = func(string) ([]string, error) {
			return []string{"models/resnet_narrow.onnx", "models/resnet_narrow.op13.onnx", "models/results/"}, nil
		}
		toPrompt(t, m)
		typeText(m, "models/r")
		feed(m, press(m, keyTab))
		press(m, keyTab)
		press(m, keyTab)
		v := m.render()
		checkSize(t, v, size[0], size[1])
		golden(t, "open_prompt_"+map[int]string{80: "80x24", 120: "120x40"}[size[0]], v)
	}
}

// More matches than the frame holds: a window that keeps the match shown,
// and a line that says which part of the list it is.
func TestOpenListsAWindowOfManyMatches(t *testing.T) {
	m, _, _ := openModel(t, 80, 24)
	toPrompt(t, m)
	var many []string
	for c := 'a'; c <= 't'; c++ {
		many = append(many, string(c)+".onnx")
	}
	m.Update(completedMsg{matches: many})
	for range 17 {
		press(m, keyTab)
	}
	v := ansi.Strip(m.render())
	if m.open.input.Value() != "r.onnx" || !strings.Contains(v, "› r.onnx") || !strings.Contains(v, "… 5–18 of 20") ||
		strings.Contains(v, "  d.onnx") || strings.Contains(v, "  s.onnx") {
		t.Errorf("value %q, view:\n%s", m.open.input.Value(), v)
	}
}

func TestCommonPrefix(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a/resnet.onnx"}, "a/resnet.onnx"},
		{[]string{"a/resnet.onnx", "a/resnet.op13.onnx", "a/results/"}, "a/res"},
		{[]string{"a/b", "c"}, ""},
		{[]string{"é1", "è2"}, ""}, // é and è share their first byte only
		{[]string{"éa", "éb"}, "é"},
	} {
		if got := commonPrefix(c.in); got != c.want {
			t.Errorf("commonPrefix(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
