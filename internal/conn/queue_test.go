package conn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queued returns a connection whose inbound queue holds events read at the
// given times, with nothing behind it.
func queued(c *Conn, at ...time.Time) *Conn {
	if c == nil {
		c = &Conn{room: make(chan struct{}, 1)}
	}
	for _, t := range at {
		c.queue = append(c.queue, Event{Kind: Text, Time: t})
	}
	return c
}

func TestEventsKeepsTheStorageItIsGivenWhileTheConnectionIsBusy(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := queued(nil, t0, t0)
	got := c.Events(nil)
	require.Len(t, got, 2)

	big := make([]Event, 0, 16)
	queued(c, t0.Add(quietAfter/2))
	got = c.Events(big)
	require.Len(t, got, 1)
	assert.Equal(t, 16, cap(c.queue), "one event soon after a backlog: the storage is kept for the next")

	queued(c, t0.Add(quietAfter/2), t0.Add(quietAfter/2))
	got = c.Events(got)
	require.Len(t, got, 2)
	assert.Equal(t, 16, cap(got))
}

func TestEventsDropsTheStorageOfABacklogOnceTheConnectionIsQuiet(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := queued(nil, t0, t0, t0)
	backlog := c.Events(nil)
	require.Len(t, backlog, 3)

	queued(c, t0.Add(2*quietAfter))
	got := c.Events(backlog)
	require.Len(t, got, 1)
	assert.Nil(t, c.queue, "a quiet connection does not keep the backlog's storage")

	queued(c, t0.Add(3*quietAfter))
	assert.Equal(t, 1, cap(c.queue), "its next event is queued in storage for one")
	kept := &got[0]
	next := c.Events(got)
	require.Len(t, next, 1)
	assert.Same(t, kept, &c.queue[:1][0], "storage for one event is reused")
}
