package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

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
	// Time is when the event was read from the network.
	Time time.Time
	// Data is the payload of a message, ping or pong; it belongs to the
	// receiver of the event.
	Data []byte
	// RTT is, for a Pong answering one of our pings, the round trip time;
	// Matched says whether it answered one of our pings.
	RTT     time.Duration
	Matched bool
	// Err is the fault of an Error event.
	Err error
	// Code, Reason and Clean describe a Close event: the close code (1006
	// when no close frame was received), the peer's reason, and whether the
	// close handshake completed.
	Code   StatusCode
	Reason string
	Clean  bool
}

// maxPendingPings bounds the pings remembered while waiting for their pong.
const maxPendingPings = 1024

// Errors returned by Send, Ping and Close.
var (
	// ErrClosing is returned once Close has been called.
	ErrClosing = errors.New("websocket is closing")
	// ErrClosed is returned once the connection is gone.
	ErrClosed = errors.New("websocket is closed")
	// ErrWriteQueueFull is returned when a message would take the bytes
	// waiting to be written above Options.WriteQueueBytes.
	ErrWriteQueueFull = errors.New("websocket write queue is full")
)

// Conn is an open WebSocket connection.
//
// Events reports what arrives; Send, SendWait, Ping and Close may be called
// from any one goroutine (the script's). Done is closed when the connection is gone
// and every goroutine of it has returned.
type Conn struct {
	ws     *websocket.Conn
	opts   Options
	notify func()
	stop   func() bool // unregisters the context watch

	// inbound queue, filled by the reader, drained by Events.
	mu         sync.Mutex
	queue      []Event
	queueBytes int
	notified   bool
	room       chan struct{}

	// outbound queue, filled by Send/Ping/Close, drained by the writer.
	wmu         sync.Mutex
	wqueue      []outbound
	writing     bool
	wclosed     bool
	closeQueued bool
	closeTimer  *time.Timer
	buffered    int64
	wroom       chan struct{} // closed when the writer makes room, if SendWait waits
	writers     sync.WaitGroup

	// pings sent and not yet answered, by payload.
	pmu       sync.Mutex
	pings     map[string]time.Time
	pingCount int

	closeSent chan struct{} // closed once our close frame is written
	closeOnce sync.Once
	dying     chan struct{} // closed when the connection is being torn down
	dieOnce   sync.Once
	cause     *fault // why the connection was torn down, if not by the peer
	readErr   error
	done      chan struct{}
}

// outbound is one frame waiting for the writer.
type outbound struct {
	kind int // websocket.TextMessage, BinaryMessage, PingMessage or CloseMessage
	data []byte
}

// fault records why this side tore a connection down.
type fault struct {
	code StatusCode
	err  error // reported as an Error event when not nil
}

func newConn(ws *websocket.Conn, opts Options, notify func()) *Conn {
	c := &Conn{
		ws:        ws,
		opts:      opts,
		notify:    notify,
		room:      make(chan struct{}, 1),
		pings:     make(map[string]time.Time),
		closeSent: make(chan struct{}),
		dying:     make(chan struct{}),
		done:      make(chan struct{}),
	}
	ws.SetReadLimit(opts.MaxMessageSize)
	ws.SetPingHandler(c.handlePing)
	ws.SetPongHandler(c.handlePong)
	ws.SetCloseHandler(c.handleClose)
	return c
}

// Subprotocol returns the subprotocol the server selected, or "".
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// Done is closed once the connection is gone, its Close event is queued and
// all of its goroutines have returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Events moves every queued event, in order, into the returned slice. It
// reuses the storage of buf, which the caller must be done with. The reader
// resumes if it was waiting for room.
func (c *Conn) Events(buf []Event) []Event {
	clear(buf)
	c.mu.Lock()
	out := c.queue
	c.queue = buf[:0]
	c.queueBytes = 0
	c.notified = false
	c.mu.Unlock()
	select {
	case c.room <- struct{}{}:
	default:
	}
	return out
}

// Buffered returns the bytes that Send has queued and that are not written yet.
func (c *Conn) Buffered() int64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.buffered
}

// Send queues a data message; binary selects a binary message over text. The
// connection owns data from then on. When the message would take the write
// queue above Options.WriteQueueBytes, Send queues nothing and returns an
// error wrapping ErrWriteQueueFull.
func (c *Conn) Send(binary bool, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	if !c.fitsLocked(len(data)) {
		return fmt.Errorf("%w: %d bytes are waiting and the limit is %d", ErrWriteQueueFull,
			c.buffered, c.opts.WriteQueueBytes)
	}
	c.sendLocked(binary, data)
	return nil
}

