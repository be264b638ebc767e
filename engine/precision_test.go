package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePrecision(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Precision
	}{{"fp32", FP32}, {"FP16", FP16}, {"bf16", BF16}, {" tf32 ", TF32}, {"half", FP16}, {"bfloat16", BF16}, {"float32", FP32}} {
		got, err := ParsePrecision(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePrecision(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if again, err := ParsePrecision(got.String()); err != nil || again != got {
			t.Errorf("%v does not read back from its name: %v, %v", got, again, err)
		}
	}
	_, err := ParsePrecision("fp8")
	if err == nil || !strings.Contains(err.Error(), `"fp8" is not one of fp32|tf32|fp16|bf16`) {
		t.Errorf("fp8: %v", err)
	}
	if FP32.Reduced() || !TF32.Reduced() || TF32.Half() || !FP16.Half() || !BF16.Half() {
		t.Error("Reduced or Half wrong")
	}
	if FP32.Tolerance() != 1e-3 || FP16.Tolerance() != 1e-2 || BF16.Tolerance() != 5e-2 {
		t.Error("tolerances differ from the documented ones")
	}
}

// A precision travels in JSON as its name, and a record without one reads
// as float32.
func TestPrecisionJSON(t *testing.T) {
	type rec struct {
		Precision Precision `json:"precision"`
	}
	b, err := json.Marshal(rec{BF16})
	if err != nil || string(b) != `{"precision":"bf16"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"precision":"fp16"}`), &r); err != nil || r.Precision != FP16 {
		t.Errorf("fp16 read back as %v, %v", r.Precision, err)
	}
	r = rec{TF32}
	if err := json.Unmarshal([]byte(`{}`), &r); err != nil || r.Precision != TF32 {
		t.Errorf("an absent field changed the value: %v, %v", r.Precision, err)
	}
	if err := json.Unmarshal([]byte(`{"precision":""}`), &r); err != nil || r.Precision != FP32 {
		t.Errorf("an empty name read as %v, %v", r.Precision, err)
	}
	if err := json.Unmarshal([]byte(`{"precision":"fp8"}`), &r); err == nil || !strings.Contains(err.Error(), "fp32|tf32|fp16|bf16") {
		t.Errorf("fp8: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"precision":2}`), &r); err != nil || r.Precision != FP16 {
		t.Errorf("a number read as %v, %v", r.Precision, err)
	}
	if err := json.Unmarshal([]byte(`{"precision":9}`), &r); err == nil {
		t.Error("precision 9 read")
	}
}

// A reduced precision is for GPUs: the CPU's options keep float32.
func TestOptionsOn(t *testing.T) {
	o := Options{Precision: FP16, Threads: 3}
	if got := o.On(Device{Kind: CPU}); got.Precision != FP32 || got.Threads != 3 {
		t.Errorf("on the CPU: %+v", got)
	}
	if got := o.On(Device{Kind: CUDA, Ordinal: 1}); got != o {
		t.Errorf("on cuda:1: %+v", got)
	}
}
