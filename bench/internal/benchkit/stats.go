package benchkit

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoValues is returned when a statistic is asked of an empty sample.
var ErrNoValues = errors.New("no values")

// Median returns the median of values: the middle value, or the midpoint of
// the two middle values for an even count. NaN values are rejected.
func Median(values []float64) (float64, error) {
	if len(values) == 0 {
		return 0, fmt.Errorf("median: %w", ErrNoValues)
	}
	sorted, err := sortedCopy(values)
	if err != nil {
		return 0, fmt.Errorf("median: %w", err)
	}
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid], nil
	}
	return (sorted[mid-1] + sorted[mid]) / 2, nil
}

// Ratio says how much better xk6 is than stock, so that a value above 1
// always favours xk6-ws: xk6/stock when higher is better (throughput),
// stock/xk6 when lower is better (CPU, memory, latency).
func Ratio(xk6, stock float64, higherIsBetter bool) (float64, error) {
	num, den := xk6, stock
	if !higherIsBetter {
		num, den = stock, xk6
	}
	if den <= 0 || num < 0 {
		return 0, fmt.Errorf("ratio: need a positive denominator and a non-negative numerator, got %g/%g", num, den)
	}
	return num / den, nil
}

// RatioLabel names the direction Ratio used, for the table.
func RatioLabel(higherIsBetter bool) string {
	if higherIsBetter {
		return "xk6/stock"
	}
	return "stock/xk6"
}

// Percentile returns the p-th percentile (0 to 100) of values, interpolating
// linearly between the two nearest ranks, as k6 does for p(N) trend stats.
func Percentile(values []float64, p float64) (float64, error) {
	if len(values) == 0 {
		return 0, fmt.Errorf("percentile: %w", ErrNoValues)
	}
	if math.IsNaN(p) || p < 0 || p > 100 {
		return 0, fmt.Errorf("percentile: p must be between 0 and 100, got %g", p)
	}
	sorted, err := sortedCopy(values)
	if err != nil {
		return 0, fmt.Errorf("percentile: %w", err)
	}
	rank := p / 100 * float64(len(sorted)-1)
	lower := int(math.Floor(rank))
	upper := int(math.Ceil(rank))
	frac := rank - float64(lower)
	return sorted[lower] + frac*(sorted[upper]-sorted[lower]), nil
}

// sortedCopy sorts a copy of values, refusing NaN, which has no rank.
func sortedCopy(values []float64) ([]float64, error) {
	sorted := slices.Clone(values)
	for _, v := range sorted {
		if math.IsNaN(v) {
			return nil, errors.New("values must not be NaN")
		}
	}
	slices.Sort(sorted)
	return sorted, nil
}
