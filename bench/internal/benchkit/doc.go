// Package benchkit holds the pieces of the xk6-ws benchmark that do not need a
// network or a k6 binary: medians and ratios, the process usage taken from
// rusage, the outcome read from a k6 --summary-export file, target checks and
// the result table. bench/cmd/benchrun drives the runs; bench/cmd/ceiling
// reports its outcome in the same Outcome shape.
package benchkit
