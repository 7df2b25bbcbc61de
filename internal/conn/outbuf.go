package conn

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Send and SendWait copy each message into storage of their own, so that the
// caller may change or reuse its bytes at once: most often into its frames,
// each behind room for its header (see frame.go). A copy of at least
// minPooledCopy bytes is made in a pooled buffer that the writer gives back
// once the message is on the wire: a script that sends large messages in a
// loop reuses a few buffers instead of leaving one to the garbage collector
// per message. Pooled sizes go by quarter steps between powers of
// two, so a buffer is at most a quarter larger than its message.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 26 // 64 MiB
	minPooledCopy  = 1 << minPooledShift
	maxPooledCopy  = 1 << maxPooledShift

	// copyClasses counts the pooled sizes: four per power of two.
	copyClasses = 4 * (maxPooledShift - minPooledShift + 1)
)

// copyPools holds the buffers of each pooled size, by copyClass.
var copyPools [copyClasses]sync.Pool

// copyClass returns the pooled size for a message of n bytes and its index
// in copyPools, or ok false for a size that is not pooled.
func copyClass(n int) (class, size int, ok bool) {
	if n < minPooledCopy || n > maxPooledCopy {
		return 0, 0, false
	}
	k := bits.Len(uint(n - 1)) // 2^(k-1) < n <= 2^k
	step := 1 << (k - 3)       // an eighth of 2^k: sizes are 5, 6, 7 or 8 eighths
	size = (n + step - 1) / step * step
	class = 4*(k-minPooledShift) + size/step - 5
	return class, size, true
}

// StringBytes returns the bytes of s without copying them, to pass a string
// to Send or SendWait, which copy what they queue. Nothing may change them.
func StringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // a read-only view of s: Send and SendWait copy it
}

// outboundBuffer returns n bytes for the copy of a message in the write
// queue, and the pooled buffer they are in, or nil.
func outboundBuffer(n int) (buf []byte, pooled *[]byte) {
	class, size, ok := copyClass(n)
	if !ok {
		return make([]byte, n), nil
	}
	pooled, _ = copyPools[class].Get().(*[]byte)
	if pooled == nil {
		b := make([]byte, size)
		pooled = &b
	}
	return (*pooled)[:n], pooled
}

// releaseCopy gives a pooled buffer of outboundBuffer back, if there is one.
func releaseCopy(pooled *[]byte) {
	if pooled != nil {
		class, _, _ := copyClass(cap(*pooled)) // a pooled buffer is as large as its class
		copyPools[class].Put(pooled)
	}
}
