package conn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"sync"
)

// Every frame a client sends is masked with a key of its own (RFC 6455,
// section 5.3), which must come from a strong source of entropy and be
// unpredictable: a script that could tell the next key could choose the
// bytes that a proxy on the way sees after masking, and smuggle requests
// into it (section 10.3). Keys come from crypto/rand, read maskKeyBatch at a
// time into pooled batches, so that a key costs a few nanoseconds rather
// than a call into the kernel per frame. A batch is used by one goroutine at
// a time and each of its keys once.

// maskKeyBatch is how many keys one read of crypto/rand draws.
const maskKeyBatch = 256

// maskKeys is a batch of keys; next is the offset of the first unused one.
type maskKeys struct {
	buf  [maskKeyBatch * maskKeySize]byte
	next int
}

var maskKeyPool = sync.Pool{New: func() any { return &maskKeys{next: maskKeyBatch * maskKeySize} }}

// newMaskKey returns a fresh mask key.
func newMaskKey() uint32 {
	keys, _ := maskKeyPool.Get().(*maskKeys)
	if keys.next == len(keys.buf) {
		_, _ = rand.Read(keys.buf[:]) // never fails: crypto/rand crashes the program rather than return an error
		keys.next = 0
	}
	key := binary.LittleEndian.Uint32(keys.buf[keys.next:])
	keys.next += maskKeySize
	maskKeyPool.Put(keys)
	return key
}

// maskCopy copies src into dst, which is as long, masked with key: each byte
// is XORed with a byte of the key, the key's lowest first. It does in one
// pass what a copy and masking in place do in two, and takes half their
// time for a large message: blocks with crypto/subtle's XOR, which uses
// vector instructions where there are some, the rest eight bytes at a time.
func maskCopy(dst, src []byte, key uint32) {
	dst = dst[:len(src)]
	if len(src) >= minMaskBlocks {
		n := maskCopyBlocks(dst, src, key)
		src, dst = src[n:], dst[n:]
	}
	k := uint64(key) | uint64(key)<<32
	for len(src) >= 32 && len(dst) >= 32 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(src[8:])^k)
		binary.LittleEndian.PutUint64(dst[16:], binary.LittleEndian.Uint64(src[16:])^k)
		binary.LittleEndian.PutUint64(dst[24:], binary.LittleEndian.Uint64(src[24:])^k)
		src, dst = src[32:], dst[32:]
	}
	for len(src) >= 8 && len(dst) >= 8 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		src, dst = src[8:], dst[8:]
	}
	for i := range src {
		dst[i] = src[i] ^ byte(k>>(8*(i&3))) //nolint:gosec // the key byte i&3: the low byte is meant
	}
}

// maskBlock is the size of the blocks maskCopyBlocks masks, a multiple of
// the key's size; from minMaskBlocks bytes on, the blocks are worth the key
// stream they need.
const (
	maskBlock     = 4 << 10
	minMaskBlocks = 2 * maskBlock
)

// maskCopyBlocks masks the whole blocks of src into dst, as maskCopy does,
// and returns the bytes it masked.
//
//go:noinline
func maskCopyBlocks(dst, src []byte, key uint32) int {
	var stream [maskBlock]byte // the key, repeated
	k := uint64(key) | uint64(key)<<32
	for i := 0; i < maskBlock; i += 8 {
		binary.LittleEndian.PutUint64(stream[i:], k)
	}
	n := len(src) - len(src)%maskBlock
	for i := 0; i < n; i += maskBlock {
		subtle.XORBytes(dst[i:i+maskBlock], src[i:i+maskBlock], stream[:])
	}
	return n
}
