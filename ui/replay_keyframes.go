package ui

import (
	"sort"
	"time"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/runner"
)

// keyframeEvery is how many entries a replay plays between two saved states
// of the dashboard's feeds. Seeking back restores the last saved state before
// the target and plays on from there, instead of from the recording's start:
// in an hour of dashboard (36,000 entries) that was about 5 s of decoding and
// drawing per seek.
const keyframeEvery = 512

// feedState is all that the recorded feeds (snapshots, GPU samples, host
// readings) change in the dashboard; the panels draw from it.
type feedState struct {
	snap   runner.Snapshot
	batch  int
	sample *gpuinfo.Sample
	host   *hostinfo.Stat
	hist   *history
}

// keyframe is the feeds' state once the first pos entries have been played.
type keyframe struct {
	pos   int
	state feedState
}

// saveFeeds copies the feeds' state. Snapshots, samples and host readings
// are never changed once received, so they are shared; the history is copied.
func (m *Model) saveFeeds() feedState {
	return feedState{snap: m.snap, batch: m.batch, sample: m.sample, host: m.host, hist: m.hist.clone()}
}

// restoreFeeds puts a saved state back and redraws the panels from it.
func (m *Model) restoreFeeds(f feedState) {
	m.snap, m.batch, m.sample, m.host, m.hist = f.snap, f.batch, f.sample, f.host, f.hist.clone()
	m.redrawAll()
	m.relayout()
}

// clone is a deep copy.
func (h *history) clone() *history {
	c := &history{throughput: append([]point(nil), h.throughput...), lastRun: h.lastRun, lastWindow: h.lastWindow,
		util: make(map[int][]float64, len(h.util)), depth: append([]point(nil), h.depth...), depthMax: append([]point(nil), h.depthMax...)}
	for i, u := range h.util {
		c.util[i] = append([]float64(nil), u...)
	}
	return c
}

// keep saves a keyframe when pos entries have been played and pos is one of
// the spaced positions not saved yet.
func (r *Replay) keep(pos int) {
	if pos%r.every != 0 || (len(r.keyframes) > 0 && r.keyframes[len(r.keyframes)-1].pos >= pos) {
		return
	}
	r.keyframes = append(r.keyframes, keyframe{pos: pos, state: r.inner.saveFeeds()})
}

// resumeBefore starts a fresh dashboard at the last keyframe from which
// playing on reaches to (the start when there is none).
func (r *Replay) resumeBefore(to time.Duration) {
	// Playing stops at the first entry recorded after to, as advance does
	// (offsets need not grow: a line may be written just after a later one).
	rec := r.opts.Recording
	played := 0
	for played < r.limit && rec.At(played) <= to {
		played++
	}
	k := sort.Search(len(r.keyframes), func(i int) bool { return r.keyframes[i].pos > played })
	r.rebuild()
	if k > 0 {
		kf := r.keyframes[k-1]
		r.inner.restoreFeeds(kf.state)
		r.pos = kf.pos
	}
}
