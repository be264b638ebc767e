package model

import (
	"slices"
	"testing"
)

// SliceWindow resolves negative and clamped starts, axes and steps into
// the first index and step along every axis.
func TestSliceWindow(t *testing.T) {
	b := NewBuilder("slice")
	x := b.Input("x", Float32, Shape{Fixed(4), Fixed(10), Fixed(6)})
	starts := b.Const("starts", Ints([]int{2}, []int64{-8, 1}))
	ends := b.Const("ends", Ints([]int{2}, []int64{100, 6}))
	axes := b.Const("axes", Ints([]int{2}, []int64{1, -1}))
	steps := b.Const("steps", Ints([]int{2}, []int64{3, 2}))
	y := b.Op("Slice", "s", nil, x, starts, ends, axes, steps)
	b.Output(y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Opset = 17
	start, step, err := SliceWindow(g, g.Nodes[0], []int{4, 10, 6})
	if err != nil || !slices.Equal(start, []int{0, 2, 1}) || !slices.Equal(step, []int{1, 3, 2}) {
		t.Errorf("start %v step %v (%v), want [0 2 1] [1 3 2]", start, step, err)
	}
}
