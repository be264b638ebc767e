package ui

import (
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/runner"
)

// mode is what the keyboard drives now.
type mode int

const (
	modeDash mode = iota
	modeBatch
	modeModel
	modeDevice
	// modeOpen is the model picker's path prompt.
	modeOpen
)

// Model is the dashboard's root model: it keeps the latest data, routes keys
// to the focused component and lays the panels out.
type Model struct {
	opts Options
	keys keyMap
	st   *styles
	dark bool
	help help.Model
	w, h int

	snap        runner.Snapshot
	sample      *gpuinfo.Sample
	host        *hostinfo.Stat
	hist        *history
	samplerGone bool

	// batch is the batch last asked for; pending counts control calls in flight.
	batch   int
	pending int
	// controls are the control calls waiting for the one in flight
	// (controlBusy) to come back: they run one at a time, in order.
	controls    []controlCall
	controlBusy bool
	// ask is what the serving keys last asked for (servekeys.go).
	ask serveAsk

	header header
	thr    throughputPanel
	lat    latencyPanel
	gpu    gpuPanel
	hostP  hostPanel
	ev     eventsPanel
	layers layersPanel
	// queue, brk and batcher are serving mode's panels (in place of the
	// throughput, the latency and, as room allows, the events).
	queue   queuePanel
	brk     breakdownPanel
	batcher batcherPanel
	// headerH is the header's height the panels were laid out for.
	headerH int

	// showLayers puts the Layers panel in place of the events;
	// layersTable shows every step, from row layersOff on.
	showLayers, layersTable bool
	layersOff               int
	// profiling is what the last request to the session asked for: the
	// snapshots say so only once the runner has published, and two presses
	// of l before that must still end with the profile off.
	profiling bool

	mode   mode
	input  textinput.Model
	picker picker
	open   openPrompt
	// status is the last message for the person; statusBad draws it red.
	status    string
	statusBad bool

	cudaName map[int]string

	// tune is the state of the sweep and compare views (sweepview.go).
	tune tuning
}

// New builds the dashboard. Run it with tea.NewProgram(ui.New(opts)).
func New(opts Options) *Model {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	st := newStyles(opts.Dark, opts.NoColor)
	m := &Model{
		opts: opts, keys: newKeyMap(), st: &st, dark: opts.Dark, help: help.New(),
		snap: opts.Initial, hist: newHistory(), batch: opts.Initial.Batch,
		cudaName: map[int]string{},
	}
	m.help.Styles = st.help
	m.syncMode() // a dashboard may start in serving mode
	busID := map[string]string{}
	for _, d := range opts.Devices {
		if d.BusID != "" {
			busID[d.Name] = d.BusID
		}
		// The first single-GPU entry names the GPU: with one GPU, cuda:all
		// also lists just that GPU and must not replace its cuda:N.
		if len(d.GPUIndexes) == 1 {
			if _, named := m.cudaName[d.GPUIndexes[0]]; !named {
				m.cudaName[d.GPUIndexes[0]] = d.Name
			}
		}
	}
	m.header.busID = busID
	m.header.serving = opts.Serving
	m.gpu.cudaName = m.cudaName
	m.thr.loc, m.ev.loc, m.queue.loc = opts.Location, opts.Location, opts.Location
	m.thr.series, m.queue.series = throughputSeries, queueSeries
	m.input = textinput.New()
	m.input.Prompt = "batch: "
	m.input.Placeholder = "e.g. 512"
	m.input.CharLimit = 9
	m.open = newOpenPrompt()
	// Without a width the input draws only the placeholder's first letter;
	// wide enough for the longest batch, it draws the whole example too.
	m.input.SetWidth(max(m.input.CharLimit, len(m.input.Placeholder)))
	return m
}

