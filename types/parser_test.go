package types

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleDTS = `
// A comment with a brace { and "a quote.
declare module "a/b" {
  /* a block comment: declare module "x" { */
  export type Kind = "one" | "two" // trailing comment
    | "three";
  export interface Base {
    readonly type: Kind;
  }
  export interface Child extends Base {
    /** doc: with ; and } inside */
    data: string | { nested: number; other: "}" };
    on(event: "x", fn: (a: number) => void): void;
    on(event: "y" | "z", fn: () => void): void;
    generic<K extends Kind>(
      key: K,
    ): Map<K, Array<string>>;
    optional?: number;
  }
  export class Thing {
    constructor(x?: number);
    static readonly MAX: 3;
    readonly MAX: 3;
    method(): Promise<void>;
  }
  export function make(): Thing;
  export function make(n: number): Thing;
  const thing: {
    make: typeof make;
  };
  export default thing;
}

declare module "alias" {
  export * from "a/b";
  export { default } from "a/b";
}
`

func TestParseDTS(t *testing.T) {
	t.Parallel()
	f, err := parseDTS(sampleDTS)
	require.NoError(t, err)
	require.Len(t, f.modules, 2)

	m := f.modules["a/b"]
	assert.Equal(t, []string{"Thing", "make"}, sortedKeys(m.values))
	assert.Equal(t, "thing", m.defaultObject)
	kinds, err := m.literals("Kind")
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "three", "two"}, kinds)

	child, err := m.memberNames("Child")
	require.NoError(t, err)
	assert.Equal(t, []string{"data", "generic", "on", "optional", "type"}, child, "own and inherited members")
	assert.Len(t, m.shapes["Child"].members["on"], 2, "both overloads")
	assert.Equal(t, []string{"x", "y", "z"}, stringLiterals(m.shapes["Child"].members["on"][0]+
		m.shapes["Child"].members["on"][1]))

	thing := m.shapes["Thing"]
	assert.Equal(t, []string{"MAX"}, sortedKeys(thing.statics))
	assert.Equal(t, []string{"MAX", "method"}, sortedKeys(thing.members), "the constructor is no member")
	assert.Equal(t, "3", memberType(thing.statics["MAX"][0]))
	assert.Equal(t, []string{"make"}, sortedKeys(m.shapes["thing"].members))

	alias := f.modules["alias"]
	assert.Equal(t, []string{"a/b"}, alias.reexports)
	assert.Equal(t, "a/b", alias.defaultFrom)
}

func TestParseDTSRejectsWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, src, want string }{
		{"an unknown statement", `declare module "m" { export enum E { A }; }`, "unrecognised declaration"},
		{"a member without a name", `declare module "m" { export interface I { [key: string]: number; } }`,
			"unrecognised member"},
		{"a missing semicolon", `declare module "m" { export interface I { a: number } }`, "without a final semicolon"},
		{"unbalanced brackets", `declare module "m" { export interface I { a(: number; } }`, "unbalanced"},
		{"text outside of modules", `export const x: number; declare module "m" { }`, "outside of a declare module"},
		{"an unterminated comment", `declare module "m" { /* }`, "unterminated /* comment"},
		{"an unterminated string", `declare module "m { }`, "unterminated string"},
		{"a module declared twice", `declare module "m" { } declare module "m" { }`, "declared twice"},
		{"an interface declared twice", `declare module "m" { export interface I { a: 1; } export interface I { b: 2; } }`,
			"I is declared twice"},
	} {
		_, err := parseDTS(c.src)
		assert.ErrorContains(t, err, c.want, c.name)
	}
}

func TestMemberNamesNeedsKnownShapes(t *testing.T) {
	t.Parallel()
	f, err := parseDTS(`declare module "m" { export interface I extends Missing { a: 1; } }`)
	require.NoError(t, err)
	_, err = f.modules["m"].memberNames("I")
	require.ErrorContains(t, err, "Missing")
	_, err = f.modules["m"].literals("Nope")
	require.ErrorContains(t, err, "Nope")
}
