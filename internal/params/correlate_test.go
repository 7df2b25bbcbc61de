package params_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

func TestCorrelateByJSONPath(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{ correlate: {
		request: { json: "params.id" }, reply: { json: "id" }, timeout: "2s", name: "rpc", maxOpen: 10 } }`, classAPI)
	require.NoError(t, err)
	require.NotNil(t, p.Correlate)
	assert.False(t, p.Correlate.FIFO)
	assert.Equal(t, 2*time.Second, p.Correlate.Timeout)
	assert.Equal(t, "rpc", p.Correlate.Name)
	assert.Equal(t, 10, p.Correlate.MaxOpen)
	key, ok := p.Correlate.Request.Key([]byte(`{"params":{"id":5}}`))
	assert.True(t, ok)
	assert.Equal(t, "5", key)
	key, ok = p.Correlate.Reply.Key([]byte(`{"id":5}`))
	assert.True(t, ok)
	assert.Equal(t, "5", key)
}

func TestCorrelateByRegexAndFIFO(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{ correlate: { request: { regex: "^42(\\d+)" }, reply: { regex: "^43(\\d+)" } } }`, socketAPI)
	require.NoError(t, err)
	key, ok := p.Correlate.Reply.Key([]byte(`4317["ok"]`))
	assert.True(t, ok)
	assert.Equal(t, "17", key)

	p, err = parse(t, `{ correlate: { fifo: true } }`, socketAPI)
	require.NoError(t, err)
	assert.True(t, p.Correlate.FIFO)

	p, err = parse(t, `{ correlate: null }`, socketAPI)
	require.NoError(t, err)
	assert.Nil(t, p.Correlate)
}

func TestBadCorrelate(t *testing.T) {
	t.Parallel()
	for js, want := range map[string]string{
		`{ correlate: "id" }`:                                                     `params.correlate must be an object such as`,
		`{ correlate: {} }`:                                                       `params.correlate needs both request and reply`,
		`{ correlate: { request: { json: "id" } } }`:                              `params.correlate needs both request and reply`,
		`{ correlate: { fifo: true, request: { json: "id" } } }`:                  `fifo: true matches replies by their order; it takes no request or reply`,
		`{ correlate: { fifo: "yes" } }`:                                          `params.correlate.fifo must be true or false, got string "yes"`,
		`{ correlate: { fifo: true, timeout: "soon" } }`:                          `params.correlate.timeout must be a duration such as "1s" or "500ms", got "soon"`,
		`{ correlate: { fifo: true, maxOpen: 0 } }`:                               `params.correlate.maxOpen must be a whole number of requests greater than zero, got 0`,
		`{ correlate: { fifo: true, name: 3 } }`:                                  `params.correlate.name must be a string, got number 3`,
		`{ correlate: { fifo: true, size: 3 } }`:                                  `unknown key size in params.correlate (allowed: request, reply, fifo, timeout, name, maxOpen)`,
		`{ correlate: { request: { xpath: "id" }, reply: { json: "id" } } }`:      `params.correlate.request must be { json: "a.dotted.path" } or { regex: "an expression with a (group)" }, got keys xpath`,
		`{ correlate: { request: { json: "a..b" }, reply: { json: "id" } } }`:     `params.correlate.request.json: the JSON path "a..b" has an empty segment`,
		`{ correlate: { request: { regex: "^42\\d+" }, reply: { json: "id" } } }`: `params.correlate.request.regex: the regular expression "^42\\d+" has no group: its first group is the key`,
		`{ correlate: { request: { json: "id" }, reply: { regex: "(" } } }`:       `params.correlate.reply.regex: invalid regular expression "("`,
	} {
		_, err := parse(t, js, classAPI)
		require.Error(t, err, js)
		assert.Contains(t, err.Error(), want, js)
		assert.Contains(t, err.Error(), "WebSocket: ", "the error names the API")
	}
}

func TestAutoReply(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{ autoReply: [{ receive: "2", send: "3" }, { receive: "ping", send: "" }] }`, classAPI)
	require.NoError(t, err)
	assert.Equal(t, []conn.AutoReply{{Receive: "2", Send: "3"}, {Receive: "ping", Send: ""}}, p.Options.AutoReply)

	for js, want := range map[string]string{
		`{ autoReply: { receive: "2", send: "3" } }`:                 `params.autoReply must be an array of { receive: "text", send: "text" }, got Object`,
		`{ autoReply: ["2"] }`:                                       `params.autoReply[0] must be an object such as { receive: "text", send: "text" }, got string "2"`,
		`{ autoReply: [{ receive: "2" }] }`:                          `params.autoReply[0] needs both receive and send, strings`,
		`{ autoReply: [{ receive: 2, send: "3" }] }`:                 `params.autoReply[0].receive must be a string, got number 2`,
		`{ autoReply: [{ receive: "2", send: "3", binary: true }] }`: `unknown key binary in params.autoReply[0] (allowed: receive, send)`,
	} {
		_, err := parse(t, js, socketAPI)
		require.Error(t, err, js)
		assert.Contains(t, err.Error(), want, js)
	}
}
