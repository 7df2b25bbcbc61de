package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// Summary is k6's end-of-test summary as written by --summary-export.
type Summary struct {
	// Metrics maps a metric name to its values as k6 exported them: numbers
	// ("count", "rate", "avg", "p(95)", "passes", ...) and, for a metric
	// with thresholds, "thresholds". Use Metric and Thresholds to read them.
	Metrics map[string]map[string]json.RawMessage `json:"metrics"`
	// RootGroup is the script's root group, with its checks and sub-groups.
	RootGroup Group `json:"root_group"`
}

// Group is one group of the summary (group() in a script).
type Group struct {
	Name   string           `json:"name"`
	Path   string           `json:"path"`
	Groups map[string]Group `json:"groups"`
	Checks map[string]Check `json:"checks"`
}

// Check is the tally of one check() condition.
type Check struct {
	// Name is the check's name in the script.
	Name string `json:"name"`
	// Path is "::" followed by the group names and the check's name, each
	// followed by "::" but the last: "::status is 101" in the root group.
	Path   string `json:"path"`
	Passes int    `json:"passes"`
	Fails  int    `json:"fails"`
}

// parseSummary decodes a --summary-export file.
func parseSummary(data []byte) (Summary, error) {
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return Summary{}, fmt.Errorf("decoding the k6 summary export: %w", err)
	}
	return s, nil
}

// Metric returns the numeric values k6 reported for the metric name, keyed as
// in the export: "count" and "rate" for counters, "avg", "min", "med",
// "max", "p(90)", "p(95)" for trends, "value", "min", "max" for gauges,
// "passes", "fails", "value" for rates. It returns nil when k6 reported no
// sample of that metric.
func (s Summary) Metric(name string) map[string]float64 {
	raw, ok := s.Metrics[name]
	if !ok {
		return nil
	}
	values := make(map[string]float64, len(raw))
	for key, value := range raw {
		var f float64
		if json.Unmarshal(value, &f) == nil {
			values[key] = f
		}
	}
	return values
}

// Thresholds returns the thresholds of the metric name, from their source
// (such as "count==3") to whether they failed. It returns nil when the
// metric has no threshold.
func (s Summary) Thresholds(name string) (map[string]bool, error) {
	raw, ok := s.Metrics[name]["thresholds"]
	if !ok {
		return nil, nil
	}
	var failed map[string]bool
	if err := json.Unmarshal(raw, &failed); err != nil {
		return nil, fmt.Errorf("decoding the thresholds of %s: %w", name, err)
	}
	return failed, nil
}

// timeBound matches the source of a threshold that bounds a time from
// above: "p(95)<500", "avg<100", "med<=50", "max<1000".
var timeBound = regexp.MustCompile(`^\s*(p\([0-9.]+\)|avg|med|max)\s*<`)

// FailedThresholds returns the thresholds that failed, as "metric: source",
// split into upper bounds of a time (see timeBound) and the others. A
// threshold given as an object ({threshold: ...}) is exported by its source
// too.
func (s Summary) FailedThresholds() (timeBounds, others []string) {
	for name := range s.Metrics {
		thresholds, err := s.Thresholds(name)
		if err != nil {
			others = append(others, err.Error())
			continue
		}
		for source, failed := range thresholds {
			switch {
			case !failed:
			case timeBound.MatchString(source):
				timeBounds = append(timeBounds, name+": "+source)
			default:
				others = append(others, name+": "+source)
			}
		}
	}
	sort.Strings(timeBounds)
	sort.Strings(others)
	return timeBounds, others
}

// Checks returns every check of every group, sorted by path.
func (s Summary) Checks() []Check {
	var checks []Check
	var walk func(g Group)
	walk = func(g Group) {
		for _, c := range g.Checks {
			checks = append(checks, c)
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(s.RootGroup)
	sort.Slice(checks, func(i, j int) bool { return checks[i].Path < checks[j].Path })
	return checks
}
