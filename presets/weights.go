package presets

import (
	"hash/fnv"
	"math/rand/v2"
)

// DefaultSeed is the seed every engine uses unless told otherwise, so all engines hold the same weights.
const DefaultSeed uint64 = 20240611

// Weights maps parameter names to their values (row-major, PyTorch layout).
type Weights map[string][]float32

// Weights draws every parameter from its Init distribution. Each tensor has its own
// stream, derived from the seed and the parameter's name, so values do not depend on order.
func (p *Preset) Weights(seed uint64) Weights {
	w := Weights{}
	for _, q := range p.Params() {
		w[q.Name] = uniform(seed, q.Name, q.Size(), q.Init)
	}
	return w
}

// uniform draws n values of the parameter name from the seed, uniform in
// [init.Low, init.High): the one way every preset weight is made.
func uniform(seed uint64, name string, n int, init Init) []float32 {
	r := stream(seed, name)
	v := make([]float32, n)
	span := init.High - init.Low
	for i := range v {
		v[i] = init.Low + span*r.Float32()
	}
	return v
}

// FillInput writes a deterministic input batch (uniform in [-1, 1)) into dst,
// which holds batch × InputSize values.
func (p *Preset) FillInput(dst []float32, seed uint64) {
	r := stream(seed, p.Name+".input")
	for i := range dst {
		dst[i] = 2*r.Float32() - 1
	}
}

func stream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
