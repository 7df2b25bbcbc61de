package correlate

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outcomes is a Recorder that keeps what it is told.
type outcomes struct {
	mu       sync.Mutex
	answered []time.Duration
	failed   int
	closed   int
	changed  chan struct{}
}

func newOutcomes() *outcomes { return &outcomes{changed: make(chan struct{}, 1)} }

func (o *outcomes) Answered(d time.Duration, _ time.Time) {
	o.mu.Lock()
	o.answered = append(o.answered, d)
	o.mu.Unlock()
	o.signal()
}

func (o *outcomes) Failed(time.Time) {
	o.mu.Lock()
	o.failed++
	o.mu.Unlock()
	o.signal()
}

func (o *outcomes) Closed(time.Time) {
	o.mu.Lock()
	o.closed++
	o.mu.Unlock()
}

func (o *outcomes) signal() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *outcomes) counts() (answered []time.Duration, failed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Duration(nil), o.answered...), o.failed
}

func jsonSpec(t *testing.T) Spec {
	t.Helper()
	req, err := JSONPath("id")
	require.NoError(t, err)
	return Spec{Request: req, Reply: req}
}

func TestKeyedReplyIsTimedFromItsWrite(t *testing.T) {
	t.Parallel()
	rec := newOutcomes()
	tab := NewTable(jsonSpec(t), rec)
	t0 := time.Now()
	require.NoError(t, tab.Queued(false, []byte(`{"id":1}`), true))
	require.NoError(t, tab.Queued(false, []byte(`{"note":"no key"}`), true))
	require.NoError(t, tab.Queued(false, []byte(`{"id":2}`), true))
	tab.Written(t0)
	tab.Written(t0.Add(time.Millisecond))
	tab.Written(t0.Add(2 * time.Millisecond))

	tab.Read(false, []byte(`{"id":2,"result":"b"}`), t0.Add(5*time.Millisecond))
	tab.Read(false, []byte(`{"event":"unrelated"}`), t0.Add(6*time.Millisecond))
	tab.Read(false, []byte(`{"id":1,"result":"a"}`), t0.Add(7*time.Millisecond))
	tab.Read(false, []byte(`{"id":1,"result":"again"}`), t0.Add(8*time.Millisecond))
	tab.Closed(t0.Add(9 * time.Millisecond))

	answered, failed := rec.counts()
	assert.Equal(t, []time.Duration{3 * time.Millisecond, 7 * time.Millisecond}, answered)
	assert.Zero(t, failed, "every request was answered; a second reply answers nothing")
	assert.Equal(t, 1, rec.closed)
}

func TestFIFOAnswersTheOldestRequest(t *testing.T) {
	t.Parallel()
	rec := newOutcomes()
	tab := NewTable(Spec{FIFO: true}, rec)
	t0 := time.Now()
	for range 3 {
		require.NoError(t, tab.Queued(true, []byte("x"), true))
	}
	require.NoError(t, tab.Queued(false, []byte("3"), false)) // an automatic reply
	for i := range 4 {
		tab.Written(t0.Add(time.Duration(i) * time.Millisecond))
	}
	tab.Read(false, []byte("a"), t0.Add(10*time.Millisecond))
	tab.Read(true, []byte("b"), t0.Add(11*time.Millisecond))
	tab.Closed(t0.Add(20 * time.Millisecond))

	answered, failed := rec.counts()
	assert.Equal(t, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}, answered)
	assert.Equal(t, 1, failed, "the third request was open when the connection closed")
}

func TestReplyToARequestNotWrittenYetAnswersNothing(t *testing.T) {
	t.Parallel()
	rec := newOutcomes()
	tab := NewTable(jsonSpec(t), rec)
	fifo := NewTable(Spec{FIFO: true}, rec)
	t0 := time.Now()
	require.NoError(t, tab.Queued(false, []byte(`{"id":1}`), true))
	require.NoError(t, fifo.Queued(false, []byte(`a`), true))
	tab.Read(false, []byte(`{"id":1}`), t0)
	fifo.Read(false, []byte(`pushed`), t0)
	tab.Written(t0.Add(time.Millisecond))
	fifo.Written(t0.Add(time.Millisecond))
	tab.Read(false, []byte(`{"id":1}`), t0.Add(3*time.Millisecond))
	fifo.Read(false, []byte(`a`), t0.Add(4*time.Millisecond))
	tab.Closed(t0.Add(5 * time.Millisecond))
	fifo.Closed(t0.Add(5 * time.Millisecond))
	answered, failed := rec.counts()
	assert.Equal(t, []time.Duration{2 * time.Millisecond, 3 * time.Millisecond}, answered)
	assert.Zero(t, failed)
}

func TestUnansweredRequestTimesOut(t *testing.T) {
	t.Parallel()
	rec := newOutcomes()
	spec := jsonSpec(t)
	spec.Timeout = time.Millisecond
	tab := NewTable(spec, rec)
	require.NoError(t, tab.Queued(false, []byte(`{"id":"a"}`), true))
	tab.Written(time.Now())
	select {
	case <-rec.changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not time out")
	}
	_, failed := rec.counts()
	assert.Equal(t, 1, failed)

	tab.Read(false, []byte(`{"id":"a"}`), time.Now())
	require.NoError(t, tab.Queued(false, []byte(`{"id":"a"}`), true), "a timed-out key may be used again")
	tab.Closed(time.Now())
	answered, failed := rec.counts()
	assert.Empty(t, answered, "a late reply answers nothing")
	assert.Equal(t, 2, failed)
}

func TestOpenRequestsAreBounded(t *testing.T) {
	t.Parallel()
	rec := newOutcomes()
	spec := jsonSpec(t)
	spec.MaxOpen = 2
	tab := NewTable(spec, rec)
	require.NoError(t, tab.Queued(false, []byte(`{"id":1}`), true))
	require.NoError(t, tab.Queued(false, []byte(`{"id":2}`), true))
	err := tab.Queued(false, []byte(`{"id":3}`), true)
	require.ErrorIs(t, err, ErrTooManyOpen)
	assert.ErrorContains(t, err, "correlate.maxOpen (2)")
	require.NoError(t, tab.Queued(false, []byte(`{"no":"key"}`), true), "a message without a key is no request")

	err = tab.Queued(false, []byte(`{"id":1}`), true)
	assert.ErrorContains(t, err, `a request with the key "1" is already waiting for its reply`)
	tab.Closed(time.Now())
	_, failed := rec.counts()
	assert.Equal(t, 2, failed, "the refused messages opened no request")
}
