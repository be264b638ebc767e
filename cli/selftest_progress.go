package cli

import (
	"fmt"
	"io"
	"slices"
	"time"

	"infertop/internal/units"
	"infertop/session"
)

// caseProgress says on stderr which selftest case starts and how long it
// took, with "[i/n]", the time elapsed and an estimate of the time left.
//
// The estimate takes a case's time as a fixed part plus a part that grows
// with its work (the model's FLOPs per sample times the batch: the baseline
// computes every FLOP, the engine on the device too): the fixed part is the
// shortest case seen, and the time per FLOP is what the largest case so far
// took above it over its work (in smaller cases a model's set-up weighs
// more); until a case gives that rate, a case ahead takes the average.
type caseProgress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	// work is each case's FLOPs in the order they run; total their count.
	work  []float64
	total int
	// done counts the cases finished; took are the times of those that
	// ran (not refused); biggest is the most work of these and biggestTook
	// its time.
	done        int
	took        []time.Duration
	biggest     float64
	biggestTook time.Duration
	caseAt      time.Time
}

// newCaseProgress plans st's cases in the order runCases runs them. A model
// whose cost is unknown counts as no work: its cases weigh the fixed part only.
func newCaseProgress(w io.Writer, st *session.Selftest, now func() time.Time) *caseProgress {
	p := &caseProgress{w: w, now: now, start: now()}
	for _, m := range st.Models {
		flops := 0.0
		if c, err := m.Cost(); err == nil {
			flops = float64(c.FLOPsPerSample)
		}
		for _, b := range st.BatchesOf(m) {
			p.work = append(p.work, flops*float64(b))
		}
	}
	p.total = len(p.work)
	return p
}

// begin says the next case, of model name at batch, starts.
func (p *caseProgress) begin(name string, batch int) {
	p.caseAt = p.now()
	line := fmt.Sprintf("[%d/%d] %s batch %d: checking · %s elapsed", p.done+1, p.total, name, batch, units.Elapsed(p.caseAt.Sub(p.start)))
	if left, ok := p.left(); ok {
		line += " · about " + units.Elapsed(left) + " left"
	}
	fmt.Fprintln(p.w, line)
}

// end says the case begun last passed or failed, and counts its time and
// work for the estimate. The words are lower case: the verdicts in capitals
// are the results on stdout.
func (p *caseProgress) end(name string, batch int, passed bool) {
	verdict := "failed"
	if passed {
		verdict = "passed"
	}
	took := p.say(name, fmt.Sprintf("batch %d: %s", batch, verdict))
	p.took = append(p.took, took)
	if w := p.work[p.done]; w >= p.biggest {
		p.biggest, p.biggestTook = w, took
	}
	p.done++
}

// refused says the device refused model name, which ends its n cases at
// once; a refusal's time says nothing of how long a case runs.
func (p *caseProgress) refused(name string, n int) {
	p.say(name, "refused at every batch")
	p.done = min(p.done+n, p.total)
}

// say writes the line that ends a case and returns the case's time.
func (p *caseProgress) say(name, what string) time.Duration {
	took := p.now().Sub(p.caseAt)
	fmt.Fprintf(p.w, "[%d/%d] %s %s in %s\n", p.done+1, p.total, name, what, units.Elapsed(took))
	return took
}

// minWorkTime is how much of a case's time must lie above the fixed part
// before it gives a rate per FLOP: below it, timer noise and the model's
// set-up (its weights, its compilation) would make the rate absurd.
const minWorkTime = 500 * time.Millisecond

// left estimates the time the cases not yet run will take; false before a
// case ended. Until a rate per FLOP is known, or when the cases ahead have
// no known work, each case ahead takes what the cases took on average.
func (p *caseProgress) left() (time.Duration, bool) {
	if len(p.took) == 0 {
		return 0, false
	}
	fixed, sum := slices.Min(p.took), time.Duration(0)
	for _, t := range p.took {
		sum += t
	}
	rest := p.work[p.done:]
	if p.biggest == 0 || p.biggestTook-fixed < minWorkTime {
		return sum / time.Duration(len(p.took)) * time.Duration(len(rest)), true
	}
	perFLOP := float64(p.biggestTook-fixed) / p.biggest
	left := 0.0
	for _, w := range rest {
		left += float64(fixed) + perFLOP*w
	}
	return time.Duration(left), true
}
