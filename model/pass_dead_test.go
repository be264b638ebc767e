package model

import "testing"

func TestDropDead(t *testing.T) {
	gone := func(names ...string) func(t *testing.T, _, g *Graph) {
		return func(t *testing.T, _, g *Graph) {
			for _, name := range names {
				if g.Values[name] != nil {
					t.Errorf("value %q is still there", name)
				}
			}
		}
	}
	ptTable(t, 13, []ptCase{{
		name: "an Identity between nodes",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Neg", "neg", nil, p.op("Identity", "id", nil, p.op("Relu", "relu", nil, p.in("x", 2)))))
		},
		want:  []string{"Relu(x) -> relu", "Neg(relu) -> neg"},
		check: gone("id"),
	}, {
		name: "an Identity writing a graph output: its producer writes it",
		build: func(p *ptNet) *Graph {
			r := p.op("Relu", "relu", nil, p.in("x", 2))
			return p.build(p.op("Identity", "y", nil, r), p.op("Neg", "neg", nil, r))
		},
		want:  []string{"Relu(x) -> y", "Neg(y) -> neg"},
		check: gone("relu"),
	}, {
		name: "an Identity from an input to an output stays",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Identity", "y", nil, p.in("x", 2)))
		},
		want: []string{"Identity(x) -> y"},
	}, {
		name: "an Identity of a graph output to another stays",
		build: func(p *ptNet) *Graph {
			r := p.op("Relu", "relu", nil, p.in("x", 2))
			return p.build(r, p.op("Identity", "y", nil, r))
		},
		want: []string{"Relu(x) -> relu", "Identity(relu) -> y"},
	}, {
		name: "an inference Dropout",
		build: func(p *ptNet) *Graph {
			d := p.b.OpN("Dropout", "drop", nil, 2, p.in("x", 2), p.s("ratio", 0.1), p.b.Const("train", &Tensor{DType: Bool, Shape: []int{}, Bool: []bool{false}}))
			return p.build(p.op("Neg", "neg", nil, d[0]))
		},
		want:  []string{"Neg(x) -> neg"},
		check: gone("drop:0", "drop:1", "ratio", "train"),
	}, {
		name: "a Dropout whose mask is read stays",
		build: func(p *ptNet) *Graph {
			d := p.b.OpN("Dropout", "drop", nil, 2, p.in("x", 2))
			return p.build(p.op("Neg", "neg", nil, d[0]), p.op("Cast", "cast", Attrs{"to": IntAttr(int64(Float32))}, d[1]))
		},
		want: []string{"Dropout(x) -> drop:0, drop:1", "Neg(drop:0) -> neg", "Cast(drop:1) -> cast"},
	}, {
		name: "nodes nothing reads, and the constants only they read",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 2)
			p.op("Neg", "dead2", nil, p.op("Add", "dead1", nil, x, p.w("only_dead", 2)))
			return p.build(p.op("Relu", "relu", nil, x))
		},
		want:  []string{"Relu(x) -> relu"},
		check: gone("dead1", "dead2", "only_dead"),
	}}, DropDead)
}
