// Package types holds the checks of xk6-ws's TypeScript definitions,
// index.d.ts at the repository root, with tsc as the judge when TypeScript
// is installed (cd types && npm ci). It has no code of its own: its tests
// write what the real modules expose in a k6 VU as type-level checks
// against the definitions, both ways, and type-check usage.ts (which must
// compile) and misuse.ts (whose marked lines must not).
package types
