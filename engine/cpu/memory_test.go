package cpu

import (
	"fmt"
	"testing"

	"infertop/model"
)

// memCase builds steps over values of n floats each by name.
type memCase struct {
	vals map[string]*val
}

func (c *memCase) v(name string, n int) *val {
	if v, ok := c.vals[name]; ok {
		return v
	}
	v := &val{name: name, t: &model.Tensor{DType: model.Float32, Shape: []int{n}}}
	c.vals[name] = v
	return v
}

// step reads ins and writes out; inplace says its first input may be overwritten.
func (c *memCase) step(out string, inplace bool, ins ...string) *step {
	s := &step{name: out, outs: []*val{c.v(out, 100)}}
	for _, in := range ins {
		s.ins = append(s.ins, c.v(in, 100))
	}
	if inplace {
		s.inplace = []int{0}
	}
	return s
}

// The buffers follow the values' lives: a chain of products takes turns in
// two buffers, element-wise steps write over what they read for the last
// time, a residual keeps its input alive, reshapes share their input's
// buffer, and the outputs keep theirs to the end.
func TestPlanMemory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		build   func(c *memCase) (steps []*step, outputs []string)
		buffers int
		same    [][2]string // values that share a buffer
		differ  [][2]string // values that must not
	}{
		{"chain of products", func(c *memCase) ([]*step, []string) {
			return []*step{c.step("a", false, "x"), c.step("b", false, "a"), c.step("c", false, "b"), c.step("d", false, "c")}, []string{"d"}
		}, 2, [][2]string{{"x", "b"}, {"a", "c"}}, [][2]string{{"c", "d"}}},
		{"element-wise chain", func(c *memCase) ([]*step, []string) {
			return []*step{c.step("a", true, "x"), c.step("b", true, "a"), c.step("c", true, "b")}, []string{"c"}
		}, 1, [][2]string{{"x", "c"}}, nil},
		{"residual", func(c *memCase) ([]*step, []string) {
			return []*step{c.step("a", false, "x"), c.step("b", true, "a"), c.step("c", false, "b", "x"), c.step("d", false, "c")},
				[]string{"d"}
		}, 3, [][2]string{{"a", "b"}, {"a", "d"}}, [][2]string{{"x", "a"}, {"x", "c"}, {"c", "d"}}},
		{"a value read again later is not overwritten", func(c *memCase) ([]*step, []string) {
			return []*step{c.step("a", true, "x"), c.step("b", false, "a", "x")}, []string{"b"}
		}, 3, nil, [][2]string{{"x", "a"}, {"a", "b"}}},
		{"outputs kept", func(c *memCase) ([]*step, []string) {
			return []*step{c.step("a", false, "x"), c.step("b", true, "a"), c.step("c", false, "b"), c.step("d", false, "c")},
				[]string{"a", "d"}
		}, 3, nil, [][2]string{{"a", "b"}, {"a", "c"}, {"a", "d"}}},
		{"reshape shares and extends", func(c *memCase) ([]*step, []string) {
			r := c.v("r", 100)
			r.alias = c.v("a", 100)
			return []*step{c.step("a", false, "x"), c.step("b", false, "a"), c.step("c", false, "b"), c.step("d", false, "c", "r")},
				[]string{"d"}
		}, 3, [][2]string{{"a", "r"}, {"x", "b"}, {"x", "d"}}, [][2]string{{"a", "b"}, {"a", "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &memCase{vals: map[string]*val{}}
			steps, outs := tc.build(c)
			var outputs []*val
			for _, o := range outs {
				outputs = append(outputs, c.vals[o])
			}
			m := planMemory([]*val{c.v("x", 100)}, steps, outputs)
			if len(m.stores) != tc.buffers {
				t.Errorf("%d buffers, want %d", len(m.stores), tc.buffers)
			}
			for _, p := range tc.same {
				if c.vals[p[0]].store != c.vals[p[1]].store {
					t.Errorf("%s and %s have different buffers", p[0], p[1])
				}
			}
			for _, p := range tc.differ {
				if c.vals[p[0]].store == c.vals[p[1]].store {
					t.Errorf("%s and %s share a buffer", p[0], p[1])
				}
			}
			if t.Failed() {
				for name, v := range c.vals {
					t.Logf("%s: buffer %s", name, fmt.Sprintf("%p", v.store))
				}
			}
		})
	}
}
