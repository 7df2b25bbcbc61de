// Temporary stand-in for the core contract (StatusCode, SendWait) until the
// core branch delivers it; removed when core is merged.

package conn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StatusCode stands in for the contract's type.
type StatusCode = int

// SendWait stands in for the contract's method.
func (c *Conn) SendWait(ctx context.Context, binary bool, data []byte) error {
	for {
		err := c.Send(binary, data)
		if !errors.Is(err, ErrWriteQueueFull) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("send: %w", context.Cause(ctx))
		case <-c.dying:
			return ErrClosed
		case <-time.After(time.Millisecond):
		}
	}
}
