package model

import (
	"hash/fnv"
	"math/rand/v2"
)

// FillInputs writes deterministic input data into ts, one tensor per graph
// input in g.Inputs' order (ts[i] may be nil to skip an input). What a value
// means decides what it gets, so that every model computes on data it would
// see: float32 inputs are uniform in [-1, 1); integer inputs that index a
// table (Gather's indices, reached directly or through Cast and reshaping
// ops) are uniform over that table's rows, as token ids are; other integer
// inputs (attention masks) are ones, and bool inputs true. The same seed and
// graph give the same data.
func FillInputs(g *Graph, ts []*Tensor, seed uint64) {
	cons := g.Consumers()
	for i, name := range g.Inputs {
		if i >= len(ts) || ts[i] == nil {
			continue
		}
		t := ts[i]
		r := inputStream(seed, g.Name+"."+name)
		switch {
		case t.DType == Float32:
			for j := range t.F32 {
				t.F32[j] = 2*r.Float32() - 1
			}
		case t.DType.IsInt():
			rows := indexedRows(g, cons, name, 0)
			for j := range t.I64 {
				if rows > 0 {
					t.I64[j] = int64(r.IntN(rows))
				} else {
					t.I64[j] = 1
				}
			}
		case t.DType == Bool:
			for j := range t.Bool {
				t.Bool[j] = true
			}
		}
	}
}

// indexedRows is the number of rows of the table that value name indexes
// (the size of a Gather's data along its axis, when name is its indices),
// following Cast and reshaping ops; 0 when name indexes no table.
func indexedRows(g *Graph, cons map[string][]*Node, name string, depth int) int {
	if depth > 8 {
		return 0
	}
	rows := 0
	for _, n := range cons[name] {
		switch n.Op {
		case "Gather":
			if n.Input(1) != name {
				continue
			}
			data := g.Values[n.Input(0)]
			if data == nil || data.Shape == nil {
				continue
			}
			axis := int(n.Attrs.Int("axis", 0))
			if axis < 0 {
				axis += len(data.Shape)
			}
			if axis >= 0 && axis < len(data.Shape) && data.Shape[axis].Known() {
				if k := data.Shape[axis].Size; rows == 0 || k < rows {
					rows = k
				}
			}
		case "Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity":
			if n.Input(0) != name || len(n.Outputs) == 0 {
				continue
			}
			if k := indexedRows(g, cons, n.Outputs[0], depth+1); k > 0 && (rows == 0 || k < rows) {
				rows = k
			}
		}
	}
	return rows
}

// inputStream is the random stream of one input: the presets' own
// construction (PCG seeded with the seed and the FNV-1a hash of a name), so
// that a preset's input is what it was when presets drew their own.
func inputStream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
