package ws

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// The fuzz targets check the argument validation of the Socket API: what a
// script passes is either accepted and valid, or refused with an error that
// names the method; nothing panics. Their seed corpora are under
// testdata/fuzz; `make fuzz` runs each for a bounded time.

// FuzzCloseArgs feeds any code (as a number and as a string) and reason to
// socket.close's argument check: an accepted code is one RFC 6455 lets an
// endpoint send, an accepted reason is valid UTF-8 of at most 123 bytes, and
// anything else is an error naming socket.close.
func FuzzCloseArgs(f *testing.F) {
	for _, seed := range []struct {
		code     float64
		codeText string
		reason   string
	}{
		{1000, "1000", ""}, {1001, "4999", "bye"}, {1004, "abc", "é"}, {1005, "1001.9", strings.Repeat("x", 123)},
		{1006, "0x3e8", strings.Repeat("x", 124)}, {1015, "-1", "\xff\xfe"}, {2999.9, "", strings.Repeat("é", 62)},
		{math.Inf(1), "Infinity", "\x00"}, {math.NaN(), "NaN", "ok"}, {5000, " 3000 ", strings.Repeat("é", 61)},
		{65536 + 1000, "1e3", "a"}, {-1000, "1014", "b"},
	} {
		f.Add(seed.code, seed.codeText, seed.reason)
	}
	rt := sobek.New()
	f.Fuzz(func(t *testing.T, code float64, codeText, reason string) {
		for _, v := range []sobek.Value{rt.ToValue(code), rt.ToValue(codeText)} {
			got, _, err := closeArgs([]sobek.Value{v})
			if err != nil {
				if !strings.HasPrefix(err.Error(), "socket.close: code must be ") {
					t.Fatalf("closeArgs(%v): the error must name socket.close and the allowed codes: %v", v, err)
				}
				continue
			}
			if !sendable(got) {
				t.Fatalf("closeArgs(%v) accepted code %d, which an endpoint must not send", v, got)
			}
		}
		defaultCode, got, err := closeArgs([]sobek.Value{sobek.Undefined(), rt.ToValue(reason)})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "socket.close: reason must be valid UTF-8 of at most 123 bytes") {
				t.Fatalf("closeArgs(reason %q): the error must name socket.close and the limit: %v", reason, err)
			}
			return
		}
		if defaultCode != 1001 {
			t.Fatalf("closeArgs without a code gave %d, want 1001 (going away), as in k6", defaultCode)
		}
		if len(got) > conn.MaxCloseReason || !utf8.ValidString(got) {
			t.Fatalf("closeArgs(reason %q) accepted %q: %d bytes, valid UTF-8: %t", reason, got, len(got), utf8.ValidString(got))
		}
	})
}

// sendable reports whether RFC 6455 (section 7.4) and the IANA registry let
// an endpoint put code in a close frame.
func sendable(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code < 1000 || code > 1014:
		return false
	}
	// 1004 is reserved; 1005 and 1006 must never be sent; 1015 is TLS.
	return code != 1004 && code != 1005 && code != 1006
}
