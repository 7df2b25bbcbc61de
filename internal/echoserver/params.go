package echoserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// paramProtocols is the query parameter every WebSocket route accepts to
// restrict the subprotocol the server may pick.
const paramProtocols = "protocols"

// query reads and validates the query parameters of one request. Readers
// return the parameter's value, or its default when it is absent or invalid;
// the first problem found is kept in err and answered with HTTP 400.
type query struct {
	values url.Values
	err    error

	// protocols is the list given by ?protocols=, restricted whether it was
	// given at all (an empty list then allows no subprotocol).
	protocols  []string
	restricted bool
}

// newQuery parses the request's query string, accepting only the named
// parameters, each at most once.
func newQuery(r *http.Request, allowed ...string) *query {
	values, err := url.ParseQuery(r.URL.RawQuery)
	q := &query{values: values}
	if err != nil {
		q.err = fmt.Errorf("malformed query string: %w", err)
		return q
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			q.setErr(fmt.Errorf("unknown query parameter %q; %s accepts %s",
				name, r.URL.Path, describeAllowed(allowed)))
		case len(values[name]) > 1:
			q.setErr(fmt.Errorf("query parameter %q is given %d times; give it once",
				name, len(values[name])))
		}
	}
	return q
}

// newWSQuery is newQuery for a WebSocket route: it also accepts and reads
// ?protocols=.
func newWSQuery(r *http.Request, allowed ...string) *query {
	q := newQuery(r, append(slices.Clone(allowed), paramProtocols)...)
	q.readProtocols()
	return q
}

func describeAllowed(allowed []string) string {
	if len(allowed) == 0 {
		return "no parameters"
	}
	return "only " + strings.Join(allowed, ", ")
}

func (q *query) setErr(err error) {
	if q.err == nil {
		q.err = err
	}
}

// invalid records that parameter name has a value outside what is allowed.
func (q *query) invalid(name, value, allowed string) {
	q.setErr(fmt.Errorf("invalid query parameter %q=%q: allowed is %s", name, value, allowed))
}

func (q *query) lookup(name string) (string, bool) {
	if q.err != nil {
		return "", false
	}
	vs, ok := q.values[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// integer reads an integer parameter in [lo, hi].
func (q *query) integer(name string, def, lo, hi int) int {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		q.invalid(name, raw, fmt.Sprintf("an integer from %d to %d", lo, hi))
		return def
	}
	return n
}

// duration reads a Go duration parameter in [0, maxInterval].
func (q *query) duration(name string, def time.Duration) time.Duration {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 || d > maxInterval {
		q.invalid(name, raw, "a Go duration (like 100ms or 2s) from 0 to "+maxInterval.String())
		return def
	}
	return d
}

// boolean reads a true/false parameter.
func (q *query) boolean(name string, def bool) bool {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		q.invalid(name, raw, "true or false")
		return def
	}
	return b
}

// text reads a UTF-8 string parameter of at most maxLen bytes; nonEmpty
// rejects an empty value.
func (q *query) text(name, def string, maxLen int, nonEmpty bool) string {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	if !utf8.ValidString(raw) || len(raw) > maxLen || (nonEmpty && raw == "") {
		allowed := fmt.Sprintf("UTF-8 text of at most %d bytes", maxLen)
		if nonEmpty {
			allowed = fmt.Sprintf("non-empty UTF-8 text of at most %d bytes", maxLen)
		}
		q.invalid(name, raw, allowed)
		return def
	}
	return raw
}

// choice reads a parameter that must be one of options.
func (q *query) choice(name, def string, options ...string) string {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	if !slices.Contains(options, raw) {
		q.invalid(name, raw, "one of "+strings.Join(options, ", "))
		return def
	}
	return raw
}

// closeCode reads a close code the server may send in a close frame.
func (q *query) closeCode(name string, def int) int {
	raw, ok := q.lookup(name)
	if !ok {
		return def
	}
	code, err := strconv.Atoi(raw)
	if err != nil || !sendableCloseCode(code) {
		q.invalid(name, raw, "a close code of 1000-1003, 1007-1014 or 3000-4999")
		return def
	}
	return code
}

// sendableCloseCode reports whether code may appear in a close frame (RFC 6455
// section 7.4 and the IANA registry; 1004-1006 and 1015 are reserved).
func sendableCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	default:
		return code >= 3000 && code <= 4999
	}
}

// cookie reads a NAME=VALUE parameter as a cookie; nil when absent.
func (q *query) cookie(name string) *http.Cookie {
	raw, ok := q.lookup(name)
	if !ok {
		return nil
	}
	cookieName, value, found := strings.Cut(raw, "=")
	c := &http.Cookie{Name: cookieName, Value: value} //nolint:gosec // the test client asked for exactly this cookie, attributes and all
	if !found || c.Valid() != nil {
		q.invalid(name, raw, "NAME=VALUE with a cookie token NAME and a valid cookie VALUE")
		return nil
	}
	return c
}

// readProtocols reads ?protocols=a,b: a comma-separated list of subprotocol
// tokens, possibly empty.
func (q *query) readProtocols() {
	raw, ok := q.lookup(paramProtocols)
	if !ok {
		return
	}
	q.restricted = true
	if raw == "" {
		return
	}
	for p := range strings.SplitSeq(raw, ",") {
		p = strings.TrimSpace(p)
		if !isToken(p) {
			q.invalid(paramProtocols, raw, "a comma-separated list of subprotocol tokens (may be empty)")
			q.protocols = nil
			return
		}
		q.protocols = append(q.protocols, p)
	}
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		isAlnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !isAlnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// chooseSubprotocol picks the first protocol the client offered, or, when the
// route was restricted with ?protocols=, the first offered one in that list.
// It returns "" when none fits.
func chooseSubprotocol(offered []string, q *query) string {
	for _, p := range offered {
		if !q.restricted || slices.Contains(q.protocols, p) {
			return p
		}
	}
	return ""
}
