package conn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gorilla/websocket"
)

// Kind tells what an Event reports.
type Kind uint8

// The kinds of Event, in the order a connection can report them.
const (
	// Text is a text data message; Event.Data holds valid UTF-8.
	Text Kind = iota + 1
	// Binary is a binary data message.
	Binary
	// Ping is a ping frame from the peer (already answered with a pong).
	Ping
	// Pong is a pong frame from the peer.
	Pong
	// Error is a fault of the network or the peer; Event.Err says which. It
	// is always followed by the Close event.
	Error
	// Close is the last event of every connection.
	Close
)

// Event is something that happened on a connection, in the order it happened.
type Event struct {
	Kind Kind
	// Matched says, for a Pong, whether it answered one of our pings; RTT
	// is then the round trip time.
	Matched bool
	// Code, Reason and Clean describe a Close event: the close code (1006
	// when no close frame was received), the peer's reason, and whether the
	// close handshake completed.
	Clean bool
	Code  StatusCode
	// Time is when the event was read from the network.
	Time time.Time
	// Data is the payload of a message, ping or pong; it belongs to the
	// receiver of the event.
	Data []byte
	RTT  time.Duration
	// Err is the fault of an Error event.
	Err    error
	Reason string
}

// DataString returns Data as a string without copying it, for a text
// message handed on as a string: the receiver of the event may do so as
// long as nothing changes Data afterwards. The connection never does.
func (e *Event) DataString() string {
	return unsafe.String(unsafe.SliceData(e.Data), len(e.Data)) //nolint:gosec // a read-only view of Data, which nothing changes (see above)
}

// quietAfter is how long after its last backlog a connection that receives
// one event at a time counts as quiet (see Events). A flood, drained in
// batches of varying size, never does: it keeps its storage.
const quietAfter = time.Second

// maxPendingPings bounds the pings remembered while waiting for their pong.
const maxPendingPings = 1024

// Errors returned by Send, SendWait and Ping, wrapped with why.
var (
	// ErrClosing is returned once Close has been called, until the
	// connection is gone.
	ErrClosing = errors.New("websocket is closing")
	// ErrClosed is returned once the connection is gone.
	ErrClosed = errors.New("websocket is closed")
	// ErrWriteQueueFull is returned when a message would take the bytes
	// waiting to be written above Options.WriteQueueBytes.
	ErrWriteQueueFull = errors.New("websocket write queue is full")
)

// Conn is an open WebSocket connection. The package documentation says who
// may call its methods, and how its events and its life go.
type Conn struct {
	ws     *websocket.Conn
	opts   Options
	notify func()
	// stop unregisters the watch of the VU's context.
	stop func() bool

	// readSizeHint is the length of the last message longer than a read
	// chunk; only the reader uses it (see readMessage).
	readSizeHint int

	// inbound queue, filled by the reader, drained by Events.
	mu         sync.Mutex
	queue      []Event
	queueBytes int
	notified   bool
	room       chan struct{}
	backlogAt  time.Time // when the last event of the last backlog (a drain of several) was read
	// what the writer wrote since the last Events, and whether SendWait
	// waited meanwhile: the allowance for replies (see enqueue).
	sentBytes    int
	sentMessages int
	sendWaited   bool

	// smu guards the lifecycle state and the outbound queue (see
	// lifecycle.go); the writer drains the queue.
	smu         sync.Mutex
	state       state
	wqueue      []outbound
	writing     bool          // a writer goroutine runs
	writerIdle  bool          // it waits for a frame: wake it through wwake
	wwake       chan struct{} // wakes an idle writer; made with the first writer
	buffered    int64
	wroom       chan struct{} // closed when the writer makes room, if SendWait waits
	closeTimer  *time.Timer   // bounds the close handshake, from Close on
	closeSentAt time.Time     // when our close frame went on the wire
	closeWire   int64         // wire.written when closeTimer last checked
	closeCalled bool          // Close moved the state on from open
	peerClose   *CloseError   // the peer's close frame, when the peer closed first
	cause       *ending       // why die tore the connection down
	readEnd     *ending       // why the reader returned
	// writers counts the writer, and the watch of the VU's context until it
	// can no longer fire.
	writers sync.WaitGroup

	// pings sent and not yet answered, by payload; nil until the first.
	pmu       sync.Mutex
	pings     map[string]time.Time
	pingCount int

	// wlock is the wire lock, held for each frame written (see writer.go):
	// a send takes it, a receive gives it back. writeErr, under it, fails
	// the writes after a failed write or a close frame.
	wlock      chan struct{}
	writeErr   error
	compressed bool // permessage-deflate was negotiated: data messages are compressed

	out   net.Conn      // what frames are written to: wire, or the TLS connection over it
	auto  *autoReplies  // nil without Options.AutoReply
	wire  *countingConn // the connection, counting what is written to it
	dying chan struct{} // closed when the state becomes tearingDown
	done  chan struct{} // closed when the state becomes gone
}

