package record

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"infertop/runner"
)

func TestEnergyRoundTrip(t *testing.T) {
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot(1)
	s.Device = "cuda:0"
	s.Windows[0].Energy = runner.Energy{Valid: true, Joules: 300, Samples: 25600, JoulesPerSample: 300.0 / 25600}
	s.WindowEnergy = s.Windows[0].Energy
	s.OverallEnergy = runner.Energy{Valid: true, Joules: 300, Samples: 25600, JoulesPerSample: 300.0 / 25600}
	r.Snapshot(s)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("%v %v", err, rec.Stopped)
	}
	if got := *rec.Entries[0].Snapshot; !reflect.DeepEqual(got, s) {
		t.Errorf("energy lost in the round trip\n got %+v\nwant %+v", got, s)
	}
	// An unknown figure is not written at all (a CPU run's lines are unchanged).
	plain := &memFile{}
	r, _ = New(plain, header(), c.now)
	r.Snapshot(snapshot(1))
	_ = r.Close()
	if b := plain.bytes(); bytes.Contains(b, []byte("Energy")) {
		t.Errorf("unknown energy written: %s", b)
	}
}

// oldRecording is a GPU dashboard recording written before snapshots carried
// the runner's energy per sample (no WindowEnergy, OverallEnergy or
// Windows[].Energy) and before models (the model is its "Preset").
const oldRecording = `{"type":"header","format":1,"started":"2026-03-01T12:00:00Z","command":"dashboard","build":{"version":"0.1.0","go":"go1.26","cuda":true},"machine":{"os":"linux","arch":"amd64","cpu_model":"Test CPU","cpus":2}}
{"type":"snapshot","at_ns":100000000,"snapshot":{"RunID":3,"Seq":7,"Time":"2026-03-01T12:00:00.1Z","Preset":"mlp","Device":"cuda:0","Batch":256,"State":2,"Err":"","Elapsed":3000000000,"WarmupTime":1000000000,"WarmupBatches":40,"WarmupSettled":true,"Measured":2000000000,"Window":{"Duration":1000000000,"Batches":100,"Samples":25600,"SamplesPerSec":25600,"BatchesPerSec":100},"Overall":{"Duration":2000000000,"Batches":200,"Samples":51200,"SamplesPerSec":25600,"BatchesPerSec":100},"Latency":{"Count":200,"Min":900000,"P50":1000000,"P90":1100000,"P95":1100000,"P99":1200000,"P999":1200000,"Max":1200000,"Mean":1000000,"P25":950000,"P75":1050000},"Split":{"Valid":false,"H2D":{"P50":0,"Mean":0},"Compute":{"P50":0,"Mean":0},"D2H":{"P50":0,"Mean":0},"Enqueue":{"P50":0,"Mean":0},"TransferBound":false,"LaunchBound":false},"GFLOPS":1.5,"PctPeak":0,"Memory":{"HostBytes":1024,"DeviceBytes":{"cuda:0":2048}},"Info":{"Device":"cuda:0","Engine":"cuda+cublas"},"Windows":[{"Index":0,"End":1000000000,"Duration":1000000000,"Batches":100,"Samples":25600,"SamplesPerSec":25600,"BatchesPerSec":100,"P50":1000000},{"Index":1,"End":2000000000,"Duration":1000000000,"Batches":100,"Samples":25600,"SamplesPerSec":25600,"BatchesPerSec":100,"P50":1000000}],"Histogram":null,"LatenciesRecorded":0,"LatenciesDropped":0,"Stability":{"Windows":false,"IQR":true,"WindowCount":2,"ThroughputSpread":0,"P50Spread":0,"IQROverMedian":0.1},"Events":{"count":0,"last_seq":0}}}
{"type":"gpu_sample","at_ns":150000000,"gpu_sample":{"time":"2026-03-01T12:00:00.15Z","interval_nanoseconds":500000000,"fake":false,"driver_version":"550.54.15","gpus":[{"index":0,"name":"NVIDIA H100 80GB HBM3","uuid":"GPU-1","pci_bus_id":"00000000:18:00.0","fake":false,"energy_total_joules":5000.5,"energy_interval_joules":256}]}}
`

func TestOldRecordingWithoutEnergyReplays(t *testing.T) {
	rec, err := Read(strings.NewReader(oldRecording))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("%v %v", err, rec.Stopped)
	}
	if len(rec.Entries) != 2 || rec.Entries[0].Kind != KindSnapshot || rec.Entries[1].Kind != KindSample {
		t.Fatalf("entries %+v", rec.Entries)
	}
	s := rec.Entries[0].Snapshot
	if s.WindowEnergy.Valid || s.OverallEnergy.Valid || s.Windows[1].Energy.Valid {
		t.Errorf("an old snapshot has an energy figure: window %+v overall %+v", s.WindowEnergy, s.OverallEnergy)
	}
	if s.Model != "mlp" || s.Device != "cuda:0" || s.Window.Samples != 25600 || s.Overall.Samples != 51200 || len(s.Windows) != 2 ||
		s.Windows[1].End != 2*time.Second || s.Latency.P50 != time.Millisecond || s.Stability.IQROverMedian != 0.1 {
		t.Errorf("the old snapshot did not read back: %+v", s)
	}
	if g := rec.Entries[1].Sample.GPUs[0]; g.EnergyIntervalJoules.V != 256 || !g.EnergyTotalJoules.OK {
		t.Errorf("the old sample's energy: %+v", g)
	}
}