// Init starts draining the feeds and asks the terminal for its background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(
		waitSnapshot(m.opts.Snapshots, m.opts.RunnerDone),
		waitSample(m.opts.Samples),
		waitHost(m.opts.Host),
		tea.RequestBackgroundColor,
	)
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, nil
	case tea.BackgroundColorMsg:
		m.setDark(msg.IsDark())
		return m, nil
	case snapshotMsg:
		m.takeSnapshot(runner.Snapshot(msg))
		return m, waitSnapshot(m.opts.Snapshots, m.opts.RunnerDone)
	case runnerDoneMsg:
		return m, nil
	case sampleMsg:
		s := gpuinfo.Sample(msg)
		m.sample = &s
		m.hist.addSample(s)
		m.gpu.redraw(*m.st, m.hist)
		return m, waitSample(m.opts.Samples)
	case samplerDoneMsg:
		m.samplerGone = true
		return m, nil
	case hostMsg:
		h := hostinfo.Stat(msg)
		m.host = &h
		return m, waitHost(m.opts.Host)
	case hostDoneMsg:
		return m, nil
	case controlMsg:
		m.pending = max(m.pending-1, 0)
		m.controlBusy = false
		if msg.err != nil {
			m.setStatus(msg.what+": "+msg.err.Error(), true)
			m.batch = m.snap.Batch
			m.ask = serveAsk{}
			m.syncMode()
		} else {
			m.setStatus(msg.what+": done", false)
		}
		return m, m.nextControl()
	case tuneMsg:
		return m, m.takeTune(msg)
	case completedMsg:
		m.takeCompleted(msg)
		return m, nil
	case openedMsg:
		return m, m.takeOpened(msg)
	case tea.KeyPressMsg:
		cmd := m.handleKey(msg)
		m.syncMode()
		return m, cmd
	}
	var cmd tea.Cmd
	switch m.mode {
	case modeBatch:
		m.input, cmd = m.input.Update(msg)
	case modeOpen:
		m.open.input, cmd = m.open.input.Update(msg)
	}
	return m, cmd
}

// takeSnapshot keeps s unless it belongs to a run already replaced.
func (m *Model) takeSnapshot(s runner.Snapshot) {
	if s.RunID < m.snap.RunID || (s.RunID == m.snap.RunID && s.Seq < m.snap.Seq) {
		return
	}
	m.snap = s
	if m.pending == 0 {
		m.batch = s.Batch
		m.ask = serveAsk{}
	}
	m.syncMode()
	added := m.hist.addSnapshot(s)
	if m.relayout() {
		return
	}
	switch {
	case added && s.Serving != nil:
		m.queue.redraw(*m.st, m.hist)
	case added:
		m.thr.redraw(*m.st, m.hist)
	}
	m.lat.redraw(*m.st, s)
	m.brk.redraw(*m.st, s)
}

func (m *Model) setDark(dark bool) {
	m.dark = dark
	st := newStyles(dark, m.opts.NoColor)
	*m.st = st
	m.help.Styles = st.help
	m.redrawAll()
}

func (m *Model) redrawAll() {
	m.thr.redraw(*m.st, m.hist)
	m.queue.redraw(*m.st, m.hist)
	m.lat.redraw(*m.st, m.snap)
	m.brk.redraw(*m.st, m.snap)
	m.gpu.redraw(*m.st, m.hist)
}

// relayout lays the panels out again when the header's height for the
// snapshot on screen is not the one they were laid out for (serving mode's
// lines came, went, or changed), and reports whether it did.
func (m *Model) relayout() bool {
	if m.w < MinWidth || m.h < MinHeight || m.header.height(*m.st, m.snap) == m.headerH {
		return false
	}
	m.layout()
	return true
}

// syncMode words the key help for the mode the keys now drive (the ?
// screen, whose height may change with it, is laid out again).
func (m *Model) syncMode() {
	if on := m.serving(); on != m.keys.serving {
		m.keys.setServing(on)
		m.layout()
	}
}

func (m *Model) setStatus(s string, bad bool) { m.status, m.statusBad = s, bad }

// inUse is the set of NVML indexes the current device runs on.
func (m *Model) inUse() map[int]bool {
	out := map[int]bool{}
	for _, d := range m.opts.Devices {
		if d.Name == m.snap.Device {
			for _, i := range d.GPUIndexes {
				out[i] = true
			}
		}
	}
	return out
}
