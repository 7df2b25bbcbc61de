package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// maxPointLine bounds one line of k6's JSON output; a sample with every
// system tag is well under 4 KiB.
const maxPointLine = 1 << 20

// Point is one metric sample from k6's JSON output (`--out json`), a line of
// type "Point".
type Point struct {
	// Metric is the metric's name, such as "ws_msgs_sent".
	Metric string
	// Time is when the sample was taken.
	Time time.Time
	// Value is the sample's value: 1 (or more, for coalesced counters)
	// for a counter, milliseconds for a time trend.
	Value float64
	// Tags are the sample's tags, such as "url", "status", "group".
	Tags map[string]string
	// Metadata is the sample's metadata, such as "vu" and "iter" when k6
	// is asked for them; nil if there is none.
	Metadata map[string]string
}

// jsonLine is one line of k6's JSON output. Lines of type "Metric" describe
// a metric and are skipped.
type jsonLine struct {
	Type   string `json:"type"`
	Metric string `json:"metric"`
	Data   struct {
		Time     time.Time         `json:"time"`
		Value    float64           `json:"value"`
		Tags     map[string]string `json:"tags"`
		Metadata map[string]string `json:"metadata"`
	} `json:"data"`
}

// parsePoints reads the samples of a k6 JSON output, in file order.
func parsePoints(r io.Reader) ([]Point, error) {
	var points []Point
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), maxPointLine)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := bytes.TrimSpace(scanner.Bytes())
		if len(line) == 0 {
			continue
		}
		var l jsonLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, fmt.Errorf("decoding line %d of the k6 JSON output: %w", lineNo, err)
		}
		if l.Type != "Point" {
			continue
		}
		points = append(points, Point{
			Metric:   l.Metric,
			Time:     l.Data.Time,
			Value:    l.Data.Value,
			Tags:     l.Data.Tags,
			Metadata: l.Data.Metadata,
		})
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading the k6 JSON output: %w", err)
	}
	return points, nil
}

// SumPoints adds up the values of the samples of metric whose tags filter
// accepts (every sample of metric when filter is nil). For a counter that
// is the metric's total, however the samples were batched.
func SumPoints(points []Point, metric string, filter func(tags map[string]string) bool) float64 {
	var sum float64
	for _, p := range points {
		if p.Metric == metric && (filter == nil || filter(p.Tags)) {
			sum += p.Value
		}
	}
	return sum
}

// CountPoints counts the samples of metric whose tags filter accepts (every
// sample of metric when filter is nil).
func CountPoints(points []Point, metric string, filter func(tags map[string]string) bool) int {
	n := 0
	for _, p := range points {
		if p.Metric == metric && (filter == nil || filter(p.Tags)) {
			n++
		}
	}
	return n
}

// HasTags returns a filter for SumPoints and CountPoints that accepts the
// samples carrying every tag of want with the same value.
func HasTags(want map[string]string) func(tags map[string]string) bool {
	return func(tags map[string]string) bool {
		for k, v := range want {
			if got, ok := tags[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
}
