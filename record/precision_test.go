package record

import (
	"bytes"
	"testing"
	"time"

	"infertop/engine"
	"infertop/runner"
)

// A snapshot's precision (Info.Precision) and accuracy figure are written
// by name and read back; a recording made before they existed replays as
// float32, unchecked.
func TestPrecisionAndAccuracyReplay(t *testing.T) {
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot(1)
	s.Device, s.Info = "cuda:0", engine.Info{Device: "cuda:0", Engine: "cuda+cublas", Precision: engine.BF16}
	s.Accuracy = runner.Accuracy{Base: "cpu fp32", RelErr: 0.012, Tolerance: 0.05}
	old := snapshot(2)
	old.Info = engine.Info{Device: "cpu", Engine: "cpu+openblas"}
	c.add(100 * time.Millisecond)
	r.Snapshot(s)
	c.add(100 * time.Millisecond)
	r.Snapshot(old)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b := f.bytes()
	if !bytes.Contains(b, []byte(`"Precision":"bf16"`)) || !bytes.Contains(b, []byte(`"Accuracy":{"Base":"cpu fp32","RelErr":0.012,"Tolerance":0.05}`)) {
		t.Fatalf("recording:\n%s", b)
	}
	// The second snapshot as a build before precisions wrote it.
	b = bytes.Replace(b, []byte(`"Engine":"cpu+openblas","Detail":"","Plan":"","Threads":0,"PeakGFLOPS":0,"Peak":{},"Precision":"fp32"`),
		[]byte(`"Engine":"cpu+openblas","Detail":"","Plan":"","Threads":0,"PeakGFLOPS":0,"Peak":{}`), 1)
	if bytes.Count(b, []byte(`"Precision"`)) != 1 {
		t.Fatalf("the old snapshot still names its precision:\n%s", b)
	}
	rec, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var got []runner.Snapshot
	for _, e := range rec.Entries {
		if e.Kind == KindSnapshot {
			got = append(got, *e.Snapshot)
		}
	}
	if len(got) != 2 || got[0].Info.Precision != engine.BF16 || got[0].Accuracy != s.Accuracy {
		t.Fatalf("replayed %+v", got)
	}
	if got[1].Info.Precision != engine.FP32 || got[1].Accuracy.Checked() {
		t.Errorf("the old snapshot replays as %v, %+v", got[1].Info.Precision, got[1].Accuracy)
	}
}
