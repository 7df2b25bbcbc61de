package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// toxiproxyStuckLinks are the goroutines of Toxiproxy's connection links,
// which TestMain's leak check ignores. A toxic that ends a connection
// (limit_data, reset_peer) stops reading its input for good, and the
// goroutines before it in the link (the reader of the socket, the toxics
// earlier in the chain) stay blocked sending to it: a leak of Toxiproxy
// v2.12.0 itself, in this test process only (k6 runs in its own). Every
// other goroutine of Toxiproxy (its listeners, its API) must be gone.
var toxiproxyStuckLinks = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
}

// faultInjector is Toxiproxy run in the test process: proxies on 127.0.0.1
// that k6 connects through to the echo server, each with its toxics (the
// faults it injects), and Toxiproxy's HTTP API, through which a script
// adds or removes toxics in the middle of a session.
type faultInjector struct {
	server *toxiproxy.ApiServer
	api    *httptest.Server
}

// toxic is one fault of a proxy, as Toxiproxy's API takes it: Type is one
// of latency, bandwidth, slicer, limit_data, reset_peer, timeout,
// slow_close; Stream is "downstream" (towards k6, the default) or
// "upstream" (towards the server). A Dormant toxic (toxicity 0) acts on no
// connection until a script sets its toxicity to 1 through the API; it is
// there from the start because Toxiproxy sets up a connection for a
// reset_peer toxic (SO_LINGER 0, so that closing it resets it) only when
// the toxic exists as the connection opens.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream,omitempty"`
	Dormant    bool           `json:"-"`
	Attributes map[string]int `json:"attributes"`
}

// bothWays returns t once for each direction, named name-up and name-down.
func bothWays(t toxic) []toxic {
	up, down := t, t
	up.Name, up.Stream = t.Name+"-up", "upstream"
	down.Name, down.Stream = t.Name+"-down", "downstream"
	return []toxic{up, down}
}

// startFaultInjector starts Toxiproxy's API on 127.0.0.1 and stops it and
// every proxy, closing their connections, when the test ends.
func startFaultInjector(t *testing.T) *faultInjector {
	t.Helper()
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	api := httptest.NewServer(server.Routes())
	t.Cleanup(func() {
		api.Close()
		if err := server.Collection.Clear(); err != nil {
			t.Errorf("toxiproxy: stopping the proxies: %v", err)
		}
	})
	return &faultInjector{server: server, api: api}
}

// URL is the base URL of Toxiproxy's HTTP API.
func (f *faultInjector) URL() string {
	return f.api.URL
}

// proxy starts a proxy called name on a free port of 127.0.0.1 in front of
// upstream (host:port), with toxics, and returns the address it listens on.
func (f *faultInjector) proxy(t *testing.T, name, upstream string, toxics ...toxic) string {
	t.Helper()
	p := toxiproxy.NewProxy(f.server, name, "127.0.0.1:0", upstream)
	require.NoError(t, f.server.Collection.Add(p, true), "toxiproxy: starting proxy %s", name)
	for _, tx := range toxics {
		toxicity := 1
		if tx.Dormant {
			toxicity = 0
		}
		body, err := json.Marshal(struct {
			toxic
			Toxicity int `json:"toxicity"`
		}{tx, toxicity})
		require.NoError(t, err)
		_, err = p.Toxics.AddToxicJson(strings.NewReader(string(body)))
		require.NoError(t, err, "toxiproxy: adding toxic %s to proxy %s", tx.Name, name)
	}
	return p.Listen
}
