package websockets

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// streamPeer is a WebSocket server for one connection whose every move the
// test makes: it reports the messages it receives, and sends or closes when
// told to. It tells when things happen that the echo server cannot.
type streamPeer struct {
	t        *testing.T
	url      string
	received chan string
	actions  chan func(*websocket.Conn) error
}

// errPeerDone ends the peer's connection after an action.
var errPeerDone = errors.New("the peer is done")

func newStreamPeer(t *testing.T) *streamPeer {
	t.Helper()
	p := &streamPeer{t: t, received: make(chan string, 64), actions: make(chan func(*websocket.Conn) error)}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				select {
				case p.received <- string(data):
				case <-done:
					return
				}
			}
		}()
		for {
			select {
			case act := <-p.actions:
				if err := act(c); err != nil {
					select { // the client's answer to a close frame
					case <-reading:
					case <-done:
					}
					return
				}
			case <-done:
				return
			}
		}
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	p.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return p
}

// next returns the next message the peer received.
func (p *streamPeer) next() string {
	p.t.Helper()
	select {
	case msg := <-p.received:
		return msg
	case <-time.After(runTimeout):
		p.t.Fatal("the peer received no message")
		return ""
	}
}

// do runs act on the peer's connection.
func (p *streamPeer) do(act func(*websocket.Conn) error) {
	p.t.Helper()
	select {
	case p.actions <- act:
	case <-time.After(runTimeout):
		p.t.Fatal("the peer has no connection")
	}
}

// send sends a text message.
func (p *streamPeer) send(msg string) {
	p.t.Helper()
	p.do(func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, []byte(msg)) })
}

// close sends a close frame with code and reason and waits for the answer.
func (p *streamPeer) close(code int, reason string) {
	p.t.Helper()
	p.do(func(c *websocket.Conn) error {
		err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason),
			time.Now().Add(runTimeout))
		return errors.Join(errPeerDone, err)
	})
}

// requireRunning fails the test if the iteration iteration has ended.
func requireRunning(t *testing.T, iteration <-chan error, what string) {
	t.Helper()
	select {
	case err := <-iteration:
		require.Failf(t, "the iteration ended", "%s (its error: %v)", what, err)
	default:
	}
}

// global returns the exported value of a global variable, nil when the
// script never set it.
func (e *env) global(name string) any {
	v := e.rt.Get(name)
	if v == nil {
		return nil
	}
	return v.Export()
}
