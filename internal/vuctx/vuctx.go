// Package vuctx tells whether a k6 VU's context has ended.
//
// k6 gives an iteration a context with the deadline of its scenario (the end
// of its duration plus gracefulStop). Once that deadline has passed, network
// calls fail at once, a moment before the context's own timer cancels it: in
// that moment the context still reports no error, but the iteration is over.
// Ended treats both alike, and AwaitDone waits out that moment, so that a
// module does not hand the VU an iteration that ends at once and is counted
// as complete.
package vuctx

import (
	"context"
	"time"
)

// awaitBound bounds AwaitDone: a context whose deadline has passed is
// cancelled by its timer far sooner.
const awaitBound = time.Second

// Ended reports whether ctx is done or its deadline has passed.
func Ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// AwaitDone waits until ctx is done, if it has Ended, for at most a second.
func AwaitDone(ctx context.Context) {
	if !Ended(ctx) || ctx.Err() != nil {
		return
	}
	bound := time.NewTimer(awaitBound)
	defer bound.Stop()
	select {
	case <-ctx.Done():
	case <-bound.C:
	}
}
