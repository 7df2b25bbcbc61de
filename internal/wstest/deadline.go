package wstest

import (
	"context"
	"time"
)

// pastDeadline is a context that reports deadline as its deadline, but is
// done only when the context it wraps is.
type pastDeadline struct {
	context.Context //nolint:containedctx // the context it stands for
	deadline        time.Time
}

func (c pastDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// PastDeadline returns ctx with deadline as its deadline, while it is done
// only when ctx is. With a deadline in the past it is k6's iteration context
// at the end of a scenario: its deadline has passed a moment before its
// timer cancels it; a test stretches that moment to observe it.
func PastDeadline(ctx context.Context, deadline time.Time) context.Context {
	return pastDeadline{Context: ctx, deadline: deadline}
}
