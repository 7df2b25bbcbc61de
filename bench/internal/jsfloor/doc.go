// Package jsfloor holds no code, only benchmarks: what the cheapest possible
// delivery of a message to a script costs in k6's JavaScript runtime, the
// floor under the delivery benchmarks of ws and websockets
// (BenchmarkDelivery). docs/performance.md compares the two.
package jsfloor
