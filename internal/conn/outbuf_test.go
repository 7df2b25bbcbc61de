package conn

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyClassesFitTheirMessages(t *testing.T) {
	t.Parallel()
	seen := make(map[int]int) // class -> size
	for _, n := range []int{minPooledCopy, minPooledCopy + 1, 5000, 6 << 10, 1<<20 - 1, 1 << 20, 1<<20 + 1,
		1<<20 + 1<<18, 1<<20 + 1<<18 + 1, 3 << 20, maxPooledCopy - 1, maxPooledCopy} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			class, size, ok := copyClass(n)
			require.True(t, ok)
			assert.GreaterOrEqual(t, size, n)
			assert.LessOrEqual(t, size-n, n/4, "spare room")
			assert.GreaterOrEqual(t, class, 0)
			assert.Less(t, class, copyClasses)
			again, sameSize, _ := copyClass(size)
			assert.Equal(t, class, again, "a pooled buffer goes back to its own class")
			assert.Equal(t, size, sameSize)
			if other, dup := seen[class]; dup {
				assert.Equal(t, other, size, "one size per class")
			}
			seen[class] = size
		})
	}
	for _, n := range []int{0, 1, minPooledCopy - 1, maxPooledCopy + 1} {
		_, _, ok := copyClass(n)
		assert.False(t, ok, "%d bytes are not pooled", n)
	}
}

func TestOutboundBufferIsPooledFromMinPooledCopy(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 10, minPooledCopy - 1, minPooledCopy, 1 << 20} {
		buf, pooled := outboundBuffer(n)
		assert.Len(t, buf, n)
		assert.Equal(t, n >= minPooledCopy, pooled != nil, "%d bytes pooled", n)
		if pooled != nil {
			assert.Same(t, &(*pooled)[0], &buf[0], "%d bytes are in the pooled buffer", n)
		}
		releaseCopy(pooled)
	}
}
