package metrics

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every series the Grafana dashboard in deploy/ queries is one
// docs/metrics.md documents (a histogram's _bucket series by its name), so
// a renamed metric cannot leave a panel empty unnoticed.
func TestDashboardQueriesDocumentedMetrics(t *testing.T) {
	dash, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	// A row names its metrics in its first cell: a full name, then others
	// by how they end ("`infertop_x_p50_seconds`, `_p99_seconds`").
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(infertop_[a-z0-9_]+)`((?:, `_[a-z0-9_]+`)*)").FindAllSubmatch(doc, -1) {
		first := string(m[1])
		documented[first] = true
		for _, e := range regexp.MustCompile("`(_[a-z0-9_]+)`").FindAllSubmatch(m[2], -1) {
			end := string(e[1])
			parts := strings.Count(end, "_")
			cut := len(first)
			for range parts {
				cut = strings.LastIndex(first[:cut], "_")
			}
			documented[first[:cut]+end] = true
		}
	}
	queried := regexp.MustCompile(`infertop_[a-z0-9_]+`).FindAll(dash, -1)
	if len(queried) == 0 {
		t.Fatal("the dashboard queries no infertop metric")
	}
	for _, q := range queried {
		name := strings.TrimSuffix(string(q), "_bucket")
		if !documented[name] {
			t.Errorf("the dashboard queries %s, which docs/metrics.md does not document", name)
		}
	}
	if !strings.Contains(string(dash), "infertop_relative_error_ratio") {
		t.Error("no panel shows a GPU run's accuracy (infertop_relative_error_ratio)")
	}
}
