package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/hostinfo"
	"infertop/model"
	"infertop/record"
	"infertop/runner"
	"infertop/serve"
	"infertop/sweep"
)

// ErrReadOnly is what every run control returns in a replay.
var ErrReadOnly = errors.New("a replay is read-only: the recorded run cannot be changed")

// SeekStep is how far ← and → move a replay; SeekLongStep how far PgUp and
// PgDn do.
const (
	SeekStep     = 10 * time.Second
	SeekLongStep = time.Minute
)

// replayTick is how often a playing replay advances.
const replayTick = 100 * time.Millisecond

// ReplayOptions configure a replay of a recording.
type ReplayOptions struct {
	// Recording is what plays, read entry by entry as it plays; Name is shown
	// in the replay bar (the file name).
	Recording *record.File
	Name      string
	// Speed multiplies the recorded pace (default 1).
	Speed float64
	// From is where playback starts (0: the start; past the end: the end).
	From time.Duration
	// Catalog lists the models (for the panels that name them; nil: none).
	Catalog *model.Catalog
	// Location formats clock times (default time.Local).
	Location *time.Location
	// NoColor and Dark as in Options.
	NoColor, Dark bool
}

// Replay plays a recording in the dashboard, read-only: the panels are the
// live dashboard's, fed from the recording at its recorded pace (times
// Speed); space pauses, ← and → seek by SeekStep, PgUp and PgDn by
// SeekLongStep, Home and End to the start and the end, and the keys that would
// change a run say that they are disabled.
type Replay struct {
	opts  ReplayOptions
	inner *Model
	keys  replayKeys
	w, h  int
	dark  bool

	pos       int           // next entry to apply
	limit     int           // entries that can be played: all but from one that failed to read
	every     int           // entries between keyframes
	bulk      int           // stretch of entries from which advance decodes them in bulk
	keyframes []keyframe    // saved states of the feeds, by position
	at        time.Duration // playback position
	paused    bool
	lastTick  time.Time
}

type replayKeys struct {
	Pause, Back, Forward, BackLong, ForwardLong, Start, End, Quit, RunKeys key.Binding
	// LayersTable opens every step of the recorded profile (l is Forward here).
	LayersTable key.Binding
}

func newReplayKeys() replayKeys {
	live := newKeyMap()
	var run []string
	for _, b := range []key.Binding{live.Double, live.Halve, live.Batch, live.Model, live.Device, live.Reset,
		live.Serving, live.RateUp, live.RateDown, live.DelayUp, live.DelayDown} {
		run = append(run, b.Keys()...)
	}
	return replayKeys{
		Pause:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause/play")),
		Back:        key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←", "-10s")),
		Forward:     key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "+10s")),
		BackLong:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("PgUp", "-1m")),
		ForwardLong: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("PgDn", "+1m")),
		Start:       key.NewBinding(key.WithKeys("home"), key.WithHelp("Home", "start")),
		End:         key.NewBinding(key.WithKeys("end"), key.WithHelp("End", "end")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		RunKeys:     key.NewBinding(key.WithKeys(run...)),
		LayersTable: live.LayersTable,
	}
}

// readOnly is a replay's session: it refuses everything that would change
// or measure a run.
type readOnly struct{}

func (readOnly) Pause() error           { return ErrReadOnly }
func (readOnly) Resume() error          { return ErrReadOnly }
func (readOnly) Reset() error           { return ErrReadOnly }
func (readOnly) SetBatch(int) error     { return ErrReadOnly }
func (readOnly) SetModel(string) error  { return ErrReadOnly }
func (readOnly) SetDevice(string) error { return ErrReadOnly }
func (readOnly) SetProfile(int) error   { return ErrReadOnly }
func (readOnly) CheckBatch(int) error   { return ErrReadOnly }
func (readOnly) SetServing(bool) error  { return ErrReadOnly }
func (readOnly) SetRate(float64) error  { return ErrReadOnly }

func (readOnly) SetServePolicy(serve.Policy) error { return ErrReadOnly }

func (readOnly) Sweep(context.Context, string, string, func(sweep.Result, string)) (sweep.Result, error) {
	return sweep.Result{}, ErrReadOnly
}

func (readOnly) Compare(context.Context, string, int, func(sweep.CompareResult)) (sweep.CompareResult, error) {
	return sweep.CompareResult{}, ErrReadOnly
}

func (readOnly) Export(runner.Snapshot, *sweep.Result, *sweep.CompareResult) (string, error) {
	return "", ErrReadOnly
}

