package conn_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// The loop that both JavaScript APIs implement: dial with a notify function
// that wakes the owner, drain the events it announces, send, close, and stop
// at the Close event, the last one.
func Example() {
	srv, err := echoserver.Start(echoserver.Options{}) // on 127.0.0.1
	if err != nil {
		fmt.Println("starting the echo server:", err)
		return
	}
	defer func() { _ = srv.Close() }()

	wake := make(chan struct{}, 1)
	notify := func() { // called from the connection's goroutines: never blocks
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	c, hs, err := conn.Dial(context.Background(), conn.Target{URL: srv.URL() + "/echo"}, conn.Options{}, notify)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	fmt.Println("handshake:", hs.Status)
	if err := c.Send(false, []byte("hello")); err != nil {
		fmt.Println("send:", err)
	}

	var events []conn.Event // storage that Events reuses
	bound := time.After(10 * time.Second)
	for {
		select {
		case <-wake:
		case <-bound:
			fmt.Println("no Close event within 10s")
			c.Abort(conn.CloseGoingAway)
			<-c.Done()
			return
		}
		events = c.Events(events)
		for _, ev := range events {
			switch ev.Kind {
			case conn.Text:
				fmt.Printf("message: %s\n", ev.Data)
				c.Close(conn.CloseNormal, "done")
			case conn.Error:
				fmt.Println("error:", ev.Err)
			case conn.Close:
				fmt.Printf("close: %s, clean: %t\n", ev.Code, ev.Clean)
				fmt.Println("send after close:", c.Send(false, []byte("late")))
				<-c.Done() // its goroutines have returned
				return
			default: // binary messages, pings and pongs: none in this exchange
			}
		}
	}
	// Output:
	// handshake: 101
	// message: hello
	// close: 1000 (normal), clean: true
	// send after close: websocket is closed: Close was called
}
