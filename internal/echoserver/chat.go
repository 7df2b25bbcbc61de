package echoserver

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// chatQueueSize is how many messages may wait for one member.
	chatQueueSize = 256
	// chatReadLimit is the largest message a member may send.
	chatReadLimit = 16 << 20
	// chatWriteTimeout bounds writing one message to a member that reads
	// nothing. It is long: a member that does not read is kicked when its
	// queue fills, and a write that timed out would leave no way to send
	// that member its 1008 close frame.
	chatWriteTimeout = time.Minute
	maxRoomLen       = 256
)

// errKicked ends a member whose queue overflowed.
var errKicked = errors.New("chat send queue full")

// chatHub holds the rooms of /chat.
type chatHub struct {
	mu    sync.Mutex
	rooms map[string]map[*chatMember]struct{}
}

// chatMessage is one broadcast, prepared once for every member.
type chatMessage struct {
	pm   *websocket.PreparedMessage
	size int64
}

// chatMember is one connection in a room.
type chatMember struct {
	s        *session
	self     bool // whether the member receives its own messages
	queue    chan chatMessage
	kicked   chan struct{}
	kickOnce sync.Once
}

func (c *chatHub) join(room string, m *chatMember) {
	c.mu.Lock()
	defer c.mu.Unlock()
	members, ok := c.rooms[room]
	if !ok {
		members = make(map[*chatMember]struct{})
		c.rooms[room] = members
	}
	members[m] = struct{}{}
}

func (c *chatHub) leave(room string, m *chatMember) {
	c.mu.Lock()
	defer c.mu.Unlock()
	members := c.rooms[room]
	delete(members, m)
	if len(members) == 0 {
		delete(c.rooms, room)
	}
}

// broadcast queues msg for every member of room (but the sender unless it
// asked for its own messages) without ever blocking: a member whose queue is
// full is kicked.
func (c *chatHub) broadcast(room string, from *chatMember, msg chatMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for m := range c.rooms[room] {
		if m == from && !from.self {
			continue
		}
		select {
		case m.queue <- msg:
		default:
			m.kick()
		}
	}
}

func (m *chatMember) kick() {
	m.kickOnce.Do(func() { close(m.kicked) })
}

func (m *chatMember) isKicked() bool {
	select {
	case <-m.kicked:
		return true
	default:
		return false
	}
}

func (h *Handler) serveChat(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "room", "self")
	room := q.text("room", "lobby", maxRoomLen, true)
	self := q.boolean("self", true)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	m := &chatMember{
		s:      s,
		self:   self,
		queue:  make(chan chatMessage, chatQueueSize),
		kicked: make(chan struct{}),
	}
	h.chat.join(room, m)
	defer h.chat.leave(room, m)
	s.goRun(m.writeLoop)
	s.end(r.URL.Path, m.readLoop(&h.chat, room))
}

// readLoop broadcasts the member's messages until its connection ends.
func (m *chatMember) readLoop(hub *chatHub, room string) error {
	m.s.conn.SetReadLimit(chatReadLimit)
	for {
		typ, data, err := m.s.conn.ReadMessage()
		if err != nil {
			return err
		}
		if !m.isKicked() {
			pm, err := websocket.NewPreparedMessage(typ, data)
			if err != nil {
				return err
			}
			hub.broadcast(room, m, chatMessage{pm: pm, size: int64(len(data))})
		}
		m.s.h.stats.received(int64(len(data)))
	}
}

// writeLoop delivers queued messages. When the member is kicked, or a write
// fails, it sends a close frame (1008 when kicked) so the read loop ends.
func (m *chatMember) writeLoop() {
	err := m.deliver()
	switch {
	case m.s.ctx.Err() != nil:
		// The session is over: nothing to tell the client.
	case errors.Is(err, errKicked):
		m.s.closeWith(websocket.ClosePolicyViolation, errKicked.Error())
	case err != nil:
		m.s.closeWith(websocket.CloseInternalServerErr, "write failed")
	}
}

// deliver writes queued messages until the session ends (nil), the member
// is kicked or a write fails.
func (m *chatMember) deliver() error {
	for {
		if m.isKicked() {
			return errKicked
		}
		select {
		case msg := <-m.queue:
			_ = m.s.conn.SetWriteDeadline(time.Now().Add(chatWriteTimeout)) // always nil
			m.s.h.stats.sent(msg.size)
			if err := m.s.conn.WritePreparedMessage(msg.pm); err != nil {
				return err
			}
		case <-m.kicked:
			return errKicked
		case <-m.s.ctx.Done():
			return nil
		}
	}
}
