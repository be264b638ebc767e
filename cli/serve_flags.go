package cli

import (
	"flag"
	"fmt"

	"infertop/runner"
	"infertop/serve"
	"infertop/session"
)

// servingFlags are serving mode's flags, shared by bench, sweep and the
// dashboard: --arrival and the dynamic batcher's --max-delay,
// --preferred-batch, --queue-limit, --request-size and --instances.
type servingFlags struct {
	arrival, preferred string
	maxDelay           string
	queueLimit         int
	requestSize        int
	instances          int
}

// servingUsage is the help text's paragraph about serving mode.
const servingUsage = `

Serving mode (--arrival other than closed): requests of --request-size samples arrive on their own
schedule (poisson:RATE, constant:RATE in requests per second, or clients:N closed-loop clients) and
wait in a queue; a dynamic batcher as Triton's forms batches of at most the max batch, holding the
oldest request at most --max-delay, preferring --preferred-batch sizes; --instances executors serve the
queue (the CPU's threads are split between them). Each request's latency counts from its scheduled
arrival, so a stall shows in every request scheduled during it. See docs/serving.md.`

func addServingFlags(fs *flag.FlagSet) *servingFlags {
	f := &servingFlags{}
	fs.StringVar(&f.arrival, "arrival", "closed", "how work arrives: closed (batches back to back), poisson:`RATE`, constant:RATE (requests per second) or clients:N (N closed-loop clients)")
	fs.StringVar(&f.maxDelay, "max-delay", "0s", "serving: how long the oldest queued request may wait for a batch to fill (Triton's max_queue_delay), e.g. 2ms; 0 dispatches at once")
	fs.StringVar(&f.preferred, "preferred-batch", "", "serving: batch sizes the batcher prefers to form, e.g. 8,16,32 (Triton's preferred_batch_size); each instance also prepares them, so a smaller batch runs padded in the smallest that holds it")
	fs.IntVar(&f.queueLimit, "queue-limit", 0, "serving: the most queued requests (0 = unbounded); requests arriving at a full queue are rejected and counted")
	fs.IntVar(&f.requestSize, "request-size", 1, "serving: samples in one request")
	fs.IntVar(&f.instances, "instances", 1, "serving: executors of the model serving the queue (on the CPU the threads are split between them; cuda:all deals them over the GPUs)")
	return f
}

// spec reads the flags; nil when the arrival is closed (and then no other
// serving flag may be given).
func (f *servingFlags) spec(fs *flag.FlagSet, slo string) (*session.ServingSpec, error) {
	a, err := serve.ParseArrival(f.arrival)
	if err != nil {
		return nil, fmt.Errorf("--arrival: %w", err)
	}
	if !a.Serving() {
		for _, name := range []string{"max-delay", "preferred-batch", "queue-limit", "request-size", "instances"} {
			if flagSet(fs, name) {
				return nil, fmt.Errorf("--%s is a serving setting: give --arrival poisson:RATE, constant:RATE or clients:N with it", name)
			}
		}
		return nil, nil
	}
	s := &session.ServingSpec{Arrival: a, Instances: f.instances}
	if s.Policy.MaxDelay, err = parseDuration("max-delay", f.maxDelay, false); err != nil {
		return nil, err
	}
	if s.Policy.Preferred, err = serve.ParseSizes(f.preferred); err != nil {
		return nil, fmt.Errorf("--preferred-batch: %w", err)
	}
	switch {
	case f.queueLimit < 0:
		return nil, fmt.Errorf("--queue-limit %d: 0 (unbounded) or a number of requests", f.queueLimit)
	case f.requestSize < 1:
		return nil, fmt.Errorf("--request-size %d: at least 1 sample", f.requestSize)
	case f.instances < 1 || f.instances > runner.MaxInstances:
		return nil, fmt.Errorf("--instances %d: from 1 to %d", f.instances, runner.MaxInstances)
	}
	s.Policy.QueueLimit, s.Policy.RequestSize = f.queueLimit, f.requestSize
	if slo != "" {
		if s.SLOP99, err = parseDuration("slo-p99", slo, true); err != nil {
			return nil, err
		}
	}
	return s, nil
}
