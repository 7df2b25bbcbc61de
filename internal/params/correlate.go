package params

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/correlate"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// correlateKeys are the keys of params.correlate.
var correlateKeys = []string{"request", "reply", "fifo", "timeout", "name", "maxOpen"}

// parseCorrelate reads params.correlate: how replies are matched with
// requests (see package correlate). It returns nil for null or undefined.
func parseCorrelate(rt *sobek.Runtime, v sobek.Value) (*correlate.Spec, error) {
	if common.IsNullish(v) {
		return nil, nil //nolint:nilnil // no correlate is no Spec and no error
	}
	obj, err := plainObject(rt, v, "params.correlate",
		`{ request: { json: "id" }, reply: { json: "id" } } or { fifo: true }`)
	if err != nil {
		return nil, err
	}
	spec := &correlate.Spec{}
	var hasRequest, hasReply bool
	for _, key := range obj.Keys() {
		value := obj.Get(key)
		what := "params.correlate." + key
		switch key {
		case "request":
			spec.Request, err = extractor(rt, value, what)
			hasRequest = !common.IsNullish(value)
		case "reply":
			spec.Reply, err = extractor(rt, value, what)
			hasReply = !common.IsNullish(value)
		case "fifo":
			spec.FIFO, err = boolean(value, what)
		case "timeout":
			spec.Timeout, err = duration(value, what)
		case "name":
			spec.Name, err = str(value, what)
		case "maxOpen":
			spec.MaxOpen, err = intCount(value, what, "requests")
		default:
			err = fmt.Errorf("unknown key %s in params.correlate (allowed: %s)", key, strings.Join(correlateKeys, ", "))
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case spec.FIFO && (hasRequest || hasReply):
		return nil, errors.New("params.correlate: fifo: true matches replies by their order; " +
			"it takes no request or reply")
	case !spec.FIFO && (!hasRequest || !hasReply):
		return nil, errors.New("params.correlate needs both request and reply " +
			`(e.g. { request: { json: "id" }, reply: { json: "id" } }), or fifo: true`)
	}
	return spec, nil
}

// extractor reads { json: "dotted.path" } or { regex: "expression with (group)" }.
func extractor(rt *sobek.Runtime, v sobek.Value, what string) (correlate.Extractor, error) {
	const allowed = `{ json: "a.dotted.path" } or { regex: "an expression with a (group)" }`
	if common.IsNullish(v) {
		return correlate.Extractor{}, nil
	}
	obj, err := plainObject(rt, v, what, allowed)
	if err != nil {
		return correlate.Extractor{}, err
	}
	keys := obj.Keys()
	if len(keys) != 1 || (keys[0] != "json" && keys[0] != "regex") {
		return correlate.Extractor{}, fmt.Errorf("%s must be %s, got keys %s", what, allowed, strings.Join(keys, ", "))
	}
	text, err := str(obj.Get(keys[0]), what+"."+keys[0])
	if err != nil {
		return correlate.Extractor{}, err
	}
	var e correlate.Extractor
	if keys[0] == "json" {
		e, err = correlate.JSONPath(text)
	} else {
		e, err = correlate.Regexp(text)
	}
	if err != nil {
		return correlate.Extractor{}, fmt.Errorf("%s.%s: %w", what, keys[0], err)
	}
	return e, nil
}

// parseAutoReply reads params.autoReply: [{ receive: "2", send: "3" }, ...].
func parseAutoReply(rt *sobek.Runtime, v sobek.Value) ([]conn.AutoReply, error) {
	const allowed = `an array of { receive: "text", send: "text" }`
	if common.IsNullish(v) {
		return nil, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !jsval.IsArray(rt, obj) {
		return nil, fmt.Errorf("params.autoReply must be %s, got %s", allowed, jsval.Describe(v))
	}
	n := obj.Get("length").ToInteger()
	rules := make([]conn.AutoReply, 0, n)
	for i := range n {
		what := fmt.Sprintf("params.autoReply[%d]", i)
		item, err := plainObject(rt, obj.Get(fmt.Sprint(i)), what, `{ receive: "text", send: "text" }`)
		if err != nil {
			return nil, err
		}
		var rule conn.AutoReply
		var hasReceive, hasSend bool
		for _, key := range item.Keys() {
			switch key {
			case "receive":
				rule.Receive, err = str(item.Get(key), what+".receive")
				hasReceive = true
			case "send":
				rule.Send, err = str(item.Get(key), what+".send")
				hasSend = true
			default:
				err = fmt.Errorf("unknown key %s in %s (allowed: receive, send)", key, what)
			}
			if err != nil {
				return nil, err
			}
		}
		if !hasReceive || !hasSend {
			return nil, fmt.Errorf("%s needs both receive and send, strings", what)
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

// plainObject returns v as an object that is not an array.
func plainObject(rt *sobek.Runtime, v sobek.Value, what, allowed string) (*sobek.Object, error) {
	obj, ok := v.(*sobek.Object)
	if !ok || jsval.IsArray(rt, obj) {
		return nil, fmt.Errorf("%s must be an object such as %s, got %s", what, allowed, jsval.Describe(v))
	}
	return obj, nil
}

func str(v sobek.Value, what string) (string, error) {
	if !isString(v) {
		return "", fmt.Errorf("%s must be a string, got %s", what, jsval.Describe(v))
	}
	return v.String(), nil
}

func boolean(v sobek.Value, what string) (bool, error) {
	if common.IsNullish(v) {
		return false, nil
	}
	b, ok := v.Export().(bool)
	if isObject(v) || !ok {
		return false, fmt.Errorf("%s must be true or false, got %s", what, jsval.Describe(v))
	}
	return b, nil
}
