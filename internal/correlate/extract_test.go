package correlate

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONPathKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path, msg, key string
		ok             bool
	}{
		{"id", `{"id":7,"x":1}`, "7", true},
		{"id", `{"id":"7"}`, "7", true},
		{"id", ` { "a" : [1,{"id":2}] , "id" : -1.5e3 } `, "-1.5e3", true},
		{"params.id", `{"method":"m","params":{"x":[{}],"id":"a\"b"}}`, `a"b`, true},
		{"params.id", `{"params":{"i\u0064":"esc"}}`, "esc", true},
		{"1.id", `["ev",{"id":42}]`, "42", true},
		{"id", `{"id":"caf\u00e9 \/"}`, "café /", true},
		{"id", `{"id":null}`, "", false},
		{"id", `{"id":true}`, "", false},
		{"id", `{"id":{"n":1}}`, "", false},
		{"id", `{"other":1}`, "", false},
		{"id", `{}`, "", false},
		{"id", `[1,2]`, "", false},
		{"0", `[1,2]`, "1", true},
		{"2", `[1,2]`, "", false},
		{"id", `not json`, "", false},
		{"id", `{"id"`, "", false},
		{"id", `{"id":"unterminated`, "", false},
		{"id", `{"id":-}`, "", false},
		{"a.b", `{"a":1}`, "", false},
	}
	for _, c := range cases {
		e, err := JSONPath(c.path)
		require.NoError(t, err)
		key, ok := e.Key([]byte(c.msg))
		assert.Equal(t, c.ok, ok, "%s in %s", c.path, c.msg)
		assert.Equal(t, c.key, key, "%s in %s", c.path, c.msg)
	}
}

func TestJSONPathRejectsEmptySegments(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ".", "a..b", "a."} {
		_, err := JSONPath(path)
		assert.Error(t, err, path)
	}
}

func TestRegexpKey(t *testing.T) {
	t.Parallel()
	e, err := Regexp(`^43(\d+)`)
	require.NoError(t, err)
	key, ok := e.Key([]byte(`4312["ok"]`))
	assert.True(t, ok)
	assert.Equal(t, "12", key)
	_, ok = e.Key([]byte(`42["x"]`))
	assert.False(t, ok)

	optional, err := Regexp(`^a(\d)?`)
	require.NoError(t, err)
	_, ok = optional.Key([]byte("ab"))
	assert.False(t, ok, "a group that took no part gives no key")

	_, err = Regexp(`^\d+`)
	require.ErrorContains(t, err, "has no group")
	_, err = Regexp(`(`)
	require.ErrorContains(t, err, "invalid regular expression")
}

// FuzzJSONPathKey checks the scanner against encoding/json: whatever the
// message, it does not panic; and in the message as encoding/json writes
// it back, it finds exactly the string or number that encoding/json finds
// at the path.
func FuzzJSONPathKey(f *testing.F) {
	for _, seed := range []string{`{"id":1}`, `{"a":{"id":"x"}}`, `[{"id":2}]`, `{"id":"\u00e9"}`, `{"a":[[[]]],"id":3}`, `{"id"`} {
		f.Add("id", seed)
		f.Add("a.id", seed)
		f.Add("0.id", seed)
	}
	f.Fuzz(func(t *testing.T, path, msg string) {
		e, err := JSONPath(path)
		if err != nil {
			return
		}
		e.Key([]byte(msg))
		dec := json.NewDecoder(strings.NewReader(msg))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return
		}
		canonical, err := json.Marshal(doc)
		require.NoError(t, err)
		key, ok := e.Key(canonical)
		want, found := lookup(doc, e.path)
		switch w := want.(type) {
		case string:
			assert.True(t, found && ok, "%s in %s", path, canonical)
			assert.Equal(t, w, key)
		case json.Number:
			assert.True(t, found && ok, "%s in %s", path, canonical)
			assert.Equal(t, string(w), key)
		default:
			assert.False(t, ok, "key %q found at %s in %s, where encoding/json has %v", key, path, canonical, want)
		}
	})
}

// lookup finds path in doc as Extractor documents it.
func lookup(doc any, path []string) (any, bool) {
	for _, s := range path {
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[s]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || !digits.MatchString(s) || i >= len(d) {
				return nil, false
			}
			doc = d[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

var digits = regexp.MustCompile(`^\d+$`)
