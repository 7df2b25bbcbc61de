package echoserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// route is one path the handler serves.
type route struct {
	path    string
	query   string // accepted parameters with their defaults, for the help
	summary string
	serve   func(h *Handler, w http.ResponseWriter, r *http.Request)
}

func routeTable() []route {
	return []route{
		{"/", "", "this help (plain HTTP)", (*Handler).serveHelp},
		{"/echo", "", "echoes every text/binary message with its type; answers close with the same code",
			(*Handler).serveEcho},
		{"/push", "count=0&size=16&interval=0&binary=false",
			"sends count messages (0 = until the client closes) of size bytes, interval apart (0 = flood)",
			(*Handler).servePush},
		{"/chat", "room=lobby&self=true",
			"broadcasts each message to the room (self=false skips the sender); a member whose queue of 256 fills is closed with 1008",
			(*Handler).serveChat},
		{"/close", "code=1000&reason=&after=0",
			"echoes after messages, then closes with code and reason; waits 2s for the reply",
			(*Handler).serveClose},
		{"/status", "code=403&body=refused",
			"refuses the upgrade with HTTP code, header X-Refused: true and a text body",
			(*Handler).serveStatus},
		{"/headers", "set-cookie=NAME=VALUE",
			"sends the request's headers, cookies, subprotocol and extensions as JSON, then echoes; set-cookie adds a Set-Cookie to the 101",
			(*Handler).serveHeaders},
		{"/ping", "count=1&interval=0&payload=srv-ping",
			"sends count pings (0 = until closed, needs interval > 0), counts pongs, echoes",
			(*Handler).servePing},
		{"/pong", "count=1", "sends count unsolicited pongs, then echoes", (*Handler).servePong},
		{"/hang", "", "takes the connection and never answers the handshake", (*Handler).serveHang},
		{"/garbage", "", "answers the handshake with bytes that are not HTTP, then closes", (*Handler).serveGarbage},
		{"/drop", "after=0&mode=fin", "echoes after messages, then drops TCP without a close frame (mode rst: with a reset)",
			(*Handler).serveDrop},
		{"/noclose", "", "echoes, but never answers the client's close frame", (*Handler).serveNoClose},
		{"/big", "size=1048576", "sends one binary message of size bytes, then echoes", (*Handler).serveBig},
		{"/deflate-bomb", "size=268435456",
			"needs permessage-deflate: sends one binary message of size zero bytes, compressed about 800-fold, then echoes",
			(*Handler).serveDeflateBomb},
		{"/invalid-utf8", "", "sends a text message that is not UTF-8, then echoes", (*Handler).serveInvalidUTF8},
		{"/fragmented", "parts=3&size=3000", "sends one text message of size bytes in parts frames, then echoes",
			(*Handler).serveFragmented},
		{"/slowread", "", "completes the handshake, then never reads, until the client goes", (*Handler).serveSlowRead},
		{"/rpc", "delay=0&never=false",
			`answers each JSON text message with an "id" with {"id":<its id>,"result":<the message>}, delay after it came, or never`,
			(*Handler).serveRPC},
		{"/heartbeat", "interval=200ms&timeout=100ms&ping=2&pong=3",
			"sends the text ping every interval, closes with 1008 when pong does not come back within timeout; echoes the rest",
			(*Handler).serveHeartbeat},
	}
}

// HelpText describes the routes and their query parameters with defaults;
// GET / serves it under a title.
func HelpText() string {
	var b strings.Builder
	b.WriteString("Every WebSocket route picks the first subprotocol the client offers; ")
	b.WriteString("add protocols=a,b to pick only from that list.\n")
	b.WriteString("Bad query values get HTTP 400; a WebSocket route without an upgrade gets 426.\n\n")
	for _, rt := range routeTable() {
		path := rt.path
		if rt.query != "" {
			path += "?" + rt.query
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", path, rt.summary)
	}
	return b.String()
}

func (h *Handler) serveHelp(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	if q.err != nil {
		http.Error(w, q.err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "xk6-ws echo server\n\n"+HelpText()) // a failed write means the client left
}
