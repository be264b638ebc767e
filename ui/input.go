package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"infertop/runner"
)

// handleKey routes a key press to what has the focus: an open tuning view,
// the batch prompt, a picker, or the dashboard itself.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if m.tune.view != tuneNone {
		return m.tuneViewKey(k)
	}
	if k.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.layersTable {
		return m.layersTableKey(k)
	}
	switch m.mode {
	case modeBatch:
		return m.batchKey(k)
	case modeModel, modeDevice:
		return m.pickerKey(k)
	case modeOpen:
		return m.openKey(k)
	}
	if cmd, ok := m.serveKey(k); ok {
		return cmd
	}
	sess := m.opts.Session
	switch {
	case key.Matches(k, m.keys.Quit):
		return tea.Quit
	case key.Matches(k, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
	case key.Matches(k, m.keys.Double):
		return m.askBatch(m.currentBatch() * 2)
	case key.Matches(k, m.keys.Halve):
		if b := m.currentBatch(); b > 1 {
			return m.askBatch(b / 2)
		}
		m.setStatus("batch is already 1", true)
	case key.Matches(k, m.keys.Batch):
		m.mode = modeBatch
		m.input.Prompt = "batch: "
		if m.serving() {
			m.input.Prompt = "max batch: "
		}
		m.input.SetValue("")
		m.setStatus("", false)
		return m.input.Focus()
	case key.Matches(k, m.keys.Model):
		m.openPicker(modeModel)
	case key.Matches(k, m.keys.Device):
		m.openPicker(modeDevice)
	case key.Matches(k, m.keys.Pause):
		m.pending++
		if m.snap.State == runner.Paused || m.snap.State == runner.Error {
			return m.control("resume", sess.Resume)
		}
		return m.control("pause", sess.Pause)
	case key.Matches(k, m.keys.Reset):
		m.pending++
		return m.control("reset statistics", sess.Reset)
	case key.Matches(k, m.keys.Sweep):
		return m.startTune(tuneSweep)
	case key.Matches(k, m.keys.Compare):
		return m.startTune(tuneCompare)
	case key.Matches(k, m.keys.Export):
		return m.export()
	case key.Matches(k, m.keys.Layers):
		m.showLayers = !m.showLayers
		return m.profileOn(m.showLayers)
	case key.Matches(k, m.keys.LayersTable):
		m.layersTable, m.layersOff = true, 0
		return m.profileOn(true)
	}
	return nil
}

// currentBatch is the batch last asked for, or the model's default (the
// batch running when the catalog does not know the model).
func (m *Model) currentBatch() int {
	if m.batch > 0 {
		return m.batch
	}
	if m.opts.Catalog != nil {
		if p, err := m.opts.Catalog.Get(m.snap.Model); err == nil {
			return p.DefaultBatch
		}
	}
	return max(m.snap.Batch, 1)
}

// askBatch asks the session whether batch n fits and then the run for it;
// a refused batch leaves the old one running and says why in red.
func (m *Model) askBatch(n int) tea.Cmd {
	if n > m.opts.MaxBatch {
		m.setStatus(fmt.Sprintf("batch %d is above the limit of %d", n, m.opts.MaxBatch), true)
		return nil
	}
	sess := m.opts.Session
	if err := sess.CheckBatch(n); err != nil {
		m.setStatus(err.Error(), true)
		return nil
	}
	m.batch = n
	m.pending++
	m.setStatus(fmt.Sprintf("batch %d: preparing…", n), false)
	return m.control(fmt.Sprintf("batch %d", n), func() error { return sess.SetBatch(n) })
}

func (m *Model) batchKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.mode = modeDash
		m.input.Blur()
		m.setStatus("", false)
		return nil
	case key.Matches(k, m.keys.Confirm):
		n, err := parseBatch(m.input.Value(), m.opts.MaxBatch)
		if err == nil {
			err = m.opts.Session.CheckBatch(n)
		}
		if err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		m.mode = modeDash
		m.input.Blur()
		if m.serving() {
			return m.askMaxBatch(n)
		}
		return m.askBatch(n)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	m.setStatus("", false)
	return cmd
}

func (m *Model) openPicker(md mode) {
	var items []choice
	var title, cur string
	if md == modeModel {
		title, cur, items = "Model", m.snap.Model, m.modelChoices()
	} else {
		title, cur = "Device", m.snap.Device
		for _, d := range m.opts.Devices {
			items = append(items, choice{name: d.Name, detail: d.Detail, ok: d.Available, why: d.Why})
		}
	}
	m.picker = newPicker(m.st, title, items, cur)
	m.mode = md
	m.layout()
}

func (m *Model) pickerKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Cancel), key.Matches(k, m.keys.Quit):
		m.mode = modeDash
		return nil
	case key.Matches(k, m.keys.Confirm):
		c, ok := m.picker.selected()
		if !ok {
			return nil
		}
		if !c.ok {
			m.setStatus(c.name+" is unavailable: "+c.why, true)
			return nil
		}
		if c.opens {
			return m.openFilePrompt()
		}
		md := m.mode
		m.mode = modeDash
		m.pending++
		sess := m.opts.Session
		if md == modeModel {
			return m.pickModel(c.name)
		}
		return m.control("device "+c.name, func() error { return sess.SetDevice(c.name) })
	}
	var cmd tea.Cmd
	m.picker.list, cmd = m.picker.list.Update(k)
	return cmd
}

// modelChoices are the model picker's entries: every model of the catalog
// in its order (the presets, then the files given or opened, each by its
// whole path), then, when the application opens files, "open a file…".
func (m *Model) modelChoices() []choice {
	var items []choice
	if m.opts.Catalog != nil {
		for _, name := range m.opts.Catalog.Names() {
			items = append(items, choice{name: name, detail: m.opts.Catalog.Description(name), ok: true})
		}
	}
	if m.opts.Files != nil {
		items = append(items, choice{name: openEntry, detail: "type the path of an .onnx file (tab completes)", ok: true, opens: true})
	}
	return items
}

// pickModel asks the run for the named model, at its default batch.
func (m *Model) pickModel(name string) tea.Cmd {
	m.batch = 0
	sess := m.opts.Session
	return m.control("model "+name, func() error { return sess.SetModel(name) })
}
