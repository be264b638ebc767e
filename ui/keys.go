package ui

import "charm.land/bubbles/v2/key"

// keyMap is every binding of the dashboard; the footer and the ? screen are
// drawn from it.
type keyMap struct {
	Double, Halve, Batch, Model, Device, Pause, Reset, Help, Quit key.Binding
	// Sweep, Compare and Export open the batch-tuning views and write the run.
	Sweep, Compare, Export key.Binding
	// Layers shows the slowest steps in place of the events (turning the
	// step profile on); LayersTable opens every step's figures.
	Layers, LayersTable key.Binding
	// Serving switches between batches back to back and serving mode;
	// RateUp, RateDown, DelayUp and DelayDown tune serving mode's arrival
	// rate and the batcher's max delay (Double, Halve and Batch set its
	// max batch there).
	Serving, RateUp, RateDown, DelayUp, DelayDown key.Binding
	// Confirm and Cancel act in the batch prompt and the pickers.
	Confirm, Cancel key.Binding

	// serving says the keys drive serving mode: the footer then lists its
	// keys in pairs (ratePair, batchPair, delayPair), which only label them.
	serving                        bool
	ratePair, batchPair, delayPair key.Binding
}

func newKeyMap() keyMap {
	k := keyMap{
		Double:      key.NewBinding(key.WithKeys("+", "=", "up")),
		Halve:       key.NewBinding(key.WithKeys("-", "_", "down")),
		Batch:       key.NewBinding(key.WithKeys("b")),
		Model:       key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "model")),
		Device:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "device")),
		Pause:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause/resume")),
		Reset:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reset stats")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Confirm:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Sweep:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "batch sweep")),
		Compare:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "race two configs")),
		Export:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export run")),
		Layers:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "layers")),
		LayersTable: key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "layer table")),
		Serving:     key.NewBinding(key.WithKeys("o")),
		RateUp:      key.NewBinding(key.WithKeys(">", ".")),
		RateDown:    key.NewBinding(key.WithKeys("<", ",")),
		DelayUp:     key.NewBinding(key.WithKeys("]")),
		DelayDown:   key.NewBinding(key.WithKeys("[")),
		Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		ratePair:    key.NewBinding(key.WithKeys("<", ">"), key.WithHelp("</>", "rate")),
		batchPair:   key.NewBinding(key.WithKeys("-", "+"), key.WithHelp("-/+", "max batch")),
		delayPair:   key.NewBinding(key.WithKeys("[", "]"), key.WithHelp("[/]", "max delay")),
	}
	k.setServing(false)
	return k
}

// setServing words the help for the mode on screen: in serving mode the
// batch keys set the batcher's max batch, and the serving keys lose their
// "(serving)" mark.
func (k *keyMap) setServing(on bool) {
	k.serving = on
	batch, only, mode := "batch", " (serving)", "serving mode"
	if on {
		batch, only, mode = "max batch", "", "closed loop"
	}
	k.Double.SetHelp("+/↑", batch+" ×2")
	k.Halve.SetHelp("-/↓", batch+" ÷2")
	k.Batch.SetHelp("b", "type "+batch)
	k.Serving.SetHelp("o", mode)
	k.RateUp.SetHelp(">", "rate ×1.25"+only)
	k.RateDown.SetHelp("<", "rate ÷1.25"+only)
	k.DelayUp.SetHelp("]", "max delay ×2"+only)
	k.DelayDown.SetHelp("[", "max delay ÷2"+only)
}

// ShortHelp is the footer line. ? and q come first so that a narrow
// terminal, which cuts the line's end, never hides how to get help or leave;
// in serving mode o and its keys follow.
func (k keyMap) ShortHelp() []key.Binding {
	if k.serving {
		return []key.Binding{k.Help, k.Quit, k.Serving, k.ratePair, k.batchPair, k.delayPair, k.Pause, k.Reset}
	}
	return []key.Binding{k.Help, k.Quit, k.Double, k.Halve, k.Batch, k.Model, k.Device, k.Serving, k.Pause, k.Reset}
}

// FullHelp is the ? screen, in columns; a narrow terminal cuts the last
// ones, so the keys of the mode on screen come first.
func (k keyMap) FullHelp() [][]key.Binding {
	if k.serving {
		return [][]key.Binding{
			{k.Serving, k.RateUp, k.RateDown, k.DelayUp, k.DelayDown},
			{k.Double, k.Halve, k.Batch},
			{k.Pause, k.Reset, k.Help, k.Quit},
			{k.Model, k.Device, k.Confirm, k.Cancel},
			{k.Sweep, k.Compare, k.Export},
			{k.Layers, k.LayersTable},
		}
	}
	return [][]key.Binding{
		{k.Double, k.Halve, k.Batch, k.Serving},
		{k.Model, k.Device, k.Confirm, k.Cancel},
		{k.Pause, k.Reset, k.Help, k.Quit},
		{k.Sweep, k.Compare, k.Export},
		{k.Layers, k.LayersTable},
		{k.RateUp, k.RateDown, k.DelayUp, k.DelayDown},
	}
}