// NewReplay builds a replay positioned at the start of the recording.
func NewReplay(opts ReplayOptions) *Replay {
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	r := &Replay{opts: opts, keys: newReplayKeys(), dark: opts.Dark, limit: opts.Recording.Len(), every: keyframeEvery,
		bulk: bulkAdvance}
	r.rebuild()
	r.advance(opts.From)
	if s := opts.Recording.Stopped; s != nil {
		r.inner.setStatus("the recording is damaged: "+s.String()+"; it replays up to there", true)
	}
	return r
}

// rebuild starts a fresh dashboard, as the live one started: with the first
// recorded snapshot (the runner's Latest at start) as its initial one.
func (r *Replay) rebuild() {
	rec := r.opts.Recording
	h := rec.Header
	var (
		initial runner.Snapshot
		bad     error
	)
	for i := range r.limit {
		if rec.Kind(i) == record.KindSnapshot {
			if e, err := rec.Entry(i); err != nil {
				r.limit, bad = i, err
			} else {
				initial = *e.Snapshot
			}
			break
		}
	}
	r.inner = New(Options{
		Session: readOnly{}, Initial: initial, Catalog: r.opts.Catalog, Devices: h.Devices,
		NVMLError: h.Machine.NVMLError, Location: r.opts.Location, NoColor: r.opts.NoColor, Dark: r.dark,
	})
	if bad != nil {
		r.inner.setStatus(endsHere(bad), true)
	}
	if r.w > 0 {
		r.inner.resize(r.w, r.h)
	}
	r.pos, r.at = 0, 0
}

// bulkAdvance is the stretch of entries from which advance decodes them
// with record.File.Entries, on every CPU, instead of one by one: jumping to
// the end of an hour decoded 36,000 entries on the UI goroutine.
const bulkAdvance = 256

// advance applies every entry recorded up to to.
func (r *Replay) advance(to time.Duration) {
	rec := r.opts.Recording
	r.at = min(max(to, 0), r.end())
	hi := r.pos
	for hi < r.limit && rec.At(hi) <= r.at {
		hi++
	}
	if hi-r.pos >= r.bulk {
		failed, err := rec.Entries(r.pos, hi, shown, func(i int, e *record.Entry) {
			if e != nil {
				r.show(*e)
			}
			r.pos = i + 1
			r.keep(r.pos)
		})
		if err != nil {
			r.limit = failed
			r.inner.setStatus(endsHere(err), true)
		}
	}
	for r.pos < r.limit && rec.At(r.pos) <= r.at {
		r.apply(r.pos)
		if r.pos < r.limit { // else the entry failed and is now the limit
			r.pos++
			r.keep(r.pos)
		}
	}
	r.at = min(r.at, r.end())
}

// end is the offset of the last entry that can be played.
func (r *Replay) end() time.Duration {
	if r.limit == 0 {
		return 0
	}
	return r.opts.Recording.At(r.limit - 1)
}

// entry decodes entry i. One that cannot be read (the file was changed or
// removed while it played) ends the playback before it, and says why.
func (r *Replay) entry(i int) (record.Entry, error) {
	e, err := r.opts.Recording.Entry(i)
	if err != nil {
		r.limit = i
		r.inner.setStatus(endsHere(err), true)
	}
	return e, err
}

// endsHere is the status when an entry cannot be read.
func endsHere(err error) string { return "the replay ends here: " + err.Error() }

// shown reports the kinds of entries the dashboard shows; the others are
// not decoded.
func shown(k record.Kind) bool {
	return k == record.KindSnapshot || k == record.KindSample || k == record.KindHost
}

// apply hands entry i to the dashboard as the live feeds would.
func (r *Replay) apply(i int) {
	if !shown(r.opts.Recording.Kind(i)) {
		return
	}
	if e, err := r.entry(i); err == nil {
		r.show(e)
	}
}

// show hands a decoded entry to the dashboard.
func (r *Replay) show(e record.Entry) {
	switch e.Kind {
	case record.KindSnapshot:
		r.inner.Update(snapshotMsg(*e.Snapshot))
		// The Layers panel shows while the recorded run timed its steps:
		// the live dashboard did so while its panel or table was open.
		r.inner.showLayers = r.inner.snap.Profile != nil
	case record.KindSample:
		r.inner.Update(sampleMsg(*e.Sample))
	case record.KindHost:
		var h hostinfo.Stat
		if json.Unmarshal(e.Host, &h) == nil {
			r.inner.Update(hostMsg(h))
		}
	}
}

// seek moves to the position to. Going back, it plays on from the last
// keyframe before to (or from the start).
func (r *Replay) seek(to time.Duration) {
	if to < r.at {
		status, bad := r.inner.status, r.inner.statusBad
		r.resumeBefore(to)
		r.inner.setStatus(status, bad)
	}
	r.advance(to)
}

