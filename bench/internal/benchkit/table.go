package benchkit

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Cell is one median in the table, with the spread of the runs it came from.
type Cell struct {
	// Value is the median of the successful runs.
	Value float64 `json:"median"`
	// Min and Max are the smallest and largest of those runs.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Runs counts the successful runs; 0 means Value is meaningless.
	Runs int `json:"runs"`
	// Failed counts the runs that failed (void runs included) and were left out.
	Failed int `json:"failed"`
}

// NewCell takes the median, minimum and maximum of values; failed runs are
// only counted.
func NewCell(values []float64, failed int) Cell {
	m, err := Median(values)
	if err != nil {
		return Cell{Failed: failed}
	}
	return Cell{Value: m, Min: slices.Min(values), Max: slices.Max(values), Runs: len(values), Failed: failed}
}

// Valid reports whether the cell holds a median.
func (c Cell) Valid() bool {
	return c.Runs > 0
}

// Target is a goal one figure must meet. The zero Target sets no goal.
type Target struct {
	// MinRatio, when above 0, requires Ratio(xk6, stock) >= MinRatio.
	MinRatio float64 `json:"min_ratio,omitempty"`
	// BelowXK6, when above 0, requires the xk6-ws median < BelowXK6, in the
	// figure's unit.
	BelowXK6 float64 `json:"below_xk6,omitempty"`
	// MinOfCeiling, when above 0, requires OfCeiling() >= MinOfCeiling.
	MinOfCeiling float64 `json:"min_of_ceiling,omitempty"`
}

// isSet reports whether the target sets any goal.
func (t Target) isSet() bool {
	return t.MinRatio > 0 || t.BelowXK6 > 0 || t.MinOfCeiling > 0
}

// Row is one figure of one scenario.
type Row struct {
	Scenario       string `json:"scenario"`
	Figure         string `json:"figure"`
	Unit           string `json:"unit"`
	HigherIsBetter bool   `json:"higher_is_better"`
	XK6            Cell   `json:"xk6"`
	Stock          Cell   `json:"stock"`
	Ceiling        Cell   `json:"ceiling"`
	Target         Target `json:"target"`
}

// Ratio is the row's xk6-vs-stock ratio (see Ratio) when both medians exist.
func (r Row) Ratio() (float64, bool) {
	if !r.XK6.Valid() || !r.Stock.Valid() {
		return 0, false
	}
	v, err := Ratio(r.XK6.Value, r.Stock.Value, r.HigherIsBetter)
	if err != nil {
		return 0, false
	}
	return v, true
}

// OfCeiling is how close xk6-ws comes to the plain Go ceiling, as a share
// that is 1 when they are equal and below 1 when the ceiling is better:
// xk6/ceiling for ↑ figures, ceiling/xk6 for ↓ ones.
func (r Row) OfCeiling() (float64, bool) {
	if !r.XK6.Valid() || !r.Ceiling.Valid() {
		return 0, false
	}
	v, err := Ratio(r.XK6.Value, r.Ceiling.Value, r.HigherIsBetter)
	if err != nil {
		return 0, false
	}
	return v, true
}

// Verdict says whether the row has a target and whether it is met. A target
// whose medians are missing counts as not met.
func (r Row) Verdict() (hasTarget, met bool) {
	t := r.Target
	if !t.isSet() {
		return false, false
	}
	met = true
	if t.MinRatio > 0 {
		ratio, ok := r.Ratio()
		met = ok && ratio >= t.MinRatio
	}
	if t.BelowXK6 > 0 {
		met = met && r.XK6.Valid() && r.XK6.Value < t.BelowXK6
	}
	if t.MinOfCeiling > 0 {
		share, ok := r.OfCeiling()
		met = met && ok && share >= t.MinOfCeiling
	}
	return true, met
}

// Header is the table's column titles.
var Header = []string{
	"scenario", "figure", "xk6-ws median (min–max)", "stock median (min–max)", "ratio",
	"ceiling median (min–max)", "of ceiling", "target",
}

// Cells renders the row in Header order.
func (r Row) Cells() []string {
	return []string{
		r.Scenario,
		r.figureLabel(),
		FormatCell(r.XK6),
		FormatCell(r.Stock),
		r.ratioText(),
		FormatCell(r.Ceiling),
		r.ofCeilingText(),
		r.targetText(),
	}
}

func (r Row) ofCeilingText() string {
	share, ok := r.OfCeiling()
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", share)
}

func (r Row) figureLabel() string {
	arrow := "↓"
	if r.HigherIsBetter {
		arrow = "↑"
	}
	return fmt.Sprintf("%s (%s) %s", r.Figure, r.Unit, arrow)
}

func (r Row) ratioText() string {
	ratio, ok := r.Ratio()
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f× (%s)", ratio, RatioLabel(r.HigherIsBetter))
}

func (r Row) targetText() string {
	hasTarget, met := r.Verdict()
	if !hasTarget {
		return ""
	}
	var goals []string
	if r.Target.MinRatio > 0 {
		goals = append(goals, fmt.Sprintf("≥ %g×", r.Target.MinRatio))
	}
	if r.Target.BelowXK6 > 0 {
		goals = append(goals, fmt.Sprintf("< %g %s", r.Target.BelowXK6, r.Unit))
	}
	if r.Target.MinOfCeiling > 0 {
		goals = append(goals, fmt.Sprintf("≥ %g of ceiling", r.Target.MinOfCeiling))
	}
	mark := "✗"
	if met {
		mark = "✓"
	}
	return strings.Join(goals, ", ") + " " + mark
}

// FormatCell renders a median with sensible precision, followed by the
// range of the runs when there were several, "n/a" when no run succeeded,
// and how many runs failed when some did.
func FormatCell(c Cell) string {
	text := "n/a"
	if c.Valid() {
		text = FormatNumber(c.Value)
	}
	if c.Runs > 1 {
		text += fmt.Sprintf(" (%s–%s)", FormatNumber(c.Min), FormatNumber(c.Max))
	}
	if c.Failed > 0 {
		text += fmt.Sprintf(" (%d failed)", c.Failed)
	}
	return text
}

// FormatNumber prints v with thousands separators above 1000, one decimal
// from 10 to 1000 and two below 10.
func FormatNumber(v float64) string {
	switch abs := math.Abs(v); {
	case abs >= 1000:
		return groupThousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case abs >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func groupThousands(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}

// WriteText prints rows as an aligned plain-text table.
func WriteText(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	lines := [][]string{Header}
	for i := range rows {
		lines = append(lines, rows[i].Cells())
	}
	for _, line := range lines {
		if _, err := fmt.Fprintln(tw, strings.Join(line, "\t")); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// WriteMarkdown prints rows as a Markdown table.
func WriteMarkdown(w io.Writer, rows []Row) error {
	sep := make([]string, len(Header))
	for i := range sep {
		sep[i] = "---"
	}
	lines := [][]string{Header, sep}
	for i := range rows {
		lines = append(lines, rows[i].Cells())
	}
	for _, line := range lines {
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(line, " | ")); err != nil {
			return fmt.Errorf("write markdown table: %w", err)
		}
	}
	return nil
}
