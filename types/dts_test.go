package types

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// This file is a small reader of TypeScript declaration files: enough of the
// syntax to list what index.d.ts declares, module by module. It is strict:
// anything it does not recognise is an error, so that a change to the
// definitions cannot silently escape the checks.

// dtsFile is a parsed declaration file.
type dtsFile struct {
	modules map[string]*dtsModule
}

// dtsModule is one `declare module "name" { ... }` block.
type dtsModule struct {
	name string
	// values are the names of the exported values (functions, classes,
	// constants): what a script can import.
	values map[string]bool
	// defaultObject is the name of the constant the module exports as
	// default, or "" if none.
	defaultObject string
	// shapes are the classes, interfaces and object-typed constants.
	shapes map[string]*dtsShape
	// aliases are the type aliases: name → the text after "=".
	aliases map[string]string
	// reexports are the modules of `export * from "..."`; defaultFrom is
	// the module of `export { default } from "..."`.
	reexports   []string
	defaultFrom string
}

// dtsShape is a class, an interface or an object type.
type dtsShape struct {
	name    string
	extends []string
	// members maps an instance member's name to its declarations (several
	// for overloads); statics likewise for static members.
	members map[string][]string
	statics map[string][]string
}

// ident matches a TypeScript identifier.
const ident = `[A-Za-z_$][\w$]*`

var (
	moduleStart  = regexp.MustCompile(`declare\s+module\s+"([^"]+)"\s*\{`)
	blockHead    = regexp.MustCompile(`^(export\s+)?(declare\s+)?(class|interface)\b`)
	functionDecl = regexp.MustCompile(`^export\s+function\s+(` + ident + `)\s*[(<]`)
	classDecl    = regexp.MustCompile(`(?s)^export\s+class\s+(` + ident + `)\s*(?:extends\s+([\w$]+)\s*)?\{(.*)\}$`)
	ifaceDecl    = regexp.MustCompile(`(?s)^export\s+interface\s+(` + ident + `)\s*(?:extends\s+([\w$,\s]+?)\s*)?\{(.*)\}$`)
	typeDecl     = regexp.MustCompile(`(?s)^export\s+type\s+(` + ident + `)\s*=\s*(.+);$`)
	constDecl    = regexp.MustCompile(`(?s)^const\s+(` + ident + `)\s*:\s*\{(.*)\}\s*;$`)
	defaultDecl  = regexp.MustCompile(`^export\s+default\s+(` + ident + `)\s*;$`)
	starDecl     = regexp.MustCompile(`^export\s+\*\s+from\s+"([^"]+)"\s*;$`)
	defaultFrom  = regexp.MustCompile(`^export\s+\{\s*default\s*\}\s+from\s+"([^"]+)"\s*;$`)
	memberDecl   = regexp.MustCompile(`^(static\s+)?(readonly\s+)?(` + ident + `)\s*\??\s*[(:<]`)
	stringLit    = regexp.MustCompile(`"([^"]*)"`)
)

// parseDTS parses the text of a declaration file.
func parseDTS(src string) (*dtsFile, error) {
	text, err := stripComments(src)
	if err != nil {
		return nil, err
	}
	f := &dtsFile{modules: map[string]*dtsModule{}}
	rest := text
	for {
		loc := moduleStart.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		if outside := strings.TrimSpace(rest[:loc[0]]); outside != "" {
			return nil, fmt.Errorf("unexpected text outside of a declare module block: %.60q", outside)
		}
		name := rest[loc[2]:loc[3]]
		end, err := closingBrace(rest, loc[1]-1)
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", name, err)
		}
		m, err := parseModule(name, rest[loc[1]:end])
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", name, err)
		}
		if _, dup := f.modules[name]; dup {
			return nil, fmt.Errorf("module %q is declared twice", name)
		}
		f.modules[name] = m
		rest = rest[end+1:]
	}
	if strings.TrimSpace(rest) != "" {
		return nil, fmt.Errorf("unexpected text after the last module: %.60q", strings.TrimSpace(rest))
	}
	return f, nil
}

// stripComments removes // and /* */ comments, keeping string literals.
func stripComments(src string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				return b.String(), nil
			}
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return "", errors.New("unterminated /* comment")
			}
			b.WriteByte(' ')
			i += end + 4
		case src[i] == '"' || src[i] == '\'' || src[i] == '`':
			end, err := stringEnd(src, i)
			if err != nil {
				return "", err
			}
			b.WriteString(src[i:end])
			i = end
		default:
			b.WriteByte(src[i])
			i++
		}
	}
	return b.String(), nil
}

// stringEnd returns the index just after the string literal starting at i.
func stringEnd(src string, i int) (int, error) {
	quote := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case quote:
			return j + 1, nil
		case '\n':
			if quote != '`' {
				return 0, fmt.Errorf("unterminated string literal at offset %d", i)
			}
		}
	}
	return 0, fmt.Errorf("unterminated string literal at offset %d", i)
}

// closingBrace returns the index of the brace closing the one at open.
func closingBrace(text string, open int) (int, error) {
	depth := 0
	for i := open; i < len(text); i++ {
		switch text[i] {
		case '"', '\'', '`':
			end, err := stringEnd(text, i)
			if err != nil {
				return 0, err
			}
			i = end - 1
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced braces from offset %d", open)
}

// splitTopLevel splits text into pieces at the separators found outside of
// brackets, strings and angle brackets. A piece ends with its separator.
// When blocks is set, a closing brace that returns to the top level also
// ends a piece whose head is a class or interface declaration.
func splitTopLevel(text string, blocks bool) ([]string, error) {
	var pieces []string
	depth, start := 0, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := stringEnd(text, i)
			if err != nil {
				return nil, err
			}
			i = end - 1
		case c == '(' || c == '[' || c == '{' || c == '<':
			depth++
		case c == '>' && i > 0 && text[i-1] == '=': // the arrow of a function type
		case c == ')' || c == ']' || c == '}' || c == '>':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q at %.40q", c, text[i:])
			}
			if c == '}' && depth == 0 && blocks && blockHead.MatchString(strings.TrimSpace(text[start:i])) {
				pieces = append(pieces, strings.TrimSpace(text[start:i+1]))
				start = i + 1
			}
		case c == ';' && depth == 0:
			pieces = append(pieces, strings.TrimSpace(text[start:i+1]))
			start = i + 1
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced brackets")
	}
	if tail := strings.TrimSpace(text[start:]); tail != "" {
		return nil, fmt.Errorf("declaration without a final semicolon: %.60q", tail)
	}
	return pieces, nil
}

// parseModule parses the statements of a module's body.
func parseModule(name, body string) (*dtsModule, error) {
	statements, err := splitTopLevel(body, true)
	if err != nil {
		return nil, err
	}
	m := &dtsModule{name: name, values: map[string]bool{}, shapes: map[string]*dtsShape{}, aliases: map[string]string{}}
	for _, st := range statements {
		if err := m.add(st); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// add records one statement of the module.
func (m *dtsModule) add(st string) error {
	if g := functionDecl.FindStringSubmatch(st); g != nil {
		m.values[g[1]] = true
		return nil
	}
	if g := classDecl.FindStringSubmatch(st); g != nil {
		m.values[g[1]] = true
		return m.addShape(g[1], g[2], g[3])
	}
	if g := ifaceDecl.FindStringSubmatch(st); g != nil {
		return m.addShape(g[1], g[2], g[3])
	}
	if g := typeDecl.FindStringSubmatch(st); g != nil {
		m.aliases[g[1]] = g[2]
		return nil
	}
	if g := constDecl.FindStringSubmatch(st); g != nil {
		return m.addShape(g[1], "", g[2])
	}
	if g := defaultDecl.FindStringSubmatch(st); g != nil {
		m.defaultObject = g[1]
		return nil
	}
	if g := starDecl.FindStringSubmatch(st); g != nil {
		m.reexports = append(m.reexports, g[1])
		return nil
	}
	if g := defaultFrom.FindStringSubmatch(st); g != nil {
		m.defaultFrom = g[1]
		return nil
	}
	return fmt.Errorf("unrecognised declaration: %.80q", st)
}

// addShape parses the members of a class, interface or object type.
func (m *dtsModule) addShape(name, extends, body string) error {
	if _, dup := m.shapes[name]; dup {
		return fmt.Errorf("%s is declared twice", name)
	}
	s := &dtsShape{name: name, members: map[string][]string{}, statics: map[string][]string{}}
	for _, e := range strings.Split(extends, ",") {
		if e = strings.TrimSpace(e); e != "" {
			s.extends = append(s.extends, e)
		}
	}
	members, err := splitTopLevel(body, false)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, decl := range members {
		g := memberDecl.FindStringSubmatch(decl)
		if g == nil {
			return fmt.Errorf("%s: unrecognised member %.80q", name, decl)
		}
		switch {
		case g[3] == "constructor":
		case g[1] != "":
			s.statics[g[3]] = append(s.statics[g[3]], decl)
		default:
			s.members[g[3]] = append(s.members[g[3]], decl)
		}
	}
	m.shapes[name] = s
	return nil
}

// shape returns the shape called name, or an error naming the module.
func (m *dtsModule) shape(name string) (*dtsShape, error) {
	s, ok := m.shapes[name]
	if !ok {
		return nil, fmt.Errorf("%s declares no class or interface %s", m.name, name)
	}
	return s, nil
}

// memberNames returns the instance members of the shape called name and of
// every interface it extends, sorted.
func (m *dtsModule) memberNames(name string) ([]string, error) {
	seen := map[string]bool{}
	var walk func(name string) error
	walk = func(name string) error {
		s, err := m.shape(name)
		if err != nil {
			return err
		}
		for member := range s.members {
			seen[member] = true
		}
		for _, parent := range s.extends {
			if err := walk(parent); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(name); err != nil {
		return nil, err
	}
	return sortedKeys(seen), nil
}

// literals returns the string literals of the type alias called name, such
// as the members of a union of strings.
func (m *dtsModule) literals(name string) ([]string, error) {
	text, ok := m.aliases[name]
	if !ok {
		return nil, fmt.Errorf("%s declares no type %s", m.name, name)
	}
	return stringLiterals(text), nil
}

// stringLiterals returns the distinct string literals in text, sorted.
func stringLiterals(text string) []string {
	seen := map[string]bool{}
	for _, g := range stringLit.FindAllStringSubmatch(text, -1) {
		seen[g[1]] = true
	}
	return sortedKeys(seen)
}

// memberType returns the type written after the colon of a property
// declaration such as "static readonly OPEN: 1;".
func memberType(decl string) string {
	_, typ, _ := strings.Cut(decl, ":")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(typ), ";"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
