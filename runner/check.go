package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/model"
)

// Accuracy is how far one batch's outputs on the run's device lie from a
// baseline's outputs on the same inputs (the dashboard's baseline is the
// CPU engine in float32), taken once per prepared batch by Config.Check.
// The zero Accuracy says no batch was checked.
type Accuracy struct {
	// Base names the baseline, e.g. "cpu fp32"; "" when nothing was checked.
	Base string `json:",omitempty"`
	// RelErr is max|out − base| / max|base| over the batch's outputs (the
	// worst output), when Err is empty.
	RelErr float64 `json:",omitempty"`
	// Tolerance is the relative error the run's precision is expected to
	// stay within (engine.Precision.Tolerance).
	Tolerance float64 `json:",omitempty"`
	// Err says why there is no figure (the baseline could not run, or an
	// output was not finite).
	Err string `json:",omitempty"`
}

// Checked says a batch was checked: there is a figure or an error.
func (a Accuracy) Checked() bool { return a.Base != "" }

// Within says the batch was checked and its relative error is within the
// tolerance.
func (a Accuracy) Within() bool { return a.Checked() && a.Err == "" && a.RelErr <= a.Tolerance }

// String reads like "rel err 3.1e-4 vs cpu fp32", "rel err 2.3e-2 vs cpu
// fp32 (over 1e-2)" or "no accuracy figure vs cpu fp32: …"; "" when
// nothing was checked.
func (a Accuracy) String() string {
	switch {
	case !a.Checked():
		return ""
	case a.Err != "":
		return "no accuracy figure vs " + a.Base + ": " + a.Err
	case !a.Within():
		return fmt.Sprintf("rel err %s vs %s (over %s)", sci(a.RelErr, 1), a.Base, sci(a.Tolerance, 0))
	}
	return fmt.Sprintf("rel err %s vs %s", sci(a.RelErr, 1), a.Base)
}

// sci writes x in scientific notation with digits after the point and a
// short exponent: 3.1e-4, not 3.1e-04.
func sci(x float64, digits int) string {
	s := strconv.FormatFloat(x, 'e', digits, 64)
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	if sign == "+" {
		sign = ""
	}
	return mant + "e" + sign + exp
}

// CheckInput is what a Checker sees of one batch just prepared and run:
// the model, the device it was opened on, the batch, the executor's
// description (the precision that ran), and the inputs the run measures
// with and the outputs one batch wrote from them. The checker reads them
// and must not keep them.
type CheckInput struct {
	Model   *model.Model
	Device  string
	Batch   int
	Info    engine.Info
	In, Out []*model.Tensor
}

// Checker judges one batch's outputs against a baseline (Config.Check). It
// answers the zero Accuracy for a run it does not check (e.g. one on the
// baseline's own device).
type Checker func(ctx context.Context, c CheckInput) Accuracy

// check runs one batch of the newly prepared executor and hands it to the
// Checker; the figure goes into every snapshot until the next Prepare, and
// a batch beyond its tolerance, or a check that failed, is an event. It
// runs before warm-up begins, so its time is no part of any figure.
func (l *loop) check() {
	l.accuracy = Accuracy{}
	if l.cfg.Check == nil || l.exec == nil {
		return
	}
	if err := safely(func() error { _, err := l.exec.Run(l.in, l.out); return err }); err != nil {
		return // the warm-up's first batch fails the same way, and says so
	}
	a := l.cfg.Check(l.ctx, CheckInput{Model: l.model, Device: l.device, Batch: l.batch, Info: l.info, In: l.in, Out: l.out})
	l.accuracy = a
	noteAccuracy(&l.events, l.clock.Now(), l.batch, l.info.Precision, a)
}

// noteAccuracy records a checked batch beyond its tolerance, or a check
// that failed, as an event.
func noteAccuracy(ev *eventRing, now time.Time, batch int, p engine.Precision, a Accuracy) {
	switch {
	case !a.Checked():
	case a.Err != "":
		ev.add(now, EventWarning, "batch %d: %s", batch, a)
	case !a.Within():
		ev.add(now, EventWarning, "batch %d in %s: relative error %s against %s, beyond %s's tolerance %s",
			batch, p, sci(a.RelErr, 1), a.Base, p, sci(a.Tolerance, 0))
	}
}
