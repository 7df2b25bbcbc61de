package connmetrics_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/correlate"
	"github.com/loadkit/xk6-ws/internal/wstrace"
)

func TestForVURegistersOnceForEveryVU(t *testing.T) {
	t.Parallel()
	registry := k6metrics.NewRegistry()
	env := &common.InitEnvironment{TestPreInitState: &lib.TestPreInitState{
		Registry: registry,
		LookupEnv: func(key string) (string, bool) {
			return map[string]string{"K6_WS_DEBUG": "full"}[key], key == "K6_WS_DEBUG"
		},
	}}
	first, err := connmetrics.ForVU(env)
	require.NoError(t, err)
	second, err := connmetrics.ForVU(env)
	require.NoError(t, err, "the second VU registers the same metrics again")
	assert.Same(t, first.Failures.HandshakeFailed, second.Failures.HandshakeFailed)
	assert.NotNil(t, first.Requests)
	assert.Equal(t, wstrace.ModeOf(env.LookupEnv), first.Trace)
	assert.NotEqual(t, wstrace.ModeOf(func(string) (string, bool) { return "", false }), first.Trace)
}

func TestCorrelateWithoutAnInitEnvironmentSaysSo(t *testing.T) {
	t.Parallel()
	vu, err := connmetrics.ForVU(nil)
	require.NoError(t, err)
	assert.Nil(t, vu.Failures, "no failures are counted without an init environment")

	rec, err := connmetrics.Correlate(context.Background(), nil, vu, nil, k6metrics.TagsAndMeta{}, &conn.Options{})
	require.NoError(t, err, "no params.correlate, nothing to register")
	assert.Nil(t, rec)

	opts := conn.Options{}
	_, err = connmetrics.Correlate(context.Background(), nil, vu, &correlate.Spec{}, k6metrics.TagsAndMeta{}, &opts)
	require.ErrorContains(t, err, "params.correlate: its metrics are not registered")
	assert.Nil(t, opts.Tracker)
}
