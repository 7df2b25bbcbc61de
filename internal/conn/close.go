package conn

import (
	"errors"
	"strconv"
)

// StatusCode is a WebSocket close code (RFC 6455 section 7.4).
type StatusCode int

// Close codes of RFC 6455 section 7.4.1 that this package reports itself.
const (
	CloseNormal         StatusCode = 1000
	CloseGoingAway      StatusCode = 1001
	CloseProtocolError  StatusCode = 1002
	CloseNoStatus       StatusCode = 1005
	CloseAbnormal       StatusCode = 1006
	CloseInvalidPayload StatusCode = 1007
	CloseMessageTooBig  StatusCode = 1009
)

// MaxCloseReason is the longest reason a close frame can carry, in bytes:
// RFC 6455 section 5.5 bounds a control frame's payload to 125 bytes, and
// the close code takes 2 of them.
const MaxCloseReason = 123

// names of the codes of RFC 6455 section 7.4.1 and of the IANA registry
// that a close error spells out.
var codeNames = map[StatusCode]string{
	CloseNormal:         "normal",
	CloseGoingAway:      "going away",
	CloseProtocolError:  "protocol error",
	1003:                "unsupported data",
	CloseNoStatus:       "no status",
	CloseAbnormal:       "abnormal closure",
	CloseInvalidPayload: "invalid payload data",
	1008:                "policy violation",
	CloseMessageTooBig:  "message too big",
	1010:                "mandatory extension missing",
	1011:                "internal server error",
	1015:                "TLS handshake error",
}

// String returns the code with its name, e.g. "1000 (normal)", or the bare
// number when the code has no name.
func (c StatusCode) String() string {
	s := strconv.Itoa(int(c))
	if name, ok := codeNames[c]; ok {
		s += " (" + name + ")"
	}
	return s
}

// CloseError is a close frame's code and reason.
type CloseError struct {
	Code   StatusCode
	Reason string
}

// Error spells the close out the way gorilla/websocket, and so k6, does:
// "websocket: close 4001: bye".
func (e *CloseError) Error() string {
	s := "websocket: close " + e.Code.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// CloseStatus returns the code of the *CloseError in err's chain, or -1.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
