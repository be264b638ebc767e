package cpu

import (
	"slices"

	"infertop/model"
)

// storage is one buffer of the arena: the values whose lives do not overlap
// take turns in it.
type storage struct {
	dtype model.DType // Float32, Int64 (int64 and int32) or Bool
	size  int         // elements: the largest value it holds
	off   int         // where it starts in its arena
	// pending is how many reads of the values it holds are still to come
	// while the steps are planned; pinned keeps it to the end.
	pending int
	pinned  bool
	free    bool
}

// arenaKind is the arena a dtype's elements live in.
func arenaKind(dt model.DType) model.DType {
	if dt.IsInt() {
		return model.Int64
	}
	return dt
}

// memoryPlan is where every value of a prepared batch lives.
type memoryPlan struct {
	stores  []*storage
	scratch int   // floats of the scratch buffer the steps share
	packed  int   // floats of weights the kernels reorder for themselves
	weights int64 // bytes of the graph's constants the steps read as they are
}

// bytes is what the plan allocates: the arenas, the scratch and the packed weights.
func (m *memoryPlan) bytes() int64 {
	var b int64
	for _, s := range m.stores {
		n := s.size
		if s.dtype == model.Float32 {
			n = roundUp(n, 16)
		}
		b += int64(n) * elemBytes(s.dtype)
	}
	return b + 4*int64(m.scratch+m.packed)
}

func elemBytes(dt model.DType) int64 {
	switch dt {
	case model.Float32:
		return 4
	case model.Bool:
		return 1
	}
	return 8
}

// memPlanner gives the values their buffers (see planMemory).
type memPlanner struct {
	m *memoryPlan
	// reads counts the steps that read each owner of a buffer and its aliases.
	reads map[*val]int
	// pinned marks the owners kept to the end.
	pinned map[*val]bool
	free   []*storage
	consts map[any]bool
}

// planMemory gives every value a buffer. A buffer is released after the
// last step that reads any value it holds and taken again, best fit, by the
// next value of its dtype to be computed: an unused buffer just large enough,
// else the largest unused one, grown. A reshape shares its input's buffer;
// an element-wise step may write into an input it reads for the last time;
// the graph's outputs keep theirs to the end.
func planMemory(inputs []*val, steps []*step, outputs []*val) *memoryPlan {
	mp := &memPlanner{m: &memoryPlan{}, reads: map[*val]int{}, pinned: map[*val]bool{}}
	mp.count(steps, outputs)
	// The inputs are copied in before the first step: each has its own buffer.
	for _, v := range inputs {
		mp.own(v, mp.take(v.t.DType, v.t.Len()))
		if mp.reads[v] == 0 {
			v.store.pinned = true // no step reads it: it must not share a buffer another input is copied into
		}
	}
	for _, s := range steps {
		for oi, v := range s.outs {
			if v == nil {
				continue
			}
			if st := inPlace(s, v); oi == 0 && st != nil {
				mp.own(v, st)
			} else {
				mp.own(v, mp.take(v.t.DType, v.t.Len()))
			}
		}
		for _, v := range distinct(s.ins) {
			if r := v.root(); !r.konst {
				r.store.pending--
				mp.release(r.store)
			}
		}
		for _, v := range s.outs {
			if v != nil {
				mp.release(v.store)
			}
		}
	}
	// Aliases share their owner's buffer.
	var all []*val
	for _, s := range steps {
		all = append(all, s.ins...)
		all = append(all, s.outs...)
	}
	for _, v := range append(all, outputs...) {
		if v != nil && v.store == nil && !v.root().konst {
			v.store = v.root().store
		}
	}
	return mp.m
}

