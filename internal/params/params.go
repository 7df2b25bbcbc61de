// Package params turns the params object a script passes to ws.connect or
// new WebSocket into connection options and metric tags, with errors that
// name the offending key and what it accepts.
package params

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	httpmodule "go.k6.io/k6/js/modules/k6/http"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/types"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/correlate"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// Rules are the rules of the API that parses the params: how errors name it
// and which keys it accepts.
type Rules struct {
	// Name is how errors name the call, e.g. "ws.connect" or "WebSocket".
	Name string
	// Strict rejects unknown keys, as the WebSocket class of k6 does; the
	// k6/ws API ignores them, as k6 does.
	Strict bool
	// Subprotocols accepts the subprotocols key (k6/ws only: the WebSocket
	// class takes them as its second argument).
	Subprotocols bool
}

// Params is a parsed params object.
type Params struct {
	// Options are the connection options (header, jar, limits, ...).
	Options conn.Options
	// Tags are the VU's current tags with the script's own added.
	Tags k6metrics.TagsAndMeta
	// Correlate says how replies are matched with requests; nil without
	// params.correlate.
	Correlate *correlate.Spec
}

// keys lists every key that some API accepts, for error messages.
var keys = []string{
	"headers", "tags", "jar", "compression", "subprotocols",
	"handshakeTimeout", "closeTimeout", "maxMessageSize",
	"writeQueueBytes", "readQueueBytes", "readQueueMessages",
	"correlate", "autoReply",
}

// Parse reads v (undefined, null or an object) under rules. The
// defaults come from state: its tags, its cookie jar and its User-Agent.
func Parse(rt *sobek.Runtime, state *lib.State, v sobek.Value, rules Rules) (Params, error) {
	p := Params{
		Options: conn.Options{Header: make(http.Header)},
		Tags:    state.Tags.GetCurrentValues(),
	}
	if state.CookieJar != nil {
		p.Options.Jar = state.CookieJar
	}
	// k6's default userAgent is an option that is not Valid: like k6, send
	// the value whether set or default, and send none when it is empty.
	p.Options.Header.Set("User-Agent", state.Options.UserAgent.String)
	if common.IsNullish(v) {
		return p, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || jsval.IsArray(rt, obj) {
		return p, fmt.Errorf("%s: params must be an object, got %s", rules.Name, jsval.Describe(v))
	}
	for _, key := range obj.Keys() {
		if err := p.set(rt, rules, key, obj.Get(key)); err != nil {
			return p, fmt.Errorf("%s: %w", rules.Name, err)
		}
	}
	return p, nil
}

func (p *Params) set(rt *sobek.Runtime, rules Rules, key string, v sobek.Value) error {
	var err error
	switch key {
	case "headers":
		err = p.setHeaders(rt, v)
	case "tags":
		if _, isObj := v.(*sobek.Object); !isObj && !common.IsNullish(v) {
			return fmt.Errorf("invalid params.tags: must be an object of tag names to values, got %s", jsval.Describe(v))
		}
		if err = common.ApplyCustomUserTags(rt, &p.Tags, v); err != nil {
			err = fmt.Errorf("invalid params.tags: %w", err)
		}
	case "jar":
		err = p.setJar(v)
	case "compression":
		p.Options.Compression, err = compression(v)
	case "subprotocols":
		if !rules.Subprotocols {
			return unknownKey(rules, key)
		}
		p.Options.Subprotocols, err = Subprotocols(rt, v, "params.subprotocols")
	case "handshakeTimeout":
		p.Options.HandshakeTimeout, err = duration(v, "params.handshakeTimeout")
	case "closeTimeout":
		p.Options.CloseTimeout, err = duration(v, "params.closeTimeout")
	case "maxMessageSize":
		p.Options.MaxMessageSize, err = count(v, "params.maxMessageSize", "bytes")
	case "writeQueueBytes":
		p.Options.WriteQueueBytes, err = intCount(v, "params.writeQueueBytes", "bytes")
	case "readQueueBytes":
		p.Options.QueueBytes, err = intCount(v, "params.readQueueBytes", "bytes")
	case "readQueueMessages":
		p.Options.QueueMessages, err = intCount(v, "params.readQueueMessages", "messages")
	case "correlate":
		p.Correlate, err = parseCorrelate(rt, v)
	case "autoReply":
		p.Options.AutoReply, err = parseAutoReply(rt, v)
	default:
		return unknownKey(rules, key)
	}
	return err
}

func unknownKey(rules Rules, key string) error {
	if !rules.Strict {
		return nil
	}
	allowed := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "subprotocols" || rules.Subprotocols {
			allowed = append(allowed, k)
		}
	}
	return fmt.Errorf("unknown WebSocket's option %s (allowed: %s)", key, strings.Join(allowed, ", "))
}