// SendWait is Send, except that while the write queue is full it waits for
// room, until ctx ends (it returns an error wrapping ctx's cause) or the
// connection goes away (it returns an error wrapping ErrClosed). It queues
// nothing when it returns an error.
func (c *Conn) SendWait(ctx context.Context, binary bool, data []byte) error {
	for {
		c.wmu.Lock()
		if err := c.writableLocked(); err != nil {
			c.wmu.Unlock()
			return err
		}
		if c.fitsLocked(len(data)) {
			c.sendLocked(binary, data)
			c.wmu.Unlock()
			return nil
		}
		if c.wroom == nil {
			c.wroom = make(chan struct{})
		}
		room := c.wroom
		c.wmu.Unlock()

		select {
		case <-room:
		case <-c.dying:
			// the next round reports why the connection went away
		case <-ctx.Done():
			return fmt.Errorf("websocket: waiting for room in the write queue: %w", context.Cause(ctx))
		}
	}
}

// fitsLocked tells whether a message of n bytes may join the write queue: a
// message larger than the limit is taken when the queue is empty.
func (c *Conn) fitsLocked(n int) bool {
	return c.buffered == 0 || c.buffered+int64(n) <= int64(c.opts.WriteQueueBytes)
}

func (c *Conn) sendLocked(binary bool, data []byte) {
	kind := websocket.TextMessage
	if binary {
		kind = websocket.BinaryMessage
	}
	c.buffered += int64(len(data))
	c.enqueueWriteLocked(outbound{kind: kind, data: data})
}

// Ping queues a ping frame whose pong, when it comes, carries the round trip
// time.
func (c *Conn) Ping() error {
	c.pmu.Lock()
	id := strconv.Itoa(c.pingCount)
	c.pingCount++
	c.pmu.Unlock()

	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	c.enqueueWriteLocked(outbound{kind: websocket.PingMessage, data: []byte(id)})
	return nil
}

// writableLocked tells why nothing more may be queued, if so.
func (c *Conn) writableLocked() error {
	switch {
	case c.wclosed:
		return ErrClosed
	case c.closeQueued:
		return ErrClosing
	}
	return nil
}

// Close starts the close handshake with code and reason, after the messages
// already queued. The connection is torn down when the peer answers, or
// after Options.CloseTimeout. Calls after the first do nothing.
func (c *Conn) Close(code StatusCode, reason string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wclosed || c.closeQueued {
		return
	}
	c.closeQueued = true
	c.closeTimer = time.AfterFunc(c.opts.CloseTimeout, func() {
		c.die(&fault{code: CloseAbnormal, err: fmt.Errorf(
			"websocket close handshake timed out: the peer did not answer within %s", c.opts.CloseTimeout)})
	})
	c.enqueueWriteLocked(outbound{kind: websocket.CloseMessage, data: websocket.FormatCloseMessage(int(code), reason)})
}

// Abort tears the connection down at once: a close frame with code is sent
// without waiting for an answer, then the TCP connection is closed.
func (c *Conn) Abort(code StatusCode) {
	c.die(&fault{code: code})
}

// enqueueWriteLocked queues m for the writer, starting one if none runs:
// the caller never blocks on the network.
func (c *Conn) enqueueWriteLocked(m outbound) {
	c.wqueue = append(c.wqueue, m)
	if c.writing {
		return
	}
	c.writing = true
	c.writers.Add(1)
	go c.writeLoop()
}

// writeLoop writes queued frames until the queue is empty, then returns.
func (c *Conn) writeLoop() {
	defer c.writers.Done()
	for {
		c.wmu.Lock()
		if len(c.wqueue) == 0 || c.wclosed {
			c.wqueue = nil
			c.writing = false
			c.wmu.Unlock()
			return
		}
		m := c.wqueue[0]
		c.wqueue[0] = outbound{}
		c.wqueue = c.wqueue[1:]
		c.wmu.Unlock()

		err := c.write(m)

		c.wmu.Lock()
		if m.kind == websocket.TextMessage || m.kind == websocket.BinaryMessage {
			c.buffered -= int64(len(m.data))
			if c.wroom != nil {
				close(c.wroom) // wakes SendWait
				c.wroom = nil
			}
		}
		c.wmu.Unlock()
		if err != nil {
			c.die(&fault{code: CloseAbnormal, err: fmt.Errorf("websocket write failed: %w", err)})
			return
		}
	}
}

