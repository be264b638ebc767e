package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"infertop/model"
)

// A layout change to channels-last equals the plain transpose of each
// sample's [C, S] matrix, for few channels (an image's 1, 3 or 4: the short
// rows' way) and many (the tiles' way), on one and two threads.
func TestLayoutToChannelsLast(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, threads := range []int{1, 2} {
		c := &compute{pool: newPool(threads)}
		for _, s := range [][]int{{2, 3, 5, 7}, {1, 1, 4, 4}, {3, 4, 1, 33}, {2, 8, 9, 9}, {2, 37, 3, 11}, {5, 3, 32, 32}} {
			n, ch, sp := s[0], s[1], s[2]*s[3]
			x := &model.Tensor{DType: model.Float32, Shape: s, F32: randF(r, n*ch*sp, 1)}
			y := &model.Tensor{DType: model.Float32, Shape: []int{n, sp, ch}, F32: make([]float32, n*ch*sp)}
			k := newLayoutKernel(c, x, y, true)
			k.bind()
			if err := k.compute(); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				for ci := range ch {
					for p := range sp {
						if got, want := y.F32[(i*sp+p)*ch+ci], x.F32[(i*ch+ci)*sp+p]; got != want {
							t.Fatalf("%v on %d threads: y[%d, %d, %d] = %v, want %v", s, threads, i, p, ci, got, want)
						}
					}
				}
			}
		}
		c.pool.close()
	}
}

// BenchmarkLayoutToChannelsLast times the layout change of a batch of 64
// CIFAR images (3 × 32 × 32) and of a 32-channel activation, one thread.
func BenchmarkLayoutToChannelsLast(b *testing.B) {
	r := rand.New(rand.NewPCG(23, 24))
	c := &compute{pool: newPool(1)}
	defer c.pool.close()
	for _, ch := range []int{3, 32} {
		n, sp := 64, 1024
		x := &model.Tensor{DType: model.Float32, Shape: []int{n, ch, 32, 32}, F32: randF(r, n*ch*sp, 1)}
		y := &model.Tensor{DType: model.Float32, Shape: []int{n, sp, ch}, F32: make([]float32, n*ch*sp)}
		k := newLayoutKernel(c, x, y, true)
		k.bind()
		b.Run(fmt.Sprintf("64x%dx32x32", ch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = k.compute()
			}
			b.ReportMetric(float64(8*n*ch*sp)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
