// Package types holds the checks of xk6-ws's TypeScript definitions,
// index.d.ts at the repository root. It has no code of its own: its tests
// compare the names the definitions declare with those the real modules
// expose in a k6 VU, and type-check usage.ts against the definitions with
// tsc when TypeScript is installed (cd types && npm ci).
package types
