package conn_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// callLog is a conn.Tracker that logs its calls, refusing the messages
// listed in refuse.
type callLog struct {
	mu     sync.Mutex
	calls  []string
	times  []time.Time
	refuse string
	closed chan struct{}
}

func newCallLog() *callLog { return &callLog{closed: make(chan struct{})} }

func (l *callLog) log(call string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call)
	l.times = append(l.times, at)
}

func (l *callLog) Queued(_ bool, data []byte, request bool) error {
	if string(data) == l.refuse {
		return errors.New("refused")
	}
	l.log(fmt.Sprintf("queued %s %t", data, request), time.Time{})
	return nil
}

func (l *callLog) Written(at time.Time) { l.log("written", at) }

func (l *callLog) Read(_ bool, data []byte, at time.Time) { l.log("read "+string(data), at) }

func (l *callLog) Closed(time.Time) {
	l.log("closed", time.Time{})
	close(l.closed)
}

func (l *callLog) snapshot() ([]string, []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls), slices.Clone(l.times)
}

func TestTrackerIsToldOfEveryDataMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	log := newCallLog()
	log.refuse = "refused"
	c, _ := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{Tracker: log})
	require.NoError(t, c.Send(false, []byte("a")))
	require.ErrorContains(t, c.Send(false, []byte("refused")), "refused", "Send returns the Tracker's refusal")
	require.ErrorContains(t, c.SendWait(context.Background(), false, []byte("refused")), "refused")
	require.NoError(t, c.SendWait(context.Background(), true, []byte("b")))
	c.until(t, conn.Binary)
	c.Close(conn.CloseNormal, "")
	c.until(t, conn.Close)
	<-log.closed

	calls, times := log.snapshot()
	// A message is read after it was written; the two are told in the
	// order of their own goroutines.
	assert.Equal(t, []string{"queued a true", "queued b true"}, filter(calls, "queued"))
	assert.Equal(t, []string{"written", "written"}, filter(calls, "written"))
	assert.Equal(t, []string{"read a", "read b"}, filter(calls, "read"))
	assert.Equal(t, "closed", calls[len(calls)-1])
	for i, call := range calls {
		if call == "read a" {
			w := slices.Index(calls, "written")
			assert.Less(t, w, i, "the write of a was told before its echo was read")
			assert.False(t, times[i].Before(times[w]), "the echo is read after the write")
		}
	}
}

func filter(calls []string, prefix string) []string {
	var out []string
	for _, c := range calls {
		if len(c) >= len(prefix) && c[:len(prefix)] == prefix {
			out = append(out, c)
		}
	}
	return out
}

func TestAutoReplyAnswersWithoutDelivering(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	log := newCallLog()
	c, _ := dial(t, context.Background(), srv.URL()+"/heartbeat?interval=1ms&timeout=10s", conn.Options{
		Tracker:   log,
		AutoReply: []conn.AutoReply{{Receive: "2", Send: "3"}, {Receive: "2", Send: "ignored: the first rule wins"}},
	})
	// The server pings every millisecond and closes unanswered clients: the
	// echo of this message comes after a few pings were answered.
	for c.TakeAutoReplies() < 3 {
		require.NoError(t, c.Send(false, []byte("hello")))
		for _, ev := range c.until(t, conn.Text) {
			if ev.Kind == conn.Text {
				assert.Equal(t, "hello", string(ev.Data), "a message answered automatically is not delivered")
			}
		}
	}
	c.Close(conn.CloseNormal, "")
	closing := last(c.until(t, conn.Close))
	assert.Equal(t, conn.CloseNormal, closing.Code, "the server never missed an answer")
	<-log.closed
	calls, _ := log.snapshot()
	assert.Contains(t, calls, "queued 3 false", "an automatic reply is no request")
	assert.NotContains(t, calls, "read 2", "the Tracker does not see a message answered automatically")
}
