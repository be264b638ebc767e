package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/atomicfile"
	"infertop/model"
	"infertop/report"
	"infertop/runner"
	"infertop/serve"
	"infertop/session"
	"infertop/sweep"
)

// A serving search's defaults: a small grid and short points, so that a
// search of a preset on a 2-core CPU takes a minute or two.
const (
	serveMaxBatches = "1,8,32"
	serveMaxDelays  = "0,2ms"
	serveWarmup     = 500 * time.Millisecond
	serveWindow     = 500 * time.Millisecond
	serveMaxTime    = 5 * time.Second
)

// serveSearchUsage is the help text's paragraph about the serving search.
const serveSearchUsage = `

Serving search (--arrival poisson or constant, without a rate; --slo-p99 required): for each configuration
of the dynamic batcher (every --max-batch × --max-delay × --instances), a closed-loop run measures its
capacity, then the request rate is bisected between a rate that meets the p99 SLO and one that does not
(saturated, rejecting, or p99 above it) to within 3 %, each point until stable or --max-time. It prints
the best rate of each configuration, recommends one, and writes it as a Triton config.pbtxt fragment;
--plot draws p99 against the rate. Defaults: --max-batch 1,8,32, --max-delay 0,2ms, --instances 1,
--warmup 500ms, --window 500ms, --max-time 5s. For example:
  infertop sweep --preset mlp --arrival poisson --slo-p99 20ms --max-batch 1,8,32 --max-delay 0,2ms --instances 1,2 --plot serve.svg`

// serveSweepFlags are the serving search's flags beside sweep's own;
// --max-batch, shared with the batch sweep, is a list here.
type serveSweepFlags struct {
	arrival, maxDelays, instances, preferred string
	queueLimit, requestSize, maxPoints       int
}

func addServeSweepFlags(fs *flag.FlagSet) *serveSweepFlags {
	f := &serveSweepFlags{}
	fs.StringVar(&f.arrival, "arrival", "closed", "closed: a batch sweep (batches back to back); poisson or constant, without a rate: a serving search for the highest request rate meeting --slo-p99")
	fs.StringVar(&f.maxDelays, "max-delay", serveMaxDelays, "serving search: max queue delays to try, e.g. 0,1ms,5ms (Triton's max_queue_delay)")
	fs.StringVar(&f.instances, "instances", "1", "serving search: instance counts to try, e.g. 1,2 (on the CPU each splits the threads between its instances)")
	fs.StringVar(&f.preferred, "preferred-batch", "", "serving search: batch sizes the batcher prefers, e.g. 4,8 (Triton's preferred_batch_size; those above a configuration's max batch are left out)")
	fs.IntVar(&f.queueLimit, "queue-limit", 0, "serving search: the most queued requests (0 = unbounded); a point whose full queue rejects a request fails")
	fs.IntVar(&f.requestSize, "request-size", 1, "serving search: samples in one request")
	fs.IntVar(&f.maxPoints, "max-points", sweep.DefaultServePoints, "serving search: the most request rates tried per configuration")
	return f
}

// searchArrival reads sweep's --arrival: closed, or the open-loop kind
// whose rate the search finds.
func (f *serveSweepFlags) searchArrival() (serve.ArrivalKind, error) {
	name, rate, hasRate := strings.Cut(strings.TrimSpace(f.arrival), ":")
	switch strings.ToLower(name) {
	case "closed":
		if !hasRate {
			return serve.Closed, nil
		}
	case "poisson", "constant":
		if hasRate {
			return 0, fmt.Errorf("--arrival %s: the serving search finds the rate; give %s without one (%s:%s is for bench and the dashboard)",
				f.arrival, name, name, rate)
		}
		if strings.EqualFold(name, "constant") {
			return serve.Constant, nil
		}
		return serve.Poisson, nil
	}
	return 0, fmt.Errorf("--arrival %q: accepted in sweep: closed (a batch sweep), poisson or constant (a serving search, without a rate)", f.arrival)
}

// closedOnly refuses serving-search flags in a batch sweep.
func (f *serveSweepFlags) closedOnly(fs *flag.FlagSet) error {
	for _, name := range []string{"max-delay", "instances", "preferred-batch", "queue-limit", "request-size", "max-points"} {
		if flagSet(fs, name) {
			return fmt.Errorf("--%s is a serving search setting: give --arrival poisson and --slo-p99 with it", name)
		}
	}
	return nil
}

// serveSweepPlan is a validated serving search command line.
type serveSweepPlan struct {
	spec       session.ServeSweepSpec
	format     string
	out, plot  *atomicfile.File
	plotFormat string
	outputs    session.Outputs
	dims       map[string]int
}

// parseServeSweep reads the serving search's settings; common holds what
// sweep's own flags already gave (model, device, threads, measurement, SLO).
func parseServeSweep(fs *flag.FlagSet, f *serveSweepFlags, kind serve.ArrivalKind, maxBatches string, mod *model.Model, common *sweepPlan) (*serveSweepPlan, error) {
	for _, name := range []string{"batches", "mem-limit", "baseline"} {
		if flagSet(fs, name) {
			return nil, fmt.Errorf("--%s applies to a batch sweep, not a serving search (--arrival %s)", name, kind)
		}
	}
	s := common.spec
	if s.SLOP99 <= 0 {
		return nil, fmt.Errorf("--arrival %s searches the highest request rate that meets a p99 objective: give --slo-p99, e.g. --slo-p99 20ms", kind)
	}
	p := &serveSweepPlan{format: common.format, outputs: common.outputs, dims: common.dims,
		spec: session.ServeSweepSpec{Catalog: s.Catalog, Model: s.Model, Device: s.Device, Threads: s.Threads, Precision: s.Precision,
			Warmup: s.Warmup, Window: s.Window, MaxTime: s.MaxTime, MaxPoints: f.maxPoints}}
	for name, d := range map[string]*time.Duration{"warmup": &p.spec.Warmup, "window": &p.spec.Window, "max-time": &p.spec.MaxTime} {
		if !flagSet(fs, name) {
			*d = map[string]time.Duration{"warmup": serveWarmup, "window": serveWindow, "max-time": serveMaxTime}[name]
		}
	}
	switch {
	case f.requestSize < 1:
		return nil, fmt.Errorf("--request-size %d: at least 1 sample", f.requestSize)
	case f.queueLimit < 0:
		return nil, fmt.Errorf("--queue-limit %d: 0 (unbounded) or a number of requests", f.queueLimit)
	case f.maxPoints < 1 || f.maxPoints > 30:
		return nil, fmt.Errorf("--max-points %d: from 1 to 30 rates per configuration", f.maxPoints)
	}
	preferred, err := serve.ParseSizes(f.preferred)
	if err != nil {
		return nil, fmt.Errorf("--preferred-batch: %w", err)
	}
	p.spec.Serving = session.ServingSpec{Arrival: serve.Arrival{Kind: kind}, SLOP99: s.SLOP99,
		Policy: serve.Policy{RequestSize: f.requestSize, QueueLimit: f.queueLimit, Preferred: preferred}}
	g := &p.spec.Grid
	if g.MaxBatches, err = serveMaxBatchList(maxBatches, f.requestSize, mod); err != nil {
		return nil, err
	}
	if g.MaxDelays, err = parseDurationList("max-delay", f.maxDelays); err != nil {
		return nil, err
	}
	if g.Instances, err = parseCountList("instances", f.instances, runner.MaxInstances); err != nil {
		return nil, err
	}
	if err := session.CheckServeGrid(p.spec.Serving, *g, mod); err != nil {
		return nil, err
	}
	return p, nil
}

// serveMaxBatchList reads --max-batch as a list; by default 1,8,32 from
// the request size up (the file's batch for a fixed-batch export).
func serveMaxBatchList(s string, requestSize int, mod *model.Model) ([]int, error) {
	if s != "" {
		b, err := serve.ParseSizes(s)
		if err != nil {
			return nil, fmt.Errorf("--max-batch: %w", err)
		}
		return b, nil
	}
	if fb := mod.FixedBatch(); fb > 0 {
		return []int{fb}, nil
	}
	var out []int
	for _, b := range []int{1, 8, 32} {
		if b >= requestSize {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		out = []int{requestSize}
	}
	return out, nil
}

// parseDurationList reads a comma-separated list of durations, zero allowed.
func parseDurationList(flag, s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "0" {
			f = "0s"
		}
		d, err := parseDuration(flag, f, false)
		if err != nil {
			return nil, fmt.Errorf("%w; a list such as 0,1ms,5ms", err)
		}
		if d > serve.MaxDelayLimit {
			return nil, fmt.Errorf("--%s %s: at most %s", flag, d, serve.MaxDelayLimit)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseCountList reads a comma-separated list of counts from 1 to most.
func parseCountList(flag, s string, most int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > most {
			return nil, fmt.Errorf("--%s %q: whole numbers from 1 to %d separated by commas, e.g. 1,2", flag, s, most)
		}
		out = append(out, n)
	}
	return out, nil
}

// serveSweepMain runs a serving search and writes what it found.
func serveSweepMain(ctx context.Context, env Env, plan *serveSweepPlan, m session.Machine) (code int) {
	defer abortFiles(plan.out, plan.plot)
	sw, err := m.NewServeSweep(plan.spec)
	if err != nil {
		return failed(env, "sweep", err)
	}
	spec := plan.spec
	g := spec.Grid
	gridLabel := fmt.Sprintf("max batch %s × max delay %s × instances %s", serve.FormatSizes(g.MaxBatches), durations(g.MaxDelays),
		serve.FormatSizes(g.Instances))
	obs, err := m.Observe(ctx, "sweep", plan.outputs, map[string]any{"model": spec.Model, "device": spec.Device.String(),
		"arrival": spec.Serving.Arrival.Kind.String(), "grid": gridLabel, "slo_p99": spec.Serving.SLOP99.String()})
	if err != nil {
		return failed(env, "sweep", err)
	}
	serving(env, "sweep", obs.Metrics)
	defer func() {
		if !closed(env, "sweep", obs.Close()) && code == ExitOK {
			code = ExitFailure
		}
	}()
	info := engine.Info{Device: spec.Device.String()}
	sw.Prober.OnSnapshot = func(s runner.Snapshot) {
		obs.Snapshot(s)
		if s.Info.Engine != "" {
			info = s.Info
		}
	}
	fmt.Fprintf(env.Stderr, "serving search of %s on %s: %s (%s), at most %s (a capacity run and up to %s each), each until stable or %s\n",
		spec.Model, spec.Device, report.Plural(len(sw.Search.Settings()), "configuration"), gridLabel,
		report.Plural(sw.Search.EstimatePoints(), "run"), report.Plural(spec.MaxPoints, "rate"), spec.MaxTime)
	printed := map[int]int{}
	sw.Search.Progress = func(r sweep.ServeResult, status string) {
		for i, c := range r.Configs {
			if _, ok := printed[i]; !ok && c.CapacityRPS > 0 {
				fmt.Fprintf(env.Stderr, "  %s\n", report.ServeCapacityLine(c))
				printed[i] = 0
			}
			for ; printed[i] < len(c.Points); printed[i]++ {
				fmt.Fprintf(env.Stderr, "  %s\n", report.ServePointLine(c.ServeSetting, c.Points[printed[i]]))
			}
		}
		if status != "" {
			fmt.Fprintf(env.Stderr, "%s…\n", status)
		}
	}
	start := time.Now()
	res, runErr := sw.Run(ctx)
	opts := map[string]any{"grid": gridLabel, "slo_p99": spec.Serving.SLOP99.String(), "threads": spec.Threads, "precision": spec.Precision.String(),
		"warmup": spec.Warmup.String(), "window": spec.Window.String(), "max_time": spec.MaxTime.String(), "max_points": spec.MaxPoints}
	for k, v := range spec.Serving.Describe() {
		opts[k] = v
	}
	delete(opts, "max_delay") // a list here, in grid
	delete(opts, "instances")
	opts["arrival"] = spec.Serving.Arrival.Kind.String() // its rate is what was searched
	if len(plan.dims) > 0 {
		opts["dims"] = plan.dims
	}
	doc := report.ServeSweepDoc{Meta: report.NewMeta(Version, info, spec.Model, opts, start, m.CPUInfo), Search: res,
		Triton: report.TritonConfig(res, spec.Model, spec.Device.String(), sw.GPUs)}
	measured := 0
	for _, c := range res.Configs {
		measured += len(c.Points)
	}
	code = writeReport(env, "sweep", plan.out, func(w io.Writer) error { return report.WriteServeSweep(w, plan.format, doc) },
		plan.plot, measured > 0, func() error {
			return report.WriteServeSweepPlot(plan.plot, plan.plotFormat, fmt.Sprintf("%s on %s", spec.Model, spec.Device), res)
		})
	switch {
	case runErr != nil:
		for _, line := range strings.Split(runErr.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "infertop sweep: %s\n", line)
		}
		return ExitFailure
	case res.Interrupted:
		fmt.Fprintf(env.Stderr, "infertop sweep: interrupted; wrote the %d measured rate(s)\n", measured)
		return ExitInterrupted
	}
	return code
}

// durations writes a delay list as --max-delay takes it.
func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// parseServeSweepLine finishes parseSweep for a serving search: the
// common flags, the search's own, then the result files.
func parseServeSweepLine(fs *flag.FlagSet, sf *serveSweepFlags, kind serve.ArrivalKind, maxBatches string, mod *model.Model,
	plan sweepPlan, c sweepCommon, m session.Machine, fail func(string, ...any) (sweepPlan, int, bool)) (sweepPlan, int, bool) {
	if err := c.apply(fs, &plan.spec, m); err != nil {
		return fail("%v", err)
	}
	sp, err := parseServeSweep(fs, sf, kind, maxBatches, mod, &plan)
	if err != nil {
		return fail("%v", err)
	}
	if sp.out, sp.plot, sp.plotFormat, err = openReportFiles(c.output, c.plot, plan.outputs); err != nil {
		return fail("%v", err)
	}
	plan.serve = sp
	return plan, 0, true
}
