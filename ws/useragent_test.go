package ws_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"gopkg.in/guregu/null.v3"
)

// The User-Agent of the handshake is k6's userAgent option, set or default,
// unless params.headers has one; an empty option sends none, as in k6.
func TestHandshakeUserAgent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		option  null.String
		headers string
		want    string
	}{
		// k6 holds its default (`Grafana k6/VERSION`) as an option that is not Valid.
		{"k6's default", null.NewString("Grafana k6/1.8.1", false), `{}`, "Grafana k6/1.8.1"},
		{"set", null.StringFrom("custom/2"), `{}`, "custom/2"},
		{"headers win", null.StringFrom("custom/2"), `{"User-Agent": "mine"}`, "mine"},
		{"empty sends none", null.StringFrom(""), `{}`, "none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.State.Options.UserAgent = tc.option
			got := h.runJSON(t, `
				var ua;
				ws.connect(WS + "/headers", {headers: `+tc.headers+`}, function(socket) {
					socket.on("message", function(data) {
						ua = JSON.parse(data).headers["User-Agent"];
						socket.close();
					});
				});
				ua === undefined ? "none" : ua`)
			assert.Equal(t, tc.want, got)
		})
	}
}
