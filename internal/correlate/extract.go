package correlate

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Extractor finds the key of a text message: the value at a dotted JSON
// path, or the first group of a regular expression.
type Extractor struct {
	path []string       // the segments of a JSON path; nil for a regexp
	re   *regexp.Regexp // nil for a JSON path
}

// JSONPath returns the Extractor of the value at path, dot-separated keys
// of nested objects ("params.id"); a segment that is a whole number indexes
// an array ("1.id").
func JSONPath(path string) (Extractor, error) {
	if path == "" {
		return Extractor{}, errors.New("the JSON path is empty")
	}
	segments := strings.Split(path, ".")
	for _, s := range segments {
		if s == "" {
			return Extractor{}, fmt.Errorf("the JSON path %q has an empty segment", path)
		}
	}
	return Extractor{path: segments}, nil
}

// Regexp returns the Extractor of the first group of expr, a Go regular
// expression (RE2 syntax) with at least one group.
func Regexp(expr string) (Extractor, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return Extractor{}, fmt.Errorf("invalid regular expression %q: %w", expr, err)
	}
	if re.NumSubexp() < 1 {
		return Extractor{}, fmt.Errorf("the regular expression %q has no group: its first group is the key", expr)
	}
	return Extractor{re: re}, nil
}

// Key returns the key of the text message msg, and false when it has none.
// A JSON path's key is the string's text or the number as written (so 7
// and "7" are the same key); any other value, or a message that is not
// JSON up to the value, has none. A regexp's key is its first group's
// match, when the expression matches and the group took part.
func (e Extractor) Key(msg []byte) (string, bool) {
	key, ok := e.key(msg)
	return string(key), ok
}

// key is Key without the copy, where it can: the key's bytes are msg's,
// unless a JSON string had escapes to decode.
func (e Extractor) key(msg []byte) ([]byte, bool) {
	if e.re != nil {
		m := e.re.FindSubmatchIndex(msg)
		if len(m) < 4 || m[2] < 0 {
			return nil, false
		}
		return msg[m[2]:m[3]], true
	}
	return jsonKey(msg, e.path)
}

// jsonKey returns the string or number at path in the JSON text msg.
func jsonKey(msg []byte, path []string) ([]byte, bool) {
	s := scanner{data: msg}
	for _, segment := range path {
		if !s.enter(segment) {
			return nil, false
		}
	}
	s.space()
	if s.pos >= len(s.data) {
		return nil, false
	}
	start := s.pos
	switch c := s.data[s.pos]; {
	case c == '"':
		if !s.skipString() {
			return nil, false
		}
		raw := s.data[start:s.pos]
		if !containsByte(raw, '\\') {
			return raw[1 : len(raw)-1], true
		}
		var text string
		err := json.Unmarshal(raw, &text)
		return []byte(text), err == nil
	case c == '-' || (c >= '0' && c <= '9'):
		s.skipNumber()
		if s.data[s.pos-1] == '-' {
			return nil, false
		}
		return s.data[start:s.pos], true
	default:
		return nil, false
	}
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// scanner walks a JSON text far enough to find one value: it checks the
// structure it passes, not every rule of JSON.
type scanner struct {
	data []byte
	pos  int
}

// maxDepth bounds the nesting a skipped value may have, so that a hostile
// message cannot take the stack.
const maxDepth = 64

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after spaces, 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// enter moves into the value that segment names in the object or array at
// the scanner's position, and reports whether there is one.
func (s *scanner) enter(segment string) bool {
	switch s.peek() {
	case '{':
		s.pos++
		return s.enterObject(segment)
	case '[':
		n, err := strconv.Atoi(segment)
		if err != nil || strings.TrimLeft(segment, "0123456789") != "" {
			return false
		}
		s.pos++
		return s.enterArray(n)
	default:
		return false
	}
}

func (s *scanner) enterObject(name string) bool {
	if s.peek() == '}' {
		return false
	}
	for {
		if s.peek() != '"' {
			return false
		}
		start := s.pos
		if !s.skipString() {
			return false
		}
		key := s.data[start+1 : s.pos-1]
		if s.peek() != ':' {
			return false
		}
		s.pos++
		if keyEquals(key, name) {
			return true
		}
		if !s.skipValue(0) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		default:
			return false // '}': no such key, or not JSON
		}
	}
}

// keyEquals tells whether the raw JSON string body raw is name.
func keyEquals(raw []byte, name string) bool {
	if !containsByte(raw, '\\') {
		return string(raw) == name
	}
	var text string
	err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &text)
	return err == nil && text == name
}

func (s *scanner) enterArray(index int) bool {
	if s.peek() == ']' {
		return false
	}
	for i := 0; ; i++ {
		if i == index {
			return true
		}
		if !s.skipValue(0) {
			return false
		}
		if s.peek() != ',' {
			return false
		}
		s.pos++
	}
}

// skipValue moves past the value at the scanner's position.
func (s *scanner) skipValue(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		return s.skipString()
	case c == '{' || c == '[':
		return s.skipContainer(depth)
	case c == '-' || (c >= '0' && c <= '9'):
		s.skipNumber()
		return true
	case c == 't' || c == 'f' || c == 'n':
		for s.pos < len(s.data) && s.data[s.pos] >= 'a' && s.data[s.pos] <= 'z' {
			s.pos++
		}
		return true
	default:
		return false
	}
}

func (s *scanner) skipContainer(depth int) bool {
	closer := byte('}')
	if s.data[s.pos] == '[' {
		closer = ']'
	}
	s.pos++
	if s.peek() == closer {
		s.pos++
		return true
	}
	for {
		if closer == '}' {
			if s.peek() != '"' || !s.skipString() || s.peek() != ':' {
				return false
			}
			s.pos++
		}
		if !s.skipValue(depth + 1) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case closer:
			s.pos++
			return true
		default:
			return false
		}
	}
}

// skipString moves past the string that starts at the scanner's position.
func (s *scanner) skipString() bool {
	for i := s.pos + 1; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			i++
		case '"':
			s.pos = i + 1
			return true
		}
	}
	return false
}

func (s *scanner) skipNumber() {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.pos++
		default:
			return
		}
	}
}
