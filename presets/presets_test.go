package presets

import (
	"slices"
	"strings"
	"testing"
)

// Parameter counts are what PyTorch's sum(p.numel()) reports for the same
// architectures (bench/pytorch/models.py builds them); FLOPs are computed by hand.
func TestCountsAgainstHandComputed(t *testing.T) {
	cases := []struct {
		name   string
		params int64
		flops  int64
		out    []int
	}{
		{"linear", 11, 20, []int{1}},
		{"mlp", 784*1024 + 1024 + 1024*1024 + 1024 + 1024*10 + 10, 2 * (784*1024 + 1024*1024 + 1024*10), []int{10}},
		{"lenet5", 156 + 2416 + 30840 + 10164 + 850, 2*25*6*24*24 + 2*150*16*8*8 + 2*(256*120+120*84+84*10), []int{10}},
		{"resnet", 896 + 4*9248 + 18496 + 4*36928 + 650,
			2*27*32*1024 + 4*2*288*32*1024 + 2*288*64*256 + 4*2*576*64*256 + 2*640, []int{10}},
		{"transformer", 2*512 + 4*256*256 + 4*256 + 256*1024 + 1024 + 1024*256 + 256,
			2*128*256*768 + 2*128*256*256 + 2*2*128*128*256 + 2*2*128*256*1024, []int{128, 256}},
	}
	c := NewCatalog()
	for _, tc := range cases {
		p, err := c.Get(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if got := p.ParamCount(); got != tc.params {
			t.Errorf("%s: params %d, want %d", tc.name, got, tc.params)
		}
		if got := p.FLOPsPerSample(); got != tc.flops {
			t.Errorf("%s: FLOPs %d, want %d", tc.name, got, tc.flops)
		}
		if got := p.Output(); !slices.Equal(got, tc.out) {
			t.Errorf("%s: output %v, want %v", tc.name, got, tc.out)
		}
	}
}

func TestParamCountsArePyTorchs(t *testing.T) {
	// Literal values printed by bench/pytorch/models.py --counts.
	want := map[string]int64{"linear": 11, "mlp": 1863690, "lenet5": 44426, "resnet": 204746, "transformer": 789760}
	for _, p := range NewCatalog().All() {
		if got := p.ParamCount(); got != want[p.Name] {
			t.Errorf("%s: %d params, PyTorch reports %d", p.Name, got, want[p.Name])
		}
	}
}

func TestWeightsDeterministicAndBounded(t *testing.T) {
	p, _ := NewCatalog().Get("lenet5")
	a, b := p.Weights(DefaultSeed), p.Weights(DefaultSeed)
	other := p.Weights(DefaultSeed + 1)
	for _, q := range p.Params() {
		wa, wb := a[q.Name], b[q.Name]
		if len(wa) != q.Size() {
			t.Fatalf("%s: %d values, want %d", q.Name, len(wa), q.Size())
		}
		for i := range wa {
			if wa[i] != wb[i] {
				t.Fatalf("%s[%d] differs between draws with the same seed", q.Name, i)
			}
			if wa[i] < q.Init.Low || wa[i] >= q.Init.High {
				t.Fatalf("%s[%d]=%v outside [%v,%v)", q.Name, i, wa[i], q.Init.Low, q.Init.High)
			}
		}
		if wa[0] == other[q.Name][0] {
			t.Errorf("%s: another seed gave the same first value", q.Name)
		}
	}
	if got := len(a["conv1.weight"]); got != 150 {
		t.Errorf("conv1.weight has %d values, want 150", got)
	}
}

func TestUnknownPresetListsValid(t *testing.T) {
	_, err := NewCatalog().Get("vgg")
	if err == nil || !strings.Contains(err.Error(), `unknown preset "vgg" (valid: lenet5, linear, mlp, resnet, transformer)`) {
		t.Fatalf("got %v", err)
	}
}
