package conn

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every byte is masked with the key byte its offset selects, whatever the
// length and however it splits into blocks and 32-, 8- and 1-byte steps.
func TestMaskCopyMasksEveryByteWithItsKeyByte(t *testing.T) {
	t.Parallel()
	const key = 0xa1b2c3d4
	var keyBytes [4]byte
	binary.LittleEndian.PutUint32(keyBytes[:], key)
	lengths := []int{minMaskBlocks - 1, minMaskBlocks, minMaskBlocks + 1, 3*maskBlock + 13, 1<<20 + 7}
	for n := range 100 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i * 7)
		}
		want := make([]byte, n)
		for i := range want {
			want[i] = src[i] ^ keyBytes[i%4]
		}
		dst := make([]byte, n)
		maskCopy(dst, src, key)
		require.Equal(t, want, dst, "%d bytes", n)
	}
}

func BenchmarkMaskCopy(b *testing.B) {
	src := make([]byte, 1<<20)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for range b.N {
		maskCopy(dst, src, 0x12345678)
	}
}