// distinct is vs without nils and repeats.
func distinct(vs []*val) []*val {
	out := make([]*val, 0, len(vs))
	for _, v := range vs {
		if v != nil && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// count counts each buffer owner's reads, and the weights, scratch and
// packed weights the steps need.
func (mp *memPlanner) count(steps []*step, outputs []*val) {
	for _, s := range steps {
		for _, v := range distinct(s.ins) {
			mp.reads[v.root()]++
		}
		if sc, ok := s.k.(scratchUser); ok {
			mp.m.scratch = max(mp.m.scratch, sc.scratchFloats())
		}
	}
	for _, v := range outputs {
		mp.pinned[v.root()] = true
	}
	mp.m.recount(steps, outputs)
}

// recount counts the weights the steps read: the constants they read as
// they are, once per constant data, and the weights they packed. A kernel
// that reads an input only through its packed copy (packedInput) does not
// count that input: once the products are tuned, a product that chose its
// packed way has dropped nothing but no longer reads the original, and one
// that chose another way has dropped its packed copy.
func (m *memoryPlan) recount(steps []*step, outputs []*val) {
	mp := &memPlanner{m: m, consts: map[any]bool{}}
	m.weights, m.packed = 0, 0
	for _, s := range steps {
		pi, _ := s.k.(packedInput)
		for i, v := range s.ins {
			if v != nil && slices.Index(s.ins, v) == i && (pi == nil || !pi.readsPacked(i)) {
				mp.weight(v)
			}
		}
		if pk, ok := s.k.(packer); ok {
			m.packed += pk.packedFloats()
		}
	}
	for _, v := range outputs {
		mp.weight(v)
	}
}

// weight counts a constant's bytes, once per constant data.
func (mp *memPlanner) weight(v *val) {
	r := v.root()
	if !r.konst || r.t.Stored() == 0 {
		return
	}
	var key any
	switch {
	case r.t.F32 != nil:
		key = &r.t.F32[0]
	case r.t.I64 != nil:
		key = &r.t.I64[0]
	default:
		key = &r.t.Bool[0]
	}
	if !mp.consts[key] {
		mp.consts[key] = true
		mp.m.weights += r.t.Bytes()
	}
}

// take returns an unused buffer of dt for n elements: the smallest one large
// enough, else the largest one grown, else a new one.
func (mp *memPlanner) take(dt model.DType, n int) *storage {
	dt = arenaKind(dt)
	best, largest := -1, -1
	for i, s := range mp.free {
		if s.dtype != dt {
			continue
		}
		if s.size >= n && (best < 0 || s.size < mp.free[best].size) {
			best = i
		}
		if largest < 0 || s.size > mp.free[largest].size {
			largest = i
		}
	}
	if best < 0 && largest >= 0 {
		best = largest
		mp.free[best].size = n
	}
	if best < 0 {
		s := &storage{dtype: dt, size: n}
		mp.m.stores = append(mp.m.stores, s)
		return s
	}
	s := mp.free[best]
	mp.free = slices.Delete(mp.free, best, best+1)
	s.free = false
	return s
}

// own puts the owner v (and its aliases) in buffer s.
func (mp *memPlanner) own(v *val, s *storage) {
	v.store = s
	s.pending += mp.reads[v]
	s.pinned = s.pinned || mp.pinned[v]
}

// release makes s unused when no read of it is left to come.
func (mp *memPlanner) release(s *storage) {
	if s.pending == 0 && !s.pinned && !s.free {
		s.free = true
		mp.free = append(mp.free, s)
	}
}

// inPlace returns the buffer of an input of s that output v may take over:
// an input s lists as in-place, read here for the last time through no other
// value, of v's dtype and size, not a constant and not kept to the end.
func inPlace(s *step, v *val) *storage {
	for _, i := range s.inplace {
		x := s.ins[i]
		r := x.root()
		if r.konst || r.store == nil || r.store.pinned || arenaKind(x.t.DType) != arenaKind(v.t.DType) || x.t.Len() != v.t.Len() {
			continue
		}
		readers := 0
		for _, y := range s.ins {
			if y != nil && !y.root().konst && y.root().store == r.store {
				readers++
			}
		}
		if readers == 1 && r.store.pending == 1 {
			return r.store
		}
	}
	return nil
}

// arenas are a prepared batch's buffers, one slice per dtype.
type arenas struct {
	f32  []float32
	i64  []int64
	bool []bool
}

// allocate makes the arenas and binds every value's data to its buffer
// (each float buffer starts on a 64-byte boundary).
func (m *memoryPlan) allocate(vals []*val) *arenas {
	var nf, ni, nb int
	for _, s := range m.stores {
		switch s.dtype {
		case model.Float32:
			s.off = nf
			nf += roundUp(s.size, 16)
		case model.Bool:
			s.off = nb
			nb += s.size
		default:
			s.off = ni
			ni += s.size
		}
	}
	a := &arenas{f32: make([]float32, nf), i64: make([]int64, ni), bool: make([]bool, nb)}
	for _, v := range vals {
		if v == nil || v.konst || v.store == nil {
			continue
		}
		s, n := v.store, v.t.Len()
		switch s.dtype {
		case model.Float32:
			v.t.F32 = a.f32[s.off : s.off+n : s.off+n]
		case model.Bool:
			v.t.Bool = a.bool[s.off : s.off+n : s.off+n]
		default:
			v.t.I64 = a.i64[s.off : s.off+n : s.off+n]
		}
	}
	return a
}
