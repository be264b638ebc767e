package cuda

import (
	"math"
	"testing"
)

// TestHalfConversions checks the conversions against NumPy's float16 and
// PyTorch's bfloat16 casts of the same float32 values (ties to even,
// overflow, subnormals, zeros and infinities), and that every finite half
// and bfloat16 value converts back to itself.
func TestHalfConversions(t *testing.T) {
	for _, c := range []struct {
		bits     uint32
		f16, b16 uint16
	}{
		{0x00000000, 0x0000, 0x0000}, {0x80000000, 0x8000, 0x8000}, {0x3f800000, 0x3c00, 0x3f80},
		{0xbf800000, 0xbc00, 0xbf80}, {0x3dcccccd, 0x2e66, 0x3dcd}, {0x3eaaaaab, 0x3555, 0x3eab},
		{0x477fe000, 0x7bff, 0x4780}, {0x477fe100, 0x7bff, 0x4780}, {0x477feffd, 0x7bff, 0x4780},
		{0x477ff000, 0x7c00, 0x4780}, {0x49742400, 0x7c00, 0x4974}, {0xc9742400, 0xfc00, 0xc974},
		{0x38800000, 0x0400, 0x3880}, {0x387fc000, 0x03ff, 0x3880}, {0x33800000, 0x0001, 0x3380},
		{0x33000000, 0x0000, 0x3300}, {0x33000001, 0x0001, 0x3300}, {0x33400000, 0x0001, 0x3340},
		{0x3089705f, 0x0000, 0x3089}, {0x3f802000, 0x3c01, 0x3f80}, {0x3f801000, 0x3c00, 0x3f80},
		{0x3f803000, 0x3c02, 0x3f80}, {0x40490fdb, 0x4248, 0x4049}, {0xc02df854, 0xc170, 0xc02e},
		{0x7f800000, 0x7c00, 0x7f80}, {0xff800000, 0xfc00, 0xff80}, {0x3f808000, 0x3c04, 0x3f80},
		{0x3f818000, 0x3c0c, 0x3f82}, {0x7f7f0000, 0x7c00, 0x7f7f}, {0xc2f6e979, 0xd7b7, 0xc2f7},
		{0x3901725b, 0x080c, 0x3901}, {0x35800000, 0x0010, 0x3580},
	} {
		f := math.Float32frombits(c.bits)
		if got := toF16(f); got != c.f16 {
			t.Errorf("toF16(%g) = %#04x, NumPy says %#04x", f, got, c.f16)
		}
		if got := toBF16(f); got != c.b16 {
			t.Errorf("toBF16(%g) = %#04x, PyTorch says %#04x", f, got, c.b16)
		}
	}
	nan := float32(math.NaN())
	if h := toF16(nan); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("toF16(NaN) = %#04x, not a NaN", h)
	}
	if h := toBF16(nan); !math.IsNaN(float64(fromBF16(h))) {
		t.Errorf("toBF16(NaN) = %#04x, not a NaN", h)
	}
	for h := 0; h < 1<<16; h++ {
		if f := fromF16(uint16(h)); !math.IsNaN(float64(f)) && toF16(f) != uint16(h) {
			t.Fatalf("half %#04x reads as %g, which converts to %#04x", h, f, toF16(f))
		}
		if f := fromBF16(uint16(h)); !math.IsNaN(float64(f)) && toBF16(f) != uint16(h) {
			t.Fatalf("bfloat16 %#04x reads as %g, which converts to %#04x", h, f, toBF16(f))
		}
	}
	if fromF16(0x0001) != float32(math.Ldexp(1, -24)) || fromF16(0x7bff) != 65504 || fromF16(0xc170) != -2.71875 {
		t.Error("fromF16 misreads a subnormal, the largest half or a negative value")
	}
}
