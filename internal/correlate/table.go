package correlate

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults of a Spec.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxOpen = 4096
)

// ErrTooManyOpen is returned, wrapped, for a request that would take the
// open requests above Spec.MaxOpen.
var ErrTooManyOpen = errors.New("too many requests are waiting for their reply")

// Spec says how replies are matched with requests.
type Spec struct {
	// Request and Reply find the keys of sent and received text messages;
	// unused with FIFO.
	Request, Reply Extractor
	// FIFO makes every data message sent a request, answered by the next
	// data message received.
	FIFO bool
	// Timeout is how long a request waits for its reply, from its write;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// MaxOpen bounds the requests waiting for their reply; zero means
	// DefaultMaxOpen.
	MaxOpen int
	// Name tags the samples; empty tags none.
	Name string
}

// Recorder is told of each request's outcome, from the connection's
// goroutines or the Table's timer: it must be safe for concurrent use.
type Recorder interface {
	// Answered reports a reply read at, d after its request was written.
	Answered(d time.Duration, at time.Time)
	// Failed reports a request that timed out or whose connection closed
	// first.
	Failed(at time.Time)
	// Closed reports that the connection is gone: no more outcomes follow.
	Closed(at time.Time)
}

// request is a message that opened a request.
type request struct {
	key      string
	written  time.Time // zero until the writer writes it
	deadline time.Time
	done     bool // answered or failed
}

// Table matches the replies of one connection with its requests: it is the
// connection's conn.Tracker.
type Table struct {
	spec Spec
	rec  Recorder

	mu sync.Mutex
	// unwritten are the data messages queued and not yet written, in
	// order: a request, or nil for a message that is none.
	unwritten queue
	// waiting are the open requests written, in the order written, so by
	// deadline; answered ones leave it lazily.
	waiting queue
	keys    map[string]*request // the open requests by key; nil with FIFO
	open    int                 // requests queued or waiting, not done
	timer   *time.Timer         // fires at the first deadline of waiting
	armed   bool
	closed  bool
}

// NewTable returns the Table of spec for one connection, reporting to rec.
func NewTable(spec Spec, rec Recorder) *Table {
	if spec.Timeout <= 0 {
		spec.Timeout = DefaultTimeout
	}
	if spec.MaxOpen <= 0 {
		spec.MaxOpen = DefaultMaxOpen
	}
	t := &Table{spec: spec, rec: rec}
	if !spec.FIFO {
		t.keys = make(map[string]*request)
	}
	return t
}

// Queued notes a data message queued for writing. When it is a request (it
// has a key, or FIFO), it opens one, unless MaxOpen are open or its key is
// open already: it then returns an error and the message must not be sent.
func (t *Table) Queued(binary bool, data []byte, isRequest bool) error {
	var r *request
	if isRequest {
		key, ok := "", t.spec.FIFO
		if !ok && !binary {
			key, ok = t.spec.Request.Key(data)
		}
		if ok {
			r = &request{key: key}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r != nil {
		if t.keys != nil {
			if _, taken := t.keys[r.key]; taken {
				return fmt.Errorf("correlate: a request with the key %q is already waiting for its reply", r.key)
			}
		}
		if t.open >= t.spec.MaxOpen {
			return fmt.Errorf("correlate: %w: %d are open, the limit is correlate.maxOpen (%d)",
				ErrTooManyOpen, t.open, t.spec.MaxOpen)
		}
		if t.keys != nil {
			t.keys[r.key] = r
		}
		t.open++
	}
	t.unwritten.push(r)
	return nil
}

// Written notes that the oldest data message queued is being written: at
// is taken as its last frame is handed to the socket.
func (t *Table) Written(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.unwritten.pop()
	if r == nil || t.closed {
		return
	}
	r.written = at
	r.deadline = at.Add(t.spec.Timeout)
	t.waiting.push(r)
	if !t.armed {
		t.armLocked(t.spec.Timeout)
	}
}

// Read matches a data message read at at with the request it answers: one
// already written, the oldest with FIFO.
func (t *Table) Read(binary bool, data []byte, at time.Time) {
	var r *request
	if t.spec.FIFO {
		t.mu.Lock()
		r = t.oldestWaitingLocked()
	} else {
		if binary {
			return
		}
		key, ok := t.spec.Reply.key(data)
		if !ok {
			return
		}
		t.mu.Lock()
		r = t.keys[string(key)] // no copy: the key is only looked up
		if r != nil && !r.written.IsZero() {
			delete(t.keys, r.key)
		}
	}
	if r == nil || r.written.IsZero() {
		t.mu.Unlock()
		return
	}
	r.done = true
	t.open--
	t.mu.Unlock()
	t.rec.Answered(at.Sub(r.written), at)
}

// oldestWaitingLocked returns the oldest request written and not done; nil
// when none is.
func (t *Table) oldestWaitingLocked() *request {
	for t.waiting.len() > 0 && t.waiting.peek().done {
		t.waiting.pop()
	}
	if t.waiting.len() == 0 {
		return nil
	}
	return t.waiting.peek()
}

// Closed fails every open request: the connection is gone.
func (t *Table) Closed(at time.Time) {
	t.mu.Lock()
	t.closed = true
	if t.timer != nil {
		t.timer.Stop()
	}
	failed := t.open
	t.open = 0
	t.keys = nil
	t.waiting = queue{}
	t.unwritten = queue{}
	t.mu.Unlock()
	for range failed {
		t.rec.Failed(at)
	}
	t.rec.Closed(at)
}

// armLocked sets the timer to fire in d.
func (t *Table) armLocked(d time.Duration) {
	t.armed = true
	if t.timer == nil {
		t.timer = time.AfterFunc(d, t.expire)
		return
	}
	t.timer.Reset(d)
}

// expire fails the requests whose deadline passed, and sets the timer for
// the next deadline.
func (t *Table) expire() {
	now := time.Now()
	t.mu.Lock()
	t.armed = false
	if t.closed {
		t.mu.Unlock()
		return
	}
	failed := 0
	for t.waiting.len() > 0 {
		r := t.waiting.peek()
		if !r.done && r.deadline.After(now) {
			t.armLocked(r.deadline.Sub(now))
			break
		}
		t.waiting.pop()
		if r.done {
			continue
		}
		r.done = true
		if t.keys != nil {
			delete(t.keys, r.key)
		}
		t.open--
		failed++
	}
	t.mu.Unlock()
	for range failed {
		t.rec.Failed(now)
	}
}

// queue is a FIFO of requests on a slice whose storage it reuses.
type queue struct {
	items []*request
	head  int
}

func (q *queue) len() int { return len(q.items) - q.head }

func (q *queue) push(r *request) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 32 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, r)
}

func (q *queue) peek() *request { return q.items[q.head] }

// pop removes and returns the oldest item; nil when empty.
func (q *queue) pop() *request {
	if q.len() == 0 {
		return nil
	}
	r := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	return r
}
