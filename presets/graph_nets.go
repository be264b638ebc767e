package presets

import (
	"fmt"
	"sort"
	"strings"

	"infertop/model"
)

// modelSpec is one built-in model: what a listing says of it and how its graph is built.
type modelSpec struct {
	name, description string
	defaultBatch      int
	build             func(n *net) string
}

// modelSpecs returns the built-in models in catalog order (DESIGN.md's table).
func modelSpecs() []modelSpec {
	return []modelSpec{
		{"linear", "Linear(10→1): the smallest model, dominated by per-batch overhead", 1000, linearNet},
		{"mlp", "MNIST-sized MLP 784→1024→1024→10 with ReLU: GEMM-bound", 256, mlpNet},
		{"lenet5", "LeNet-5 on 1×28×28: two 5×5 convolutions, max pooling, three linears", 256, lenet5Net},
		{"resnet", "small CIFAR ResNet on 3×32×32: 3×3 convolutions with 4 residual blocks, convolution-bound", 64, resnetNet},
		{"transformer", "one pre-norm encoder layer, 128 tokens × 256, 4 heads, FFN 1024 with GELU", 16, transformerNet},
	}
}

// ModelSource is the Source of every built-in model.
const ModelSource = "built-in preset"

// NewModels returns the built-in presets as a model catalog whose weights are
// drawn from seed; each graph is built the first time it is asked for.
func NewModels(seed uint64) *model.Catalog {
	c := model.NewCatalog()
	for _, s := range modelSpecs() {
		// The names are distinct constants, so Add cannot fail.
		_ = c.Add(s.name, s.description, func() (*model.Model, error) { return s.model(seed) })
	}
	return c
}

// BuildModel builds the named built-in preset with weights drawn from seed,
// or says which names are valid.
func BuildModel(name string, seed uint64) (*model.Model, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	specs := modelSpecs()
	names := make([]string, len(specs))
	for i, s := range specs {
		if s.name == key {
			return s.model(seed)
		}
		names[i] = s.name
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown preset %q (valid: %s)", name, strings.Join(names, ", "))
}

func (s modelSpec) model(seed uint64) (*model.Model, error) {
	n := newNet(s.name, seed)
	g, err := n.finish(s.build(n))
	if err != nil {
		return nil, fmt.Errorf("preset %w", err)
	}
	return &model.Model{Name: s.name, Description: s.description, Source: ModelSource,
		Graph: g, DefaultBatch: s.defaultBatch}, nil
}

func linearNet(n *net) string {
	return n.gemm("fc", n.input(10), 10, 1)
}

func mlpNet(n *net) string {
	x := n.relu("relu1", n.gemm("fc1", n.input(784), 784, 1024))
	x = n.relu("relu2", n.gemm("fc2", x, 1024, 1024))
	return n.gemm("fc3", x, 1024, 10)
}

func lenet5Net(n *net) string {
	x := n.maxPool2("pool1", n.relu("relu1", n.conv("conv1", n.input(1, 28, 28), 1, 6, 5, 1, 0)))
	x = n.maxPool2("pool2", n.relu("relu2", n.conv("conv2", x, 6, 16, 5, 1, 0)))
	x = n.flatten("flatten", x)
	x = n.relu("relu3", n.gemm("fc1", x, 256, 120))
	x = n.relu("relu4", n.gemm("fc2", x, 120, 84))
	return n.gemm("fc3", x, 84, 10)
}

// resBlockNet is relu(x + conv2(relu(conv1(x)))) at ch channels.
func resBlockNet(n *net, name, x string, ch int) string {
	y := n.relu(name+".relu", n.conv(name+".conv1", x, ch, ch, 3, 1, 1))
	y = n.conv(name+".conv2", y, ch, ch, 3, 1, 1)
	return n.relu(name+".out", n.add(name, x, y))
}

func resnetNet(n *net) string {
	x := n.relu("stem.relu", n.conv("stem", n.input(3, 32, 32), 3, 32, 3, 1, 1))
	x = resBlockNet(n, "stage1.block1", x, 32)
	x = resBlockNet(n, "stage1.block2", x, 32)
	x = n.relu("down.relu", n.conv("down", x, 32, 64, 3, 2, 1))
	x = resBlockNet(n, "stage2.block1", x, 64)
	x = resBlockNet(n, "stage2.block2", x, 64)
	return n.gemm("fc", n.globalAvgPool("pool", x), 64, 10)
}

func transformerNet(n *net) string {
	const d, tokens, heads, ffn = 256, 128, 4, 1024
	x := n.input(tokens, d)
	x = n.add("attn_block", x, n.attention("attn", n.layerNorm("norm1", x, d), d, heads))
	h := n.gelu("gelu", n.linear3("ffn1", n.layerNorm("norm2", x, d), d, ffn))
	return n.add("ffn_block", x, n.linear3("ffn2", h, ffn, d))
}
