// Package wstest gives the modules' tests a k6 VU: a real JavaScript runtime
// and event loop from go.k6.io/k6/js/modulestest with a lib.State whose
// dialer, tags and sample channel behave as in a k6 run.
package wstest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/js/modulestest"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/netext"
	"go.k6.io/k6/lib/types"
	"go.k6.io/k6/metrics"
	"gopkg.in/guregu/null.v3"
)

// sampleBuffer is large enough that no test blocks on k6's sample channel.
const sampleBuffer = 1 << 16

// VU is a test VU. It starts in the init context; MoveToVU enters the VU
// context, where the modules may open connections.
type VU struct {
	*modulestest.Runtime
	// State is the lib.State the VU gets in MoveToVU; tests may change its
	// options before that.
	State *lib.State
	// Samples receives what the modules emit.
	Samples chan metrics.SampleContainer
}

// NewVU returns a VU in the init context with the module exported as the
// global variable name in the runtime (e.g. "ws" for k6/ws, or the named
// exports of k6/websockets when name is "").
func NewVU(t testing.TB, module modules.Module, name string) *VU {
	t.Helper()
	return NewVUWithEnv(t, module, name, nil)
}

// NewVUWithEnv is NewVU in a process whose environment variables are env.
func NewVUWithEnv(t testing.TB, module modules.Module, name string, env map[string]string) *VU {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	rt.VU.InitEnvField.LookupEnv = func(key string) (string, bool) {
		v, ok := env[key]
		return v, ok
	}
	registry := metrics.NewRegistry()
	samples := make(chan metrics.SampleContainer, sampleBuffer)
	resolver := netext.NewResolver(lookupIP, 0, types.DNSfirst, types.DNSpreferIPv4)
	state := &lib.State{
		Dialer: netext.NewDialer(net.Dialer{Timeout: 10 * time.Second}, resolver),
		Options: lib.Options{
			SystemTags: func() *metrics.SystemTagSet { tags := metrics.DefaultSystemTagSet; return &tags }(),
			UserAgent:  null.StringFrom("xk6-ws-test"),
			Throw:      null.BoolFrom(false),
		},
		Samples:        samples,
		BuiltinMetrics: metrics.RegisterBuiltinMetrics(registry),
		Tags:           lib.NewVUStateTags(registry.RootTagSet()),
		Logger:         rt.VU.InitEnvField.Logger,
	}
	instance := module.NewModuleInstance(rt.VU)
	exports := instance.Exports()
	if name != "" {
		require.NoError(t, rt.VU.Runtime().Set(name, exports.Default))
	}
	for k, v := range exports.Named {
		require.NoError(t, rt.VU.Runtime().Set(k, v))
	}
	return &VU{Runtime: rt, State: state, Samples: samples}
}

func lookupIP(host string) ([]net.IP, error) {
	return net.DefaultResolver.LookupIP(context.Background(), "ip", host)
}

// MoveToVU enters the VU context with v.State.
func (v *VU) MoveToVU() { v.MoveToVUContext(v.State) }

// Run runs code on the VU's event loop and waits until every callback the
// code registered has run, as k6 does for an iteration.
func (v *VU) Run(code string) (sobek.Value, error) {
	return v.RunOnEventLoop(code)
}

// Collected drains and returns every sample emitted so far.
func (v *VU) Collected() []metrics.Sample {
	var out []metrics.Sample
	for {
		select {
		case c := <-v.Samples:
			out = append(out, c.GetSamples()...)
		default:
			return out
		}
	}
}

// Sum adds the values of the samples of metric name.
func Sum(samples []metrics.Sample, name string) float64 {
	var total float64
	for _, s := range samples {
		if s.Metric.Name == name {
			total += s.Value
		}
	}
	return total
}

// Count counts the samples of metric name.
func Count(samples []metrics.Sample, name string) int {
	n := 0
	for _, s := range samples {
		if s.Metric.Name == name {
			n++
		}
	}
	return n
}

// Of returns the samples of metric name.
func Of(samples []metrics.Sample, name string) []metrics.Sample {
	var out []metrics.Sample
	for _, s := range samples {
		if s.Metric.Name == name {
			out = append(out, s)
		}
	}
	return out
}
