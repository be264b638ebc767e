package model

import (
	"testing"
)

// bindGraph has inputs x [batch, seq, 4] and m [batch, seq], and an output
// whose recorded shape names the same symbols.
func bindGraph(t *testing.T, xShape Shape) *Graph {
	b := NewBuilder("bind")
	x := b.Input("x", Float32, xShape)
	m := b.Input("m", Float32, Shape{Sym("batch"), Sym("seq")})
	b.Output(b.Op("Mul", "y", nil, x, b.Op("Unsqueeze", "mu", nil, m, b.Const("axes", Ints([]int{1}, []int64{-1})))))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Values["y"].Shape = Shape{Sym("batch"), Sym("seq"), Fixed(4)}
	return g
}

func TestBindDims(t *testing.T) {
	g := bindGraph(t, Shape{Sym("batch"), Sym("seq"), Fixed(4)})
	n, err := BindDims(Binding{Batch: 3, Dims: map[string]int{"seq": 5, "unused": 2}}).Run(g)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Shape{"x": ShapeOf(3, 5, 4), "m": ShapeOf(3, 5), "y": ShapeOf(3, 5, 4)} {
		if got := g.Values[name].Shape; !got.Equal(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if n != 6 {
		t.Errorf("%d dimensions bound, want 6", n)
	}
}

func TestBindDimsAnonymousBatch(t *testing.T) {
	g := bindGraph(t, Shape{{Size: -1}, Fixed(2), Fixed(4)})
	g.Values["m"].Shape = Shape{{Size: -1}, Fixed(2)}
	if _, err := BindDims(Binding{Batch: 7}).Run(g); err != nil {
		t.Fatal(err)
	}
	if got := g.Values["x"].Shape; !got.Equal(ShapeOf(7, 2, 4)) {
		t.Fatalf("x: %v", got)
	}
}

func TestBindDimsErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape Shape
		b     Binding
		want  string
	}{
		{"unbound named dimension", Shape{Sym("batch"), Sym("seq"), Fixed(4)}, Binding{Batch: 2},
			`input "x" has the free dimension "seq" (shape [2 seq 4]): bind it with --dim seq=N`},
		{"unbound anonymous dimension", Shape{Sym("batch"), {Size: -1}, Fixed(4)}, Binding{Batch: 2, Dims: map[string]int{"seq": 3}},
			`input "x" has an unnamed free dimension 1 (shape [2 ? 4]); the model must name it or fix its size`},
		{"batch not positive", Shape{Sym("batch"), Fixed(2), Fixed(4)}, Binding{Batch: 0}, `batch 0 must be positive`},
		{"dim not positive", Shape{Sym("batch"), Sym("seq"), Fixed(4)}, Binding{Batch: 1, Dims: map[string]int{"seq": -2}},
			`--dim seq=-2: a dimension's size must be positive`},
		{"dim contradicting the batch", Shape{Sym("batch"), Sym("seq"), Fixed(4)}, Binding{Batch: 2, Dims: map[string]int{"batch": 3, "seq": 1}},
			`--dim batch=3: "batch" is the batch dimension of input "x", which takes the batch size 2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BindDims(tc.b).Run(bindGraph(t, tc.shape))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
}
