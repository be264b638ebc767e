package presets

import "fmt"

func builtins() []*Preset {
	return []*Preset{linear(), mlp(), lenet5(), resnet(), transformer()}
}

func linear() *Preset {
	return &Preset{
		Name:         "linear",
		Description:  "Linear(10→1): the smallest model, dominated by per-batch overhead",
		Input:        []int{10},
		DefaultBatch: 1000,
		Layers:       []Layer{{Kind: Linear, Name: "fc", In: 10, Out: 1}},
	}
}

func mlp() *Preset {
	return &Preset{
		Name:         "mlp",
		Description:  "MNIST-sized MLP 784→1024→1024→10 with ReLU: GEMM-bound",
		Input:        []int{784},
		DefaultBatch: 256,
		Layers: []Layer{
			{Kind: Linear, Name: "fc1", In: 784, Out: 1024},
			{Kind: ReLU, Name: "relu1"},
			{Kind: Linear, Name: "fc2", In: 1024, Out: 1024},
			{Kind: ReLU, Name: "relu2"},
			{Kind: Linear, Name: "fc3", In: 1024, Out: 10},
		},
	}
}

func lenet5() *Preset {
	return &Preset{
		Name:         "lenet5",
		Description:  "LeNet-5 on 1×28×28: two 5×5 convolutions, max pooling, three linears",
		Input:        []int{1, 28, 28},
		DefaultBatch: 256,
		Layers: []Layer{
			{Kind: Conv2D, Name: "conv1", In: 1, Out: 6, Kernel: 5, Stride: 1},
			{Kind: ReLU, Name: "relu1"},
			{Kind: MaxPool2, Name: "pool1"},
			{Kind: Conv2D, Name: "conv2", In: 6, Out: 16, Kernel: 5, Stride: 1},
			{Kind: ReLU, Name: "relu2"},
			{Kind: MaxPool2, Name: "pool2"},
			{Kind: Flatten, Name: "flatten"},
			{Kind: Linear, Name: "fc1", In: 256, Out: 120},
			{Kind: ReLU, Name: "relu3"},
			{Kind: Linear, Name: "fc2", In: 120, Out: 84},
			{Kind: ReLU, Name: "relu4"},
			{Kind: Linear, Name: "fc3", In: 84, Out: 10},
		},
	}
}

func resBlock(name string, ch int) Layer {
	return Layer{Kind: Residual, Name: name, Body: []Layer{
		{Kind: Conv2D, Name: name + ".conv1", In: ch, Out: ch, Kernel: 3, Stride: 1, Pad: 1},
		{Kind: ReLU, Name: name + ".relu"},
		{Kind: Conv2D, Name: name + ".conv2", In: ch, Out: ch, Kernel: 3, Stride: 1, Pad: 1},
	}}
}

func resnet() *Preset {
	ls := []Layer{
		{Kind: Conv2D, Name: "stem", In: 3, Out: 32, Kernel: 3, Stride: 1, Pad: 1},
		{Kind: ReLU, Name: "stem.relu"},
	}
	for i := 1; i <= 2; i++ {
		n := fmt.Sprintf("stage1.block%d", i)
		ls = append(ls, resBlock(n, 32), Layer{Kind: ReLU, Name: n + ".out"})
	}
	ls = append(ls,
		Layer{Kind: Conv2D, Name: "down", In: 32, Out: 64, Kernel: 3, Stride: 2, Pad: 1},
		Layer{Kind: ReLU, Name: "down.relu"},
	)
	for i := 1; i <= 2; i++ {
		n := fmt.Sprintf("stage2.block%d", i)
		ls = append(ls, resBlock(n, 64), Layer{Kind: ReLU, Name: n + ".out"})
	}
	ls = append(ls,
		Layer{Kind: GlobalAvgPool, Name: "pool"},
		Layer{Kind: Linear, Name: "fc", In: 64, Out: 10},
	)
	return &Preset{
		Name:         "resnet",
		Description:  "small CIFAR ResNet on 3×32×32: 3×3 convolutions with 4 residual blocks, convolution-bound",
		Input:        []int{3, 32, 32},
		DefaultBatch: 64,
		Layers:       ls,
	}
}

func transformer() *Preset {
	const d = 256
	return &Preset{
		Name:         "transformer",
		Description:  "one pre-norm encoder layer, 128 tokens × 256, 4 heads, FFN 1024 with GELU",
		Input:        []int{128, d},
		DefaultBatch: 16,
		Layers: []Layer{
			{Kind: Residual, Name: "attn_block", Body: []Layer{
				{Kind: LayerNorm, Name: "norm1", In: d},
				{Kind: SelfAttention, Name: "attn", In: d, Heads: 4},
			}},
			{Kind: Residual, Name: "ffn_block", Body: []Layer{
				{Kind: LayerNorm, Name: "norm2", In: d},
				{Kind: Linear, Name: "ffn1", In: d, Out: 4 * d},
				{Kind: GELU, Name: "gelu"},
				{Kind: Linear, Name: "ffn2", In: 4 * d, Out: d},
			}},
		},
	}
}
