package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// Files is what the model picker's "open a file…" prompt asks of the
// application (session's Dashboard in the program, fakes in tests). Both
// calls may block, so the dashboard makes them in commands.
type Files interface {
	// CompletePath lists the completions of a typed path: the .onnx files and
	// the folders (ending in "/") of its folder whose names begin with its
	// last element, each the whole path to put in the prompt; "~" is the home folder.
	CompletePath(typed string) ([]string, error)
	// OpenModel reads, imports and checks the file at path, adds it to the
	// catalog the dashboard lists, and returns its name there; its error is
	// one line that says what is wrong with the file.
	OpenModel(path string) (string, error)
}

// openEntry is the model picker's last entry, which opens the path prompt.
const openEntry = "open a file…"

// completedMsg carries the completions of typed.
type completedMsg struct {
	typed   string
	matches []string
	err     error
}

// openedMsg says how opening path went: the model's name in the catalog, or why not.
type openedMsg struct {
	path, name string
	err        error
}

// openPrompt is the path prompt: the text input, the last completion's
// matches and, while Tab cycles through them, which one is shown.
type openPrompt struct {
	input   textinput.Model
	matches []string
	// cycle is the index of the match the prompt shows (-1: none yet); shown
	// is the prompt's value after the last completion, so that a Tab cycles
	// only while the person has typed nothing since.
	cycle int
	shown string
}

func newOpenPrompt() openPrompt {
	in := textinput.New()
	in.Prompt = "path: "
	in.Placeholder = "e.g. ~/models/resnet50.onnx"
	in.CharLimit = 4096
	return openPrompt{input: in, cycle: -1}
}

// openFilePrompt opens the prompt empty, for a path relative to the
// working folder.
func (m *Model) openFilePrompt() tea.Cmd {
	m.mode = modeOpen
	m.open.input.SetValue("")
	m.open.matches, m.open.cycle, m.open.shown = nil, -1, ""
	m.setStatus("", false)
	return m.open.input.Focus()
}

// openKey routes a key of the path prompt: Tab completes, Enter opens, Esc
// cancels, anything else edits the path.
func (m *Model) openKey(k tea.KeyPressMsg) tea.Cmd {
	p := &m.open
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.mode = modeDash
		p.input.Blur()
		m.setStatus("", false)
		return nil
	case key.Matches(k, m.keys.Confirm):
		path := strings.TrimSpace(p.input.Value())
		if path == "" {
			m.setStatus("type the path of an .onnx file (tab completes)", true)
			return nil
		}
		m.mode = modeDash
		p.input.Blur()
		m.setStatus("opening "+path+"…", false)
		files := m.opts.Files
		return func() tea.Msg {
			name, err := files.OpenModel(path)
			return openedMsg{path: path, name: name, err: err}
		}
	case k.String() == "tab":
		if len(p.matches) > 1 && p.input.Value() == p.shown {
			p.cycle = (p.cycle + 1) % len(p.matches)
			p.setValue(p.matches[p.cycle])
			return nil
		}
		typed, files := p.input.Value(), m.opts.Files
		return func() tea.Msg {
			matches, err := files.CompletePath(typed)
			return completedMsg{typed: typed, matches: matches, err: err}
		}
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	if p.input.Value() != p.shown {
		p.matches, p.cycle = nil, -1
	}
	m.setStatus("", false)
	return cmd
}

// setValue puts v in the prompt, the cursor at its end, as the completion shown.
func (p *openPrompt) setValue(v string) {
	p.input.SetValue(v)
	p.input.CursorEnd()
	p.shown = v
}

// takeCompleted applies completions to the prompt unless the person has
// typed since they were asked for: one match replaces the path, several
// extend it to their common prefix and are listed (a Tab then cycles
// through them), none says so.
func (m *Model) takeCompleted(msg completedMsg) {
	p := &m.open
	if m.mode != modeOpen || p.input.Value() != msg.typed {
		return
	}
	p.matches, p.cycle = nil, -1
	switch {
	case msg.err != nil:
		m.setStatus(msg.err.Error(), true)
	case len(msg.matches) == 0:
		m.setStatus(fmt.Sprintf("no .onnx file or folder begins with %q", msg.typed), true)
	case len(msg.matches) == 1:
		p.setValue(msg.matches[0])
		m.setStatus("", false)
	default:
		p.matches = msg.matches
		if prefix := commonPrefix(msg.matches); len(prefix) > len(msg.typed) {
			p.setValue(prefix)
		} else {
			p.cycle = 0
			p.setValue(msg.matches[0])
		}
		m.setStatus(fmt.Sprintf("%d matches: tab cycles through them", len(msg.matches)), false)
	}
}

// takeOpened switches the run to an opened file, or says why it could not be
// opened (the run goes on with its model).
func (m *Model) takeOpened(msg openedMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus(msg.err.Error(), true)
		return nil
	}
	m.pending++
	return m.pickModel(msg.name)
}

// View draws the prompt, its hint and the matches of the last completion,
// the one shown marked, in a frame of w×h.
func (p openPrompt) View(st styles, w, h int) string {
	in := p.input
	in.SetWidth(max(w-4-len([]rune(in.Prompt)), 1))
	lines := []string{in.View(), st.dim.Render("tab completes · enter opens · esc cancels · .onnx files and folders"), ""}
	room := max(h-2-len(lines), 0)
	first, last := 0, len(p.matches)
	if last > room {
		// A window that holds the match shown, and a line that says which.
		last = max(room-1, 0)
		if p.cycle >= last {
			first = p.cycle - last + 1
			last = p.cycle + 1
		}
	}
	for i := first; i < last; i++ {
		name := lastElement(p.matches[i])
		if i == p.cycle {
			lines = append(lines, st.selected.Render("› "+name))
		} else {
			lines = append(lines, "  "+name)
		}
	}
	if last-first < len(p.matches) && room > 0 {
		lines = append(lines, st.dim.Render(fmt.Sprintf("  … %d–%d of %d", first+1, last, len(p.matches))))
	}
	return box(st, "Open a model file", strings.Join(lines, "\n"), w, h)
}

// lastElement is a completion's last path element, a folder's with its "/".
func lastElement(path string) string {
	trimmed := strings.TrimSuffix(path, "/")
	if i := strings.LastIndexByte(trimmed, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// commonPrefix is the longest prefix every one of names shares, cut at a
// whole character; "" for none.
func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		i := 0
		for i < len(p) && i < len(n) && p[i] == n[i] {
			i++
		}
		p = p[:i]
	}
	// A prefix that ends inside a character drops the character's start.
	i := len(p) - 1
	for i > 0 && !utf8.RuneStart(p[i]) {
		i--
	}
	if i >= 0 && !utf8.FullRuneInString(p[i:]) {
		p = p[:i]
	}
	return p
}
