// Package session is infertop's application layer: what a command or the
// dashboard asks for, set up on this machine. It holds the engine registry
// of this build, opens a run (runner, engine, GPU and host telemetry, energy
// meters, the recording and the metrics endpoint), sets up the one batch
// sweep that `infertop sweep` and the dashboard's s key share, the race of
// two configurations (compare and c), selftest's numeric checks, the device
// lists and the calibration.
//
// It decides nothing about flags, screens or exit codes: it never imports
// flag, cli or ui (the dashboard reaches it through ui's small Session
// interface, which Dashboard implements). Its errors say what was wrong; a
// *UsageError is one the person fixes by changing the command line.
package session

import "fmt"

// Version is the program's version, printed by "infertop version" and
// written into reports and recordings.
const Version = "0.1.0"

// UsageError is a failure the person fixes by changing what was asked for
// (a taken address, a path that cannot be written, a device this build or
// machine cannot run); nothing has run yet.
type UsageError struct{ Msg string }

// Error is the message, without the command's name.
func (e *UsageError) Error() string { return e.Msg }

// usage is a UsageError with a formatted message.
func usage(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }
