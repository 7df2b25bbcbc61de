package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleMarker is the first line of a fenced JavaScript block that quotes
// an example file: "// examples/ws-echo.js".
var exampleMarker = regexp.MustCompile(`^// (examples/[A-Za-z0-9._-]+\.js)$`)

// elision is a line of a quoted block that stands for lines left out.
const elision = "// ..."

// TestDocsQuoteExamples keeps the code of README.md and docs/*.md from
// drifting away from examples/, which the tests run: every fenced js or
// javascript block whose first line names an example file must be an
// excerpt of that file: its pieces between "// ..." lines appear in the
// file verbatim and in the same order.
func TestDocsQuoteExamples(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(repoRoot, "README.md"))

	quoted := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		require.NoError(t, err)
		rel, _ := filepath.Rel(repoRoot, page)
		for _, block := range jsBlocks(string(text)) {
			lines := strings.Split(block.code, "\n")
			m := exampleMarker.FindStringSubmatch(lines[0])
			if m == nil {
				continue
			}
			quoted++
			source, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(m[1])))
			if !assert.NoError(t, err, "%s:%d quotes %s", rel, block.line, m[1]) {
				continue
			}
			missing := missingPiece(string(source), lines[1:])
			assert.Empty(t, missing, "%s:%d: this part of the block is not in %s (in this order):\n%s",
				rel, block.line, m[1], missing)
		}
	}
	assert.Positive(t, quoted, "no block of README.md or docs/ quotes an example")
}

// TestMissingPiece shows that the check above catches a changed line and
// pieces out of order.
func TestMissingPiece(t *testing.T) {
	t.Parallel()
	source := "a\nb\nc\nd\n"
	assert.Empty(t, missingPiece(source, []string{"a", "b"}))
	assert.Empty(t, missingPiece(source, []string{"a", elision, "d"}))
	assert.Equal(t, "a\nx", missingPiece(source, []string{"a", "x"}))
	assert.Equal(t, "a", missingPiece(source, []string{"c", elision, "a"}))
}

// codeBlock is a fenced code block and the line its code starts on.
type codeBlock struct {
	code string
	line int
}

// jsBlocks returns the fenced ```js and ```javascript blocks of a Markdown text.
func jsBlocks(markdown string) []codeBlock {
	var blocks []codeBlock
	lines := strings.Split(markdown, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if fence != "```js" && fence != "```javascript" {
			continue
		}
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		blocks = append(blocks, codeBlock{code: strings.Join(lines[start:end], "\n"), line: start + 1})
		i = end
	}
	return blocks
}

// missingPiece returns the first piece of the quote (its lines between
// elisions) that is not in source after the previous piece, or "" when
// the whole quote is an excerpt of source.
func missingPiece(source string, quote []string) string {
	rest := source
	var piece []string
	check := func() bool {
		if len(piece) == 0 {
			return true
		}
		text := strings.Join(piece, "\n")
		at := strings.Index(rest, text)
		if at < 0 {
			return false
		}
		rest = rest[at+len(text):]
		piece = piece[:0]
		return true
	}
	for _, line := range quote {
		if strings.TrimSpace(line) == elision {
			if !check() {
				return strings.Join(piece, "\n")
			}
			continue
		}
		piece = append(piece, line)
	}
	if !check() {
		return strings.Join(piece, "\n")
	}
	return ""
}
