package cuda

import (
	"fmt"

	"infertop/model"
)

// arena places the computed values of a plan in activation buffers by
// liveness: a value takes a buffer when the node that writes it is emitted
// and gives it back after the last node that reads it, so that later values
// reuse it. A node's outputs and scratch are placed before its inputs are
// given back, so no step writes memory it also reads. A value that renames
// another (Reshape, Flatten ...) shares its memory and keeps it alive as
// long as it is read itself. Graph outputs keep their memory to the end.
type arena struct {
	plan  *Plan
	root  map[string]string // value → the value whose memory it shares (itself unless an alias)
	last  map[string]int    // root → index of the last node reading it or one of its aliases
	slots []slot
	held  map[string]int // root → slot it holds
	place map[string]int // value → its entry in plan.Values
	// reads maps a value to the index of the last node reading it: the
	// number of nodes for a graph output, −1 for a value nothing reads.
	reads   map[string]int
	lo      int   // first step of the node being emitted
	scratch []int // slots the node being emitted holds as scratch
}

// slot is one activation buffer.
type slot struct {
	buf  int
	free bool
}

// newArena works out every value's alias root and when it is read last.
func newArena(g *model.Graph, plan *Plan) *arena {
	a := &arena{plan: plan, root: map[string]string{}, last: map[string]int{}, held: map[string]int{},
		place: map[string]int{}, reads: map[string]int{}}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				a.reads[in] = i
			}
		}
		if renames(g, n) && len(n.Outputs) > 0 {
			a.root[n.Outputs[0]] = a.rootOf(n.Input(0))
		}
	}
	for _, o := range g.Outputs {
		a.reads[o] = len(g.Nodes)
	}
	for v, i := range a.reads {
		r := a.rootOf(v)
		a.last[r] = max(a.last[r], i)
	}
	return a
}

func (a *arena) rootOf(v string) string {
	if r, ok := a.root[v]; ok {
		return r
	}
	return v
}

// begin starts a node whose steps start at step lo.
func (a *arena) begin(lo int) { a.lo, a.scratch = lo, a.scratch[:0] }

// take returns a free activation buffer for floats values: the smallest free
// one that holds them, else the largest free one grown to hold them, else a
// new one.
func (a *arena) take(floats int64) int {
	best, grow := -1, -1
	for i, s := range a.slots {
		if !s.free {
			continue
		}
		n := a.plan.Buffers[s.buf].Floats
		switch {
		case n >= floats && (best < 0 || n < a.plan.Buffers[a.slots[best].buf].Floats):
			best = i
		case n < floats && (grow < 0 || n > a.plan.Buffers[a.slots[grow].buf].Floats):
			grow = i
		}
	}
	if best < 0 && grow >= 0 {
		best = grow
		a.plan.Buffers[a.slots[best].buf].Floats = floats
	}
	if best < 0 {
		buf := len(a.plan.Buffers)
		a.plan.Buffers = append(a.plan.Buffers, Buffer{Name: fmt.Sprintf("activations %d", len(a.slots)), Role: RoleActivation, Floats: floats})
		a.slots = append(a.slots, slot{buf: buf})
		best = len(a.slots) - 1
	}
	a.slots[best].free = false
	return best
}

// record adds a placement living from the current node's first step.
func (a *arena) record(name string, r Ref, floats int64, alias bool) {
	a.place[name] = len(a.plan.Values)
	a.plan.Values = append(a.plan.Values, Placement{Name: name, Ref: r, Floats: floats, Def: a.lo, Last: -1, Alias: alias})
}

// placeValue gives a value the current node writes its memory.
func (a *arena) placeValue(name string, floats int64) Ref {
	s := a.take(floats)
	a.held[name] = s
	r := Ref{Buf: a.slots[s].buf}
	a.record(name, r, floats, false)
	if _, read := a.reads[name]; !read {
		a.reads[name] = -1 // written and never read: given back when its node ends
	}
	return r
}

// alias records value to, which shares the memory at r of another value.
func (a *arena) alias(to string, r Ref, floats int64) {
	a.record(to, r, floats, true)
	if _, read := a.reads[to]; !read {
		a.reads[to] = -1
	}
}

// scratchSpace gives the current node floats values until it ends.
func (a *arena) scratchSpace(name string, floats int64) Ref {
	s := a.take(floats)
	a.scratch = append(a.scratch, s)
	r := Ref{Buf: a.slots[s].buf}
	a.record(name, r, floats, false)
	a.reads[name] = -1
	return r
}

// end closes node i, whose steps end before step hi: the values it read
// last, and its scratch, give their memory back.
func (a *arena) end(i, hi int) {
	for name, at := range a.place {
		p := &a.plan.Values[at]
		if p.Last >= 0 {
			continue
		}
		// A value's memory lives as long as its aliases are read; an alias
		// lives as long as it is read itself.
		l, ok := a.last[name]
		if p.Alias {
			l, ok = a.reads[name]
		}
		if !ok || l <= i {
			p.Last = hi - 1
		}
	}
	for root, s := range a.held {
		if l, ok := a.last[root]; !ok || l <= i {
			a.slots[s].free = true
			delete(a.held, root)
		}
	}
	for _, s := range a.scratch {
		a.slots[s].free = true
	}
}

// finish closes the plan of n steps: what is still live (the graph's
// outputs) lives to the end, and the totals are counted.
func (a *arena) finish(n int) {
	var act, vals int64
	for i := range a.plan.Values {
		p := &a.plan.Values[i]
		if p.Last < 0 {
			p.Last = n
		}
		if !p.Alias {
			vals += p.Floats
		}
	}
	for _, s := range a.slots {
		act += a.plan.Buffers[s.buf].Floats
	}
	a.plan.ActivationFloats, a.plan.ValueFloats = act, vals
}
