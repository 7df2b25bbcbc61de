//go:build unix && !darwin

package benchkit

// maxrssUnitBytes is the unit of Rusage.Maxrss: KiB on Linux and the BSDs.
const maxrssUnitBytes = 1024
