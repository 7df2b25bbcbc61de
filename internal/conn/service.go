package conn

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrRefused is returned by Send and SendWait, wrapping the Tracker's
// error, for a message that the Tracker refused.
var ErrRefused = errors.New("websocket: the message was not sent")

// Tracker is told of the data messages a connection writes and reads, on
// the connection's own goroutines, so that it can time replies at the wire
// (see package correlate). A connection without one pays a nil check.
//
// Queued is called for every data message that Send or SendWait queues (and
// for every automatic reply, with request false), under the lock that orders
// the write queue, so in the order the writer writes them; an error refuses
// the message, which Send then returns. Written is called by the writer
// once per queued data message, in the same order, with the time just
// before the message's last frame is handed to the socket (a write that
// fails ends the connection). Read is
// called by the reader for every data message it read, before the script
// can see it. Closed is called once, when the connection is gone.
type Tracker interface {
	Queued(binary bool, data []byte, request bool) error
	Written(at time.Time)
	Read(binary bool, data []byte, at time.Time)
	Closed(at time.Time)
}

// AutoReply is a text message that the connection answers itself.
type AutoReply struct {
	// Receive is the text message answered; Send is the answer.
	Receive, Send string
}

// autoReplies answers the text messages of Options.AutoReply; nil without.
type autoReplies struct {
	answers map[string][]byte
	count   atomic.Int64 // answered and not yet taken by TakeAutoReplies
}

func newAutoReplies(list []AutoReply) *autoReplies {
	if len(list) == 0 {
		return nil
	}
	a := &autoReplies{answers: make(map[string][]byte, len(list))}
	for _, r := range list {
		if _, seen := a.answers[r.Receive]; !seen { // the first rule for a message wins
			a.answers[r.Receive] = []byte(r.Send)
		}
	}
	return a
}

// autoReply answers ev, a message just read, when it is the Receive of an
// automatic reply, and reports whether it did: the message is then not
// delivered. The answer is queued as Send queues a message, bypassing the
// write queue's limit (it is as small as the script chose it), and is not a
// request of the Tracker.
func (c *Conn) autoReply(ev *Event) bool {
	if ev.Kind != Text {
		return false
	}
	answer, ok := c.auto.answers[string(ev.Data)]
	if !ok {
		return false
	}
	m := c.dataMessage(false, answer)
	c.smu.Lock()
	if c.writableLocked() != nil { // closing: the answer would not go out
		c.smu.Unlock()
		releaseCopy(m.pooled)
		return true
	}
	if c.opts.Tracker != nil {
		_ = c.opts.Tracker.Queued(false, answer, false) // never refuses a message that is no request
	}
	c.sendLocked(m)
	c.smu.Unlock()
	c.auto.count.Add(1)
	return true
}

// TakeAutoReplies returns how many messages the connection answered itself
// (see Options.AutoReply) since the last call: each is a message received
// and one sent, for the owner's counters.
func (c *Conn) TakeAutoReplies() int {
	if c.auto == nil {
		return 0
	}
	return int(c.auto.count.Swap(0))
}

// trackLocked tells the Tracker, if any, of a data message Send is about to queue;
// the caller holds smu.
func (c *Conn) trackLocked(binary bool, data []byte) error {
	if c.opts.Tracker == nil {
		return nil
	}
	if err := c.opts.Tracker.Queued(binary, data, true); err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return nil
}

// trackWriting tells the Tracker, if any, that the writer is writing a data
// message, just before its last frame is handed to the socket: a time taken
// after the write would come late whenever the writer waits for a processor
// on its way back from the system call, which a busy machine makes common.
func (c *Conn) trackWriting() {
	if c.opts.Tracker != nil {
		c.opts.Tracker.Written(time.Now())
	}
}

// trackRead tells the Tracker, if any, of a data message read, and answers
// it when it is an automatic reply's; it reports whether ev is still to be
// delivered.
func (c *Conn) trackRead(ev *Event) bool {
	if c.auto != nil && c.autoReply(ev) {
		return false
	}
	if c.opts.Tracker != nil {
		c.opts.Tracker.Read(ev.Kind == Binary, ev.Data, ev.Time)
	}
	return true
}

// trackClosed tells the Tracker, if any, that the connection is gone.
func (c *Conn) trackClosed() {
	if c.opts.Tracker != nil {
		c.opts.Tracker.Closed(time.Now())
	}
}