func (p *Params) setHeaders(rt *sobek.Runtime, v sobek.Value) error {
	if common.IsNullish(v) {
		return nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || jsval.IsArray(rt, obj) {
		return fmt.Errorf("params.headers must be an object of header names to values, got %s", jsval.Describe(v))
	}
	for _, name := range obj.Keys() {
		value := obj.Get(name)
		if common.IsNullish(value) {
			continue
		}
		if _, isObj := value.(*sobek.Object); isObj {
			return fmt.Errorf("params.headers[%s] must be a string, number or boolean, got %s", jsval.Quote(name), jsval.Describe(value))
		}
		p.Options.Header.Set(name, value.String())
	}
	return nil
}

func (p *Params) setJar(v sobek.Value) error {
	if common.IsNullish(v) {
		return nil
	}
	jar, ok := v.Export().(*httpmodule.CookieJar)
	if !ok || jar == nil || jar.Jar == nil {
		return fmt.Errorf("params.jar must be a CookieJar from k6/http (http.cookieJar() or new http.CookieJar()), got %s",
			jsval.Describe(v))
	}
	p.Options.Jar = jar.Jar
	return nil
}

func compression(v sobek.Value) (bool, error) {
	if common.IsNullish(v) {
		return false, nil
	}
	algo := strings.TrimSpace(v.String())
	switch algo {
	case "":
		return false, nil
	case "deflate":
		return true, nil
	default:
		return false, fmt.Errorf("unsupported compression algorithm '%s', supported algorithm is 'deflate'", algo)
	}
}

// Subprotocols reads a subprotocol string or array of strings; what names v
// in errors.
func Subprotocols(rt *sobek.Runtime, v sobek.Value, what string) ([]string, error) {
	if common.IsNullish(v) {
		return nil, nil
	}
	obj, isObj := v.(*sobek.Object)
	if !isObj {
		if !isString(v) {
			return nil, fmt.Errorf("%s must be a string or an array of strings, got %s", what, jsval.Describe(v))
		}
		return checkTokens([]string{v.String()}, what)
	}
	if !jsval.IsArray(rt, obj) {
		return nil, fmt.Errorf("%s must be a string or an array of strings, got %s", what, jsval.Describe(v))
	}
	n := obj.Get("length").ToInteger()
	protocols := make([]string, 0, n)
	for i := range n {
		item := obj.Get(fmt.Sprint(i))
		if !isString(item) {
			return nil, fmt.Errorf("%s[%d] must be a string, got %s", what, i, jsval.Describe(item))
		}
		protocols = append(protocols, item.String())
	}
	return checkTokens(protocols, what)
}

// checkTokens rejects empty, malformed and repeated subprotocol names, as the
// WebSocket standard does.
func checkTokens(protocols []string, what string) ([]string, error) {
	seen := make(map[string]bool, len(protocols))
	for _, p := range protocols {
		if !isToken(p) {
			return nil, fmt.Errorf("%s: %s is not a valid subprotocol name (an HTTP token: "+
				"visible ASCII without separators)", what, jsval.Quote(p))
		}
		if seen[p] {
			return nil, fmt.Errorf("%s: subprotocol %s is given twice", what, jsval.Quote(p))
		}
		seen[p] = true
	}
	return protocols, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

// duration reads a positive duration: a string such as "1s" or "500ms", or
// a number of milliseconds.
func duration(v sobek.Value, what string) (time.Duration, error) {
	if common.IsNullish(v) {
		return 0, nil
	}
	var d time.Duration
	switch {
	case isString(v):
		parsed, err := types.ParseExtendedDuration(v.String())
		if err != nil {
			return 0, fmt.Errorf("%s must be a duration such as \"1s\" or \"500ms\", got %s", what, jsval.Quote(v.String()))
		}
		d = parsed
	case isNumber(v):
		ms := v.ToFloat()
		if math.IsNaN(ms) || math.IsInf(ms, 0) || ms > float64(math.MaxInt64/int64(time.Millisecond)) {
			return 0, fmt.Errorf("%s must be a finite number of milliseconds, got %v", what, ms)
		}
		d = time.Duration(ms * float64(time.Millisecond))
	default:
		return 0, fmt.Errorf("%s must be a duration string such as \"1s\" or a number of milliseconds, got %s",
			what, jsval.Describe(v))
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be greater than zero, got %s", what, d)
	}
	return d, nil
}

// count reads a positive whole number of units (bytes or messages).
func count(v sobek.Value, what, units string) (int64, error) {
	if common.IsNullish(v) {
		return 0, nil
	}
	if !isNumber(v) {
		return 0, fmt.Errorf("%s must be a number of %s, got %s", what, units, jsval.Describe(v))
	}
	f := v.ToFloat()
	if math.IsNaN(f) || f < 1 || f > math.MaxInt64/2 || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s must be a whole number of %s greater than zero, got %v", what, units, v)
	}
	return int64(f), nil
}

// intCount is count for limits held in an int: it also refuses what an int
// cannot hold.
func intCount(v sobek.Value, what, units string) (int, error) {
	n, err := count(v, what, units)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt {
		return 0, fmt.Errorf("%s must be at most %d %s, got %d", what, math.MaxInt, units, n)
	}
	return int(n), nil
}

func isString(v sobek.Value) bool {
	if isObject(v) {
		return false
	}
	_, ok := v.Export().(string)
	return ok
}

func isNumber(v sobek.Value) bool {
	if isObject(v) {
		return false
	}
	switch v.Export().(type) {
	case int64, float64:
		return true
	default:
		return false
	}
}

// isObject tells objects from primitives without exporting them: exporting
// an object runs its getters.
func isObject(v sobek.Value) bool {
	_, ok := v.(*sobek.Object)
	return ok
}
