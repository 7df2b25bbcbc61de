package benchkit

// maxrssUnitBytes is the unit of Rusage.Maxrss: bytes on macOS.
const maxrssUnitBytes = 1
