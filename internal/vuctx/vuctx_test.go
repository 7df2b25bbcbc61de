package vuctx_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/vuctx"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestEnded(t *testing.T) {
	t.Parallel()
	assert.False(t, vuctx.Ended(context.Background()), "no deadline, not done")

	future, cancelFuture := context.WithTimeout(context.Background(), time.Hour)
	defer cancelFuture()
	assert.False(t, vuctx.Ended(future), "deadline ahead")

	done, cancel := context.WithCancel(context.Background())
	cancel()
	assert.True(t, vuctx.Ended(done), "cancelled")

	passed := wstest.PastDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	assert.True(t, vuctx.Ended(passed), "deadline passed, not done yet")
}

func TestAwaitDoneWaitsForTheCancellation(t *testing.T) {
	t.Parallel()
	base, cancel := context.WithCancel(context.Background())
	ctx := wstest.PastDeadline(base, time.Now().Add(-time.Millisecond))
	timer := time.AfterFunc(20*time.Millisecond, cancel) // as k6's timer does, a moment after the deadline
	defer timer.Stop()
	vuctx.AwaitDone(ctx)
	assert.Error(t, ctx.Err(), "AwaitDone returns once the context is done")
}

func TestAwaitDoneReturnsAtOnceWhileTheVURuns(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	vuctx.AwaitDone(ctx) // a wait here would hang the test until its timeout
	assert.NoError(t, ctx.Err())
}