func (c *Conn) write(m outbound) error {
	switch m.kind {
	case websocket.PingMessage:
		c.pmu.Lock()
		if len(c.pings) >= maxPendingPings {
			clear(c.pings) // a peer that never answers must not grow this without bound
		}
		c.pings[string(m.data)] = time.Now()
		c.pmu.Unlock()
		return c.ws.WriteControl(m.kind, m.data, time.Now().Add(controlWriteWait))
	case websocket.CloseMessage:
		err := c.ws.WriteControl(m.kind, m.data, time.Now().Add(controlWriteWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil // the peer closed first and we already answered it
		}
		c.markCloseSent()
		return err
	default:
		return c.ws.WriteMessage(m.kind, m.data)
	}
}

func (c *Conn) markCloseSent() { c.closeOnce.Do(func() { close(c.closeSent) }) }

func (c *Conn) closeWasSent() bool {
	select {
	case <-c.closeSent:
		return true
	default:
		return false
	}
}

// die tears the connection down for cause f, once: it stops the writer,
// sends a close frame where f asks for one, and closes the TCP connection,
// which ends the reader.
func (c *Conn) die(f *fault) {
	c.dieOnce.Do(func() {
		c.wmu.Lock()
		c.cause = f
		c.wclosed = true
		c.wmu.Unlock()
		close(c.dying)
		if f != nil && f.code != CloseAbnormal && !c.closeWasSent() {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(int(f.code), ""),
				time.Now().Add(interruptWriteWait))
			c.markCloseSent()
		}
		_ = c.ws.Close()
	})
}

// readLoop is the connection's reader goroutine.
func (c *Conn) readLoop() {
	defer c.finish()
	for {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			c.readErr = err
			return
		}
		ev := Event{Kind: Binary}
		if kind == websocket.TextMessage {
			ev.Kind = Text
		}
		ev.Data, err = readMessage(r, c.opts.MaxMessageSize)
		ev.Time = time.Now()
		var tooBig *messageTooBigError
		if errors.As(err, &tooBig) {
			c.die(&fault{code: CloseMessageTooBig, err: err})
			return
		}
		if err != nil {
			c.readErr = err
			return
		}
		if ev.Kind == Text && !utf8.Valid(ev.Data) {
			c.die(&fault{code: CloseInvalidPayload, err: errors.New(
				"websocket: received a text message that is not valid UTF-8")})
			return
		}
		if !c.enqueue(ev) {
			return
		}
	}
}

// enqueue adds ev to the inbound queue, waiting for room while it is full.
// It returns false when the connection is torn down meanwhile.
func (c *Conn) enqueue(ev Event) bool {
	for {
		c.mu.Lock()
		if len(c.queue) < c.opts.QueueMessages &&
			(len(c.queue) == 0 || c.queueBytes+len(ev.Data) <= c.opts.QueueBytes) {
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
	err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(controlWriteWait))
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answering ping: %w", err)
	}
	c.enqueue(Event{Kind: Ping, Time: time.Now(), Data: []byte(data)})
	return nil
}

func (c *Conn) handlePong(data string) error {
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

// handleClose answers the peer's close frame with the same code unless we
// sent ours first.
func (c *Conn) handleClose(code int, _ string) error {
	if c.closeWasSent() {
		return nil
	}
	answer := websocket.FormatCloseMessage(code, "")
	if StatusCode(code) == CloseNoStatus {
		answer = []byte{}
	}
	err := c.ws.WriteControl(websocket.CloseMessage, answer, time.Now().Add(controlWriteWait))
	c.markCloseSent()
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answering close frame: %w", err)
	}
	return nil
}

// finish runs when the reader returns: it tears the connection down, waits
// for the writer and queues the final events.
func (c *Conn) finish() {
	c.die(nil)
	if c.stop != nil {
		c.stop()
	}
	c.wmu.Lock()
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	c.wmu.Unlock()
	c.writers.Wait()

	final := c.closeEvents()
	c.mu.Lock()
	c.queue = append(c.queue, final...)
	wake := !c.notified
	c.notified = true
	c.mu.Unlock()
	close(c.done)
	if wake {
		c.notify()
	}
}

// closeEvents works out the Error (if any) and Close events that end the
// connection.
func (c *Conn) closeEvents() []Event {
	now := time.Now()
	closed := Event{Kind: Close, Time: now, Code: CloseAbnormal}
	var ce *websocket.CloseError
	var fault error
	switch {
	case errors.As(c.readErr, &ce) && StatusCode(ce.Code) == CloseAbnormal:
		// gorilla reports a TCP connection that ended without a close frame
		// as a 1006 close error.
		fault = fmt.Errorf("websocket: the connection was dropped without a close frame: %w", io.ErrUnexpectedEOF)
	case errors.As(c.readErr, &ce):
		closed.Code, closed.Reason, closed.Clean = StatusCode(ce.Code), ce.Text, true
	case errors.Is(c.readErr, websocket.ErrReadLimit):
		closed.Code = CloseMessageTooBig
		fault = fmt.Errorf("websocket: received a message larger than maxMessageSize (%d bytes)", c.opts.MaxMessageSize)
	case c.cause != nil:
		closed.Code = c.cause.code
		fault = c.cause.err
	case isNetworkError(c.readErr):
		fault = c.readErr
	case c.readErr != nil:
		closed.Code = CloseProtocolError
		fault = c.readErr
	}
	if fault == nil {
		return []Event{closed}
	}
	return []Event{{Kind: Error, Time: now, Err: fault}, closed}
}

func isNetworkError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne)
}
