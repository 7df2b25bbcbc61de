package conn

// MaxCloseReason is the longest reason a close frame can carry, in bytes:
// RFC 6455 section 5.5 bounds a control frame's payload to 125 bytes, and
// the close code takes 2 of them.
const MaxCloseReason = 123
