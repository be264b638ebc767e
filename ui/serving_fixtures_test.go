package ui

import (
	"time"

	"infertop/runner"
)

// servingSnapshot is a serving run of mlp on the CPU keeping up with a
// Poisson load of 2,000 req/s: two instances, max batch 32, max delay
// 2 ms, preferred sizes 8 and 16, a p99 objective of 50 ms, ten windows.
func servingSnapshot() runner.Snapshot {
	s := cpuSnapshot()
	s.RunID, s.Batch = 5, 32
	s.Stability.IQR = false // serving mode applies the window rule only
	s.Window = runner.Throughput{Duration: time.Second, Batches: 148, Samples: 1986, SamplesPerSec: 1986, BatchesPerSec: 148}
	s.Overall = runner.Throughput{Duration: 10 * time.Second, Batches: 1480, Samples: 19900, SamplesPerSec: 1990, BatchesPerSec: 148}
	s.Latency.Count = 19900
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	sv := &runner.Serving{
		Arrival: "poisson:2000", MaxBatch: 32, MaxDelay: 2 * time.Millisecond, Preferred: []int{8, 16}, RequestSize: 1,
		SLOP99:  50 * time.Millisecond,
		Offered: 2012, Achieved: 1986, Goodput: 1950, OverallOffered: 2001, OverallAchieved: 1990, OverallGoodput: 1940,
		Requests: 19900, Arrived: 20010,
		Queue:      runner.Percentiles{Count: 19900, P50: ms(2.1), P90: ms(4.4), P99: ms(9.7), Max: ms(15)},
		Formation:  runner.Percentiles{Count: 19900, P50: ms(1.6), P90: ms(1.9), P99: ms(2), Max: ms(2.1)},
		Compute:    runner.Percentiles{Count: 19900, P50: ms(18.5), P90: ms(23), P99: ms(30), Max: ms(37)},
		Late:       runner.Percentiles{Count: 26000, P50: ms(0.02), P90: ms(0.05), P99: ms(0.4), Max: ms(1.2)},
		QueueDepth: 5, MaxQueueDepth: 61,
		Batches: []runner.SizeCount{{Size: 4, Count: 120}, {Size: 8, Count: 610}, {Size: 11, Count: 90}, {Size: 16, Count: 540},
			{Size: 23, Count: 40}, {Size: 32, Count: 80}},
		Sizes: []runner.SizeCost{
			{Size: 8, Batches: 730, Samples: 5360, Compute: runner.Percentiles{Count: 730, P50: ms(9.1), P99: ms(14)}},
			{Size: 16, Batches: 630, Samples: 9630, Compute: runner.Percentiles{Count: 630, P50: ms(18.5), P99: ms(25)}},
			{Size: 32, Batches: 120, Samples: 3480, Compute: runner.Percentiles{Count: 120, P50: ms(33), P99: ms(37)}},
		},
		Padding: 0.062,
		Instances: []runner.Instance{
			{Index: 0, Device: "cpu", Threads: 1, Batches: 750, Utilization: 0.81, WindowUtilization: 0.83},
			{Index: 1, Device: "cpu", Threads: 1, Batches: 730, Utilization: 0.79, WindowUtilization: 0.8},
		},
	}
	for i, w := range s.Windows {
		sv.Windows = append(sv.Windows, runner.ServingWindow{Index: w.Index, Arrived: 2000, Answered: 1990, Good: 1950,
			Offered: 2000 + float64(i), Achieved: 1990, Goodput: 1950, P50: ms(23), P99: ms(41),
			MeanDepth: 3 + float64(i%4)/2, MaxDepth: 20 + (i*17)%41, EndDepth: i % 6})
	}
	s.Serving = sv
	s.Events = append(s.Events, runner.Event{Seq: 4, Time: t0.Add(8 * time.Second), Kind: runner.EventStarted,
		Text: "serving poisson:2000 on 2 instances, max batch 32, max delay 2ms"})
	return s
}

// saturatedSnapshot is servingSnapshot offered 2,500 req/s, which the two
// instances cannot answer: the queue grows and the runner says so.
func saturatedSnapshot() runner.Snapshot {
	s := servingSnapshot()
	s.Seq++
	s.State = runner.Measuring
	s.Stability.Windows = false
	sv := *s.Serving
	sv.Arrival, sv.Offered, sv.Achieved, sv.Goodput = "poisson:2500", 2496, 1850, 12
	sv.OverallOffered, sv.OverallAchieved, sv.OverallGoodput = 2490, 1860, 40.2
	sv.Arrived, sv.Requests, sv.Unanswered = 24010, 18600, 0
	sv.QueueDepth, sv.MaxQueueDepth = 3400, 3400
	sv.Queue.P50, sv.Queue.P90, sv.Queue.P99, sv.Queue.Max = 480*time.Millisecond, 1100*time.Millisecond, 1400*time.Millisecond, 1500*time.Millisecond
	sv.Saturated, sv.SaturatedAt = true, 1850.4
	sv.SaturationWhy = "queue grew to 3400 requests; answered 1850 of 2496 req/s offered"
	sv.Windows = append([]runner.ServingWindow(nil), sv.Windows...)
	for i := range sv.Windows {
		w := &sv.Windows[i]
		w.Offered, w.Achieved = 2496, 1850
		w.MeanDepth, w.MaxDepth, w.EndDepth = float64(i*340), (i+1)*340, (i+1)*340
	}
	s.Serving = &sv
	return s
}

// newServingModel is a dashboard sized w×h that has taken 30 snapshots of
// s's run, a third of a second apart and ending with s: the queue's depth
// in the i-th is depth(i), and each has the windows completed by then.
func newServingModel(s runner.Snapshot, depth func(i int) int, w, h int) (*Model, *fakeControl) {
	const n, step = 30, 333 * time.Millisecond
	at := func(i int) runner.Snapshot {
		back := time.Duration(n-1-i) * step
		x := s
		x.Seq, x.Time, x.Measured, x.Elapsed = s.Seq-uint64(n-1-i), s.Time.Add(-back), s.Measured-back, s.Elapsed-back
		sv := *s.Serving
		sv.QueueDepth, x.Windows, sv.Windows = depth(i), nil, nil
		for j, win := range s.Windows {
			if win.End <= x.Measured {
				x.Windows = append(x.Windows, win)
				sv.Windows = append(sv.Windows, s.Serving.Windows[j])
			}
		}
		x.Serving = &sv
		return x
	}
	m, fc := newTestModel(at(0), w, h)
	for i := 1; i < n-1; i++ {
		m.Update(snapshotMsg(at(i)))
	}
	m.Update(snapshotMsg(s))
	return m, fc
}

// steadyDepth is a queue that comes and goes; growingDepth one that grows
// to the saturated snapshot's 3,400 requests.
func steadyDepth(i int) int  { return (i * 7) % 13 }
func growingDepth(i int) int { return 3400 * (i + 1) / 30 }
