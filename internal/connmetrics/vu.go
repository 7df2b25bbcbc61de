package connmetrics

import (
	"fmt"

	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/wstrace"
	"github.com/loadkit/xk6-ws/metrics"
)

// VU is what a module's instance in one VU registers and reads as the script
// imports it: the metrics of failed sessions and of correlated requests,
// beyond k6's built-in ones, and what K6_WS_DEBUG asks to trace. Without an
// init environment (a VU made outside of k6's init) it is empty: failures
// are not counted, nothing is traced and params.correlate throws.
type VU struct {
	Failures *metrics.Failures
	Requests *metrics.RequestMetrics
	Trace    wstrace.Mode
}

// ForVU registers the metrics of VU in env's registry, where they may
// already be (every VU registers them), and reads K6_WS_DEBUG from env.
func ForVU(env *common.InitEnvironment) (VU, error) {
	if env == nil || env.Registry == nil {
		return VU{}, nil
	}
	failures, err := metrics.RegisterFailures(env.Registry)
	if err != nil {
		return VU{}, err
	}
	requests, err := metrics.RegisterRequestMetrics(env.Registry)
	if err != nil {
		return VU{}, fmt.Errorf("registering the metrics of params.correlate: %w", err)
	}
	return VU{Failures: failures, Requests: requests, Trace: wstrace.ModeOf(env.LookupEnv)}, nil
}
