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
	// Confirm and Cancel act in the batch prompt and the pickers.
	Confirm, Cancel key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Double:      key.NewBinding(key.WithKeys("+", "=", "up"), key.WithHelp("+/↑", "batch ×2")),
		Halve:       key.NewBinding(key.WithKeys("-", "_", "down"), key.WithHelp("-/↓", "batch ÷2")),
		Batch:       key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "type batch")),
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
		Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp is the footer line. ? and q come first so that a narrow
// terminal, which cuts the line's end, never hides how to get help or leave.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Quit, k.Double, k.Halve, k.Batch, k.Model, k.Device, k.Pause, k.Reset}
}

// FullHelp is the ? screen, in columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Double, k.Halve, k.Batch},
		{k.Model, k.Device, k.Confirm, k.Cancel},
		{k.Pause, k.Reset, k.Help, k.Quit},
		{k.Sweep, k.Compare, k.Export},
		{k.Layers, k.LayersTable},
	}
}