func newConn(ws *websocket.Conn, out net.Conn, wire *countingConn, compressed bool, opts Options, notify func()) *Conn {
	// The header, cookies and subprotocols were for the handshake: a
	// long-lived connection does not keep them.
	opts.Header, opts.Jar, opts.Subprotocols = nil, nil, nil
	c := &Conn{
		ws:         ws,
		out:        out,
		wire:       wire,
		compressed: compressed,
		opts:       opts,
		notify:     notify,
		room:       make(chan struct{}, 1),
		wlock:      make(chan struct{}, 1),
		auto:       newAutoReplies(opts.AutoReply),
		dying:      make(chan struct{}),
		done:       make(chan struct{}),
	}
	ws.SetReadLimit(opts.MaxMessageSize)
	ws.SetPingHandler(c.handlePing)
	ws.SetPongHandler(c.handlePong)
	ws.SetCloseHandler(c.handleClose)
	return c
}

// Done is closed once the connection is gone, its Close event is queued and
// all of its goroutines have returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Events moves every queued event, in order, into the returned slice. It
// reuses the storage of buf, which the caller must be done with, except
// once the connection has gone quiet (one event at a time, quietAfter past
// its last backlog): it then does not keep the storage of that backlog, and
// queues its next event in storage for one. The reader resumes if it was
// waiting for room.
func (c *Conn) Events(buf []Event) []Event {
	clear(buf)
	c.mu.Lock()
	out := c.queue
	switch {
	case len(out) > 1:
		c.backlogAt = out[len(out)-1].Time
	case len(out) == 1 && cap(buf) > 1 && out[0].Time.Sub(c.backlogAt) > quietAfter:
		buf = nil
	}
	c.queue = buf[:0]
	c.queueBytes = 0
	c.notified = false
	c.sentBytes, c.sentMessages, c.sendWaited = 0, 0, false
	c.mu.Unlock()
	c.wakeReader()
	return out
}

// wakeReader resumes the reader if it waits for room in the inbound queue.
func (c *Conn) wakeReader() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

// readLoop is the connection's reader goroutine. It waits for the next
// message in a small frame of its own and reads the message in readNext: an
// idle reader, parked in NextReader, then uses little enough of its stack
// for the garbage collector to shrink the stack to 4 KiB.
func (c *Conn) readLoop() {
	defer c.finish()
	for {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			c.readEnded(err)
			return
		}
		if !c.readNext(kind, r) {
			return
		}
	}
}

// readNext reads the message r of kind and queues it. It returns false when
// the connection is being torn down.
//
//go:noinline
func (c *Conn) readNext(kind int, r io.Reader) bool {
	ev := Event{Kind: Binary}
	if kind == websocket.TextMessage {
		ev.Kind = Text
	}
	var err error
	ev.Data, err = readMessage(r, c.opts.MaxMessageSize, &c.readSizeHint)
	ev.Time = time.Now()
	var tooBig *messageTooBigError
	if errors.As(err, &tooBig) {
		c.die(&ending{code: CloseMessageTooBig, err: err, peerFault: true})
		return false
	}
	if err != nil {
		c.readEnded(err)
		return false
	}
	c.traceRead(kind, ev.Data)
	if ev.Kind == Text && !utf8.Valid(ev.Data) {
		c.die(&ending{code: CloseInvalidPayload, peerFault: true, err: errors.New(
			"websocket: received a text message that is not valid UTF-8")})
		return false
	}
	if (c.auto != nil || c.opts.Tracker != nil) && !c.trackRead(&ev) {
		return true
	}
	return c.enqueue(ev)
}

// enqueue adds ev to the inbound queue, waiting for room while it is full.
// It returns false when the connection is torn down meanwhile.
//
// The queue is full at Options.QueueMessages or Options.QueueBytes, except
// that once SendWait waited since the last Events, what the writer wrote
// since then is added to both limits: replies to the messages of a burst are
// taken while the burst is being sent.
func (c *Conn) enqueue(ev Event) bool {
	for {
		c.mu.Lock()
		maxMessages, maxBytes := c.opts.QueueMessages, c.opts.QueueBytes
		if c.sendWaited {
			maxMessages += c.sentMessages
			maxBytes += c.sentBytes
		}
		if len(c.queue) < maxMessages &&
			(len(c.queue) == 0 || c.queueBytes+len(ev.Data) <= maxBytes) {
			c.queue = append(c.queue, ev)
			c.queueBytes += len(ev.Data)
			wake := !c.notified
			c.notified = true
			c.mu.Unlock()
			if wake {
				c.notify()
			}
			return true
		}
		c.mu.Unlock()
		select {
		case <-c.room:
		case <-c.dying:
			return false
		}
	}
}

func (c *Conn) handlePing(data string) error {
	c.traceControl(websocket.PingMessage, data)
	err := c.writeControl(websocket.PongMessage, []byte(data))
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answering ping: %w", err)
	}
	c.enqueue(Event{Kind: Ping, Time: time.Now(), Data: []byte(data)})
	return nil
}

func (c *Conn) handlePong(data string) error {
	c.traceControl(websocket.PongMessage, data)
	now := time.Now()
	c.pmu.Lock()
	sent, ok := c.pings[data]
	delete(c.pings, data)
	c.pmu.Unlock()
	ev := Event{Kind: Pong, Time: now, Data: []byte(data), Matched: ok}
	if ok {
		ev.RTT = now.Sub(sent)
	}
	c.enqueue(ev)
	return nil
}
