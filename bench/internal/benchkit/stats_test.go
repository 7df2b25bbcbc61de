package benchkit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		in   []float64
		want float64
	}{
		"single":          {[]float64{7}, 7},
		"odd unsorted":    {[]float64{9, 1, 5}, 5},
		"even midpoint":   {[]float64{4, 1, 3, 2}, 2.5},
		"outlier ignored": {[]float64{10, 11, 1e9}, 11},
		"negative":        {[]float64{-3, -1, -2}, -2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Median(tc.in)
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-12)
		})
	}
}

func TestMedianLeavesInputUnsorted(t *testing.T) {
	t.Parallel()
	in := []float64{3, 1, 2}
	_, err := Median(in)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 1, 2}, in)
}

func TestMedianRejectsEmptyAndNaN(t *testing.T) {
	t.Parallel()
	_, err := Median(nil)
	require.ErrorIs(t, err, ErrNoValues)
	_, err = Median([]float64{1, math.NaN()})
	require.ErrorContains(t, err, "NaN")
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	values := []float64{50, 10, 40, 20, 30} // sorted: 10 20 30 40 50
	cases := map[float64]float64{0: 10, 50: 30, 100: 50, 95: 48, 90: 46, 25: 20}
	for p, want := range cases {
		got, err := Percentile(values, p)
		require.NoError(t, err)
		assert.InDelta(t, want, got, 1e-9, "p(%g)", p)
	}
}

func TestPercentileRejectsBadInput(t *testing.T) {
	t.Parallel()
	_, err := Percentile(nil, 95)
	require.ErrorIs(t, err, ErrNoValues)
	_, err = Percentile([]float64{1}, 101)
	require.ErrorContains(t, err, "between 0 and 100")
	_, err = Percentile([]float64{1}, -1)
	require.ErrorContains(t, err, "between 0 and 100")
	_, err = Percentile([]float64{math.NaN()}, 50)
	require.ErrorContains(t, err, "NaN")
}

func TestRatioFavoursXK6AboveOne(t *testing.T) {
	t.Parallel()
	faster, err := Ratio(300, 100, true) // throughput: 3x more is better
	require.NoError(t, err)
	assert.InDelta(t, 3.0, faster, 1e-12)

	leaner, err := Ratio(25, 100, false) // memory: a quarter is better
	require.NoError(t, err)
	assert.InDelta(t, 4.0, leaner, 1e-12)

	assert.Equal(t, "xk6/stock", RatioLabel(true))
	assert.Equal(t, "stock/xk6", RatioLabel(false))
}

func TestRatioRejectsZeroDenominator(t *testing.T) {
	t.Parallel()
	_, err := Ratio(10, 0, true)
	require.ErrorContains(t, err, "positive denominator")
	_, err = Ratio(0, 10, false)
	require.ErrorContains(t, err, "positive denominator")
	_, err = Ratio(-1, 10, true)
	require.ErrorContains(t, err, "non-negative numerator")
}
