package benchkit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cell(v float64) Cell {
	return Cell{Value: v, Min: v, Max: v, Runs: 3}
}

func TestNewCell(t *testing.T) {
	t.Parallel()
	c := NewCell([]float64{3, 1, 2}, 1)
	assert.Equal(t, Cell{Value: 2, Min: 1, Max: 3, Runs: 3, Failed: 1}, c)
	assert.True(t, c.Valid())

	empty := NewCell(nil, 3)
	assert.False(t, empty.Valid())
	assert.Equal(t, 3, empty.Failed)
}

func TestRowVerdictMinRatio(t *testing.T) {
	t.Parallel()
	r := Row{HigherIsBetter: true, XK6: cell(250), Stock: cell(100), Target: Target{MinRatio: 2}}
	has, met := r.Verdict()
	assert.True(t, has)
	assert.True(t, met)

	r.XK6 = cell(150)
	_, met = r.Verdict()
	assert.False(t, met)

	r.XK6 = Cell{Failed: 3}
	_, met = r.Verdict()
	assert.False(t, met, "a target without medians is not met")
}

func TestRowVerdictLowerIsBetter(t *testing.T) {
	t.Parallel()
	r := Row{XK6: cell(20), Stock: cell(60), Target: Target{MinRatio: 2}} // 60/20 = 3
	_, met := r.Verdict()
	assert.True(t, met)
	ratio, ok := r.Ratio()
	require.True(t, ok)
	assert.InDelta(t, 3.0, ratio, 1e-12)
}

func TestRowVerdictBelow(t *testing.T) {
	t.Parallel()
	r := Row{XK6: cell(99.5), Stock: cell(4000), Target: Target{BelowXK6: 100}}
	_, met := r.Verdict()
	assert.True(t, met)
	r.XK6 = cell(100)
	_, met = r.Verdict()
	assert.False(t, met)

	has, _ := Row{XK6: cell(1), Stock: cell(1)}.Verdict()
	assert.False(t, has)
}

func TestRowOfCeiling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		higherIsBetter bool
		xk6, ceiling   Cell
		want           float64
		ok             bool
	}{
		{"throughput below the ceiling", true, cell(90), cell(100), 0.9, true},
		{"CPU above the ceiling", false, cell(2), cell(1), 0.5, true},
		{"no ceiling run", true, cell(90), Cell{Failed: 1}, 0, false},
		{"no xk6-ws run", true, Cell{}, cell(100), 0, false},
	}
	for _, c := range cases {
		r := Row{HigherIsBetter: c.higherIsBetter, XK6: c.xk6, Ceiling: c.ceiling}
		got, ok := r.OfCeiling()
		assert.Equal(t, c.ok, ok, c.name)
		assert.InDelta(t, c.want, got, 1e-12, c.name)
	}
}

func TestRowVerdictMinOfCeiling(t *testing.T) {
	t.Parallel()
	r := Row{HigherIsBetter: true, XK6: cell(90), Stock: cell(50), Ceiling: cell(100),
		Target: Target{MinRatio: 1.2, MinOfCeiling: 0.9}}
	has, met := r.Verdict()
	assert.True(t, has)
	assert.True(t, met)
	assert.Equal(t, "≥ 1.2×, ≥ 0.9 of ceiling ✓", r.Cells()[7])

	r.Ceiling = cell(101)
	_, met = r.Verdict()
	assert.False(t, met, "0.89 of the ceiling misses 0.9")

	r.Ceiling = Cell{Failed: 3}
	_, met = r.Verdict()
	assert.False(t, met, "a ceiling target without a ceiling median is not met")
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{
		0: "0.00", 1.234: "1.23", 12.34: "12.3", 999.94: "999.9", 1000: "1,000",
		1234567.8: "1,234,568", -4321: "-4,321", 123456: "123,456",
	}
	for in, want := range cases {
		assert.Equal(t, want, FormatNumber(in), "FormatNumber(%g)", in)
	}
}

func TestFormatCell(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "n/a", FormatCell(Cell{}))
	assert.Equal(t, "n/a (2 failed)", FormatCell(Cell{Failed: 2}))
	assert.Equal(t, "1,500 (1 failed)", FormatCell(Cell{Value: 1500, Min: 1500, Max: 1500, Runs: 1, Failed: 1}))
	assert.Equal(t, "1,500 (1,200–1,800) (1 failed)",
		FormatCell(Cell{Value: 1500, Min: 1200, Max: 1800, Runs: 3, Failed: 1}))
	assert.Equal(t, "2.50 (2.00–3.00)", FormatCell(NewCell([]float64{3, 2, 2.5}, 0)))
}

func sampleRows() []Row {
	return []Row{
		{
			Scenario: "echo (k6/ws)", Figure: "round trips/s", Unit: "1/s", HigherIsBetter: true,
			XK6: cell(90000), Stock: cell(40000), Ceiling: cell(100000), Target: Target{MinRatio: 2},
		},
		{
			Scenario: "flood (k6/ws)", Figure: "peak RSS", Unit: "MB",
			XK6: cell(50), Stock: cell(400), Ceiling: cell(8), Target: Target{BelowXK6: 100},
		},
		{Scenario: "churn (k6/ws)", Figure: "ws_connecting p95", Unit: "ms", XK6: cell(2), Stock: Cell{Failed: 3}},
	}
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	require.NoError(t, WriteMarkdown(&b, sampleRows()))
	want := "| scenario | figure | xk6-ws median (min–max) | stock median (min–max) | ratio | ceiling median (min–max) | of ceiling | target |\n" +
		"| --- | --- | --- | --- | --- | --- | --- | --- |\n" +
		"| echo (k6/ws) | round trips/s (1/s) ↑ | 90,000 (90,000–90,000) | 40,000 (40,000–40,000) | 2.25× (xk6/stock) | " +
		"100,000 (100,000–100,000) | 0.90 | ≥ 2× ✓ |\n" +
		"| flood (k6/ws) | peak RSS (MB) ↓ | 50.0 (50.0–50.0) | 400.0 (400.0–400.0) | 8.00× (stock/xk6) | 8.00 (8.00–8.00) | 0.16 | < 100 MB ✓ |\n" +
		"| churn (k6/ws) | ws_connecting p95 (ms) ↓ | 2.00 (2.00–2.00) | n/a (3 failed) | n/a | n/a | n/a |  |\n"
	assert.Equal(t, want, b.String())
}

func TestWriteTextAligns(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	require.NoError(t, WriteText(&b, sampleRows()))
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	header := []rune(lines[0])
	at := strings.Index(lines[0], "xk6-ws median")
	require.Positive(t, at)
	col := len([]rune(lines[0][:at]))
	assert.Equal(t, ' ', header[col-1])
	for _, line := range lines[1:] {
		runes := []rune(line)
		assert.Equal(t, ' ', runes[col-1], "a gap must precede the xk6-ws column: %q", line)
		assert.NotEqual(t, ' ', runes[col], "xk6-ws medians must start under their header: %q", line)
	}
	assert.Contains(t, lines[1], "90,000")
}
