package model

import (
	"math"
	"slices"
	"testing"
)

func TestFuseConvBatchNormValues(t *testing.T) {
	p := newPT(t, 17)
	// Two output channels of a 1×1 convolution over one input channel.
	conv := p.op("Conv", "conv", nil, p.in("x", 1, 1, 2, 2), p.f("W", []int{2, 1, 1, 1}, 2, -3), p.f("B", []int{2}, 1, 0.5))
	bn := p.op("BatchNormalization", "bn", Attrs{"epsilon": FloatAttr(0.25)}, conv,
		p.f("scale", []int{2}, 3, 1), p.f("shift", []int{2}, 0.5, -1), p.f("mean", []int{2}, 2, -0.5), p.f("var", []int{2}, 4, 0.75))
	g := p.build(bn)
	c, n := ptRun(t, g, FuseConvBatchNorm)
	if n != 1 {
		t.Fatalf("%d rewrites, want 1", n)
	}
	ptWantNodes(t, c, "Conv(x, conv/weight, conv/bias) -> bn")
	// s = scale/√(var+eps): 3/√4.25 and 1/√1; W' = W·s, B' = (B − mean)·s + shift.
	s0, s1 := 3/math.Sqrt(4.25), 1.0
	wantW := []float32{float32(2 * s0), float32(-3 * s1)}
	wantB := []float32{float32((1-2)*s0 + 0.5), float32((0.5+0.5)*s1 - 1)}
	if w := ptFloats(t, c, "conv/weight"); !slices.Equal(w, wantW) {
		t.Errorf("weight %v, want %v", w, wantW)
	}
	if b := ptFloats(t, c, "conv/bias"); !slices.Equal(b, wantB) {
		t.Errorf("bias %v, want %v", b, wantB)
	}
	if cv := ptNode(t, c, "conv"); !slices.Equal(cv.Covers, []string{"conv", "bn"}) {
		t.Errorf("covers %v", cv.Covers)
	}
	ptSame(t, g, c)
}

func TestFuseConvBatchNorm(t *testing.T) {
	bn := func(p *ptNet, name, x string, ch int, attrs Attrs) string {
		return p.op("BatchNormalization", name, attrs, x, p.pos(name+".s", ch), p.w(name+".b", ch), p.w(name+".m", ch), p.pos(name+".v", ch))
	}
	ptTable(t, 17, []ptCase{{
		name: "a Conv without a bias, strided and grouped",
		build: func(p *ptNet) *Graph {
			conv := p.op("Conv", "conv", Attrs{"group": IntAttr(2), "strides": IntsAttr(2, 2)}, p.in("x", 2, 4, 5, 5), p.w("W", 6, 2, 3, 3))
			return p.build(bn(p, "bn", conv, 6, nil))
		},
		want: []string{"Conv(x, conv/weight, conv/bias) -> bn"},
	}, {
		name: "a Conv read twice stays",
		build: func(p *ptNet) *Graph {
			conv := p.op("Conv", "conv", nil, p.in("x", 1, 2, 3, 3), p.w("W", 2, 2, 1, 1))
			return p.build(bn(p, "bn", conv, 2, nil), conv)
		},
		want: []string{"Conv(x, W) -> conv", "BatchNormalization(conv, bn.s, bn.b, bn.m, bn.v) -> bn"},
	}, {
		name: "computed statistics stay",
		build: func(p *ptNet) *Graph {
			conv := p.op("Conv", "conv", nil, p.in("x", 1, 2, 3, 3), p.w("W", 2, 2, 1, 1))
			return p.build(p.op("BatchNormalization", "bn", nil, conv, p.pos("s", 2), p.w("b", 2), p.in("m", 2), p.pos("v", 2)))
		},
		want: []string{"Conv(x, W) -> conv", "BatchNormalization(conv, s, b, m, v) -> bn"},
	}, {
		name: "a BatchNormalization after something else stays",
		build: func(p *ptNet) *Graph {
			return p.build(bn(p, "bn", p.op("Relu", "relu", nil, p.in("x", 1, 2, 3, 3)), 2, nil))
		},
		want: []string{"Relu(x) -> relu", "BatchNormalization(relu, bn.s, bn.b, bn.m, bn.v) -> bn"},
	}}, FuseConvBatchNorm)
}

func TestFuseConvBatchNormRefusesTrainingMode(t *testing.T) {
	p := newPT(t, 17)
	conv := p.op("Conv", "conv", nil, p.in("x", 1, 2, 3, 3), p.w("W", 2, 2, 1, 1))
	g := p.raw(p.op("BatchNormalization", "bn", Attrs{"training_mode": IntAttr(1)}, conv, p.pos("s", 2), p.w("b", 2), p.w("m", 2), p.pos("v", 2)))
	c := g.Clone()
	if n, err := FuseConvBatchNorm.Run(c); err != nil || n != 0 || len(c.Nodes) != 2 {
		t.Fatalf("rewrote a training-mode BatchNormalization: %d, %v, %v", n, err, ptNodes(c))
	}
}