// Position is the playback position from the recording's start.
func (r *Replay) Position() time.Duration { return r.at }

// Paused reports whether playback is paused.
func (r *Replay) Paused() bool { return r.paused }

// replayTickMsg advances playback.
type replayTickMsg time.Time

func tickReplay() tea.Cmd {
	return tea.Tick(replayTick, func(t time.Time) tea.Msg { return replayTickMsg(t) })
}

// Init starts the playback clock and asks the terminal for its background.
func (r *Replay) Init() tea.Cmd { return tea.Batch(tickReplay(), tea.RequestBackgroundColor) }

// Update handles one message.
func (r *Replay) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.w, r.h = msg.Width, msg.Height
		r.inner.resize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		r.dark = msg.IsDark()
		r.inner.setDark(r.dark)
	case replayTickMsg:
		t := time.Time(msg)
		if !r.paused && !r.lastTick.IsZero() {
			r.advance(r.at + time.Duration(float64(t.Sub(r.lastTick))*r.opts.Speed))
		}
		r.lastTick = t
		return r, tickReplay()
	case tea.KeyPressMsg:
		return r, r.handleKey(msg)
	}
	return r, nil
}

func (r *Replay) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if r.inner.layersTable && !key.Matches(k, r.keys.Quit) && !key.Matches(k, r.keys.Pause) {
		r.inner.layersTableKey(k) // no profile to turn on or off in a recording
		return nil
	}
	switch {
	case key.Matches(k, r.keys.LayersTable):
		r.inner.layersTable, r.inner.layersOff = true, 0
	case key.Matches(k, r.keys.Quit):
		return tea.Quit
	case key.Matches(k, r.keys.Pause):
		r.paused = !r.paused
	case key.Matches(k, r.keys.Back):
		r.seek(r.at - SeekStep)
	case key.Matches(k, r.keys.Forward):
		r.seek(r.at + SeekStep)
	case key.Matches(k, r.keys.BackLong):
		r.seek(r.at - SeekLongStep)
	case key.Matches(k, r.keys.ForwardLong):
		r.seek(r.at + SeekLongStep)
	case key.Matches(k, r.keys.Start):
		r.seek(0)
	case key.Matches(k, r.keys.End):
		r.seek(r.end())
	case key.Matches(k, r.keys.RunKeys):
		r.inner.setStatus("replay is read-only: batch, model, device, reset and the serving controls are disabled (space pauses the replay)", true)
	}
	return nil
}

// View draws the dashboard with the replay bar in place of the key help.
func (r *Replay) View() tea.View {
	v := tea.NewView(r.render())
	v.AltScreen = true
	v.WindowTitle = "infertop replay"
	return v
}

// render is the dashboard's screen whose last line is the replay bar.
func (r *Replay) render() string {
	s := r.inner.render()
	if r.w < MinWidth || r.h < MinHeight {
		return s
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i+1] + r.bar()
	}
	return s
}

// bar is the replay's status: file, position, speed, state and keys.
func (r *Replay) bar() string {
	st := r.inner.st
	state := "▶ playing"
	switch {
	case r.paused:
		state = "‖ paused"
	case r.at >= r.end():
		state = "■ end"
	}
	left := st.warn.Render("REPLAY") + " " + st.value.Render(r.opts.Name) + " " +
		fmt.Sprintf("%s / %s  %s×  %s", FormatPosition(r.at), FormatPosition(r.end()), trimFloat(r.opts.Speed), state)
	// The keys, as many as fit: a narrow terminal keeps the basic ones.
	hints := []string{
		"  space pause · ←/→ 10s · PgUp/PgDn 1m · Home/End start/end · q quit · read-only",
		"  space pause · ←/→ 10s · PgUp/PgDn 1m · Home/End · q quit · read-only",
		"  space pause · ←/→ 10s · PgUp/PgDn 1m · q quit · read-only",
		"  space pause · ←/→ 10s · q quit · read-only",
		"  ←/→ 10s · q quit · read-only",
	}
	keys := hints[len(hints)-1]
	for _, h := range hints {
		if lipgloss.Width(left)+lipgloss.Width(h) <= r.w {
			keys = h
			break
		}
	}
	return fitLine(left+st.dim.Render(keys), r.w)
}

// FormatPosition writes a position in a recording as the replay bar shows
// it: m:ss, or h:mm:ss from an hour on.
func FormatPosition(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// trimFloat writes f with at most two decimals and no trailing zeros.
func trimFloat(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }
