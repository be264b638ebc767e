package cli

import (
	"flag"
	"fmt"
	"strings"

	"infertop/internal/atomicfile"
	"infertop/report"
)

// profilePair is compare --profile's two step profiles and where the diff goes.
type profilePair struct {
	aFile, bFile string
	a, b         report.ProfileExport
	out          *atomicfile.File
}

// parseProfilePair checks compare --profile's command line: two readable
// profiles, --format table or json, and no flag of a race.
func parseProfilePair(fs *flag.FlagSet, format, output string) (*profilePair, error) {
	var race []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "profile" && f.Name != "format" && f.Name != "output" {
			race = append(race, "--"+f.Name)
		}
	})
	if len(race) > 0 {
		return nil, fmt.Errorf("--profile diffs two profiles and races nothing: %s do not apply (accepted with it: --format table|json, --output FILE)", strings.Join(race, ", "))
	}
	if f := strings.ToLower(format); f != "table" && f != "json" {
		return nil, fmt.Errorf("--profile: unknown format %q (valid: table, json)", format)
	}
	if fs.NArg() != 2 {
		return nil, fmt.Errorf("--profile needs two profiles, A.json B.json (from bench --export-profile, or bench --format json --profile); got %d", fs.NArg())
	}
	p := &profilePair{aFile: fs.Arg(0), bFile: fs.Arg(1)}
	var err error
	if p.a, err = report.LoadProfile(p.aFile); err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	if p.b, err = report.LoadProfile(p.bFile); err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	if _, err := report.CompareProfiles(p.aFile, p.a, p.bFile, p.b); err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	if p.out, err = create("output", output); err != nil {
		return nil, err
	}
	return p, nil
}

// compareProfiles writes the diff of two step profiles.
func compareProfiles(env Env, plan comparePlan) int {
	p := plan.profiles
	diff, err := report.CompareProfiles(p.aFile, p.a, p.bFile, p.b)
	if err != nil { // checked while parsing
		fmt.Fprintf(env.Stderr, "infertop compare: --profile: %v\n", err)
		return ExitFailure
	}
	w := env.Stdout
	if p.out != nil {
		w = p.out
	}
	if err := report.WriteProfileDiff(w, plan.format, diff); err != nil {
		fmt.Fprintf(env.Stderr, "infertop compare: %v\n", err)
		return ExitFailure
	}
	if !commit(env, "compare", "output", p.out) {
		return ExitFailure
	}
	return ExitOK
}
