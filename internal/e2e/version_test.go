package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionListsTheExtension checks what `k6 version` says about this
// build: every module name, the subcommand and the module path.
func TestVersionListsTheExtension(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, k6Binary, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, line := range []string{
		"github.com/loadkit/xk6-ws/ws , k6/x/ws [js]",
		"github.com/loadkit/xk6-ws/ws , k6/ws [js]",
		"github.com/loadkit/xk6-ws/websockets , k6/x/websockets [js]",
		"github.com/loadkit/xk6-ws/websockets , k6/websockets [js]",
		"github.com/loadkit/xk6-ws/websockets , k6/experimental/websockets [js]",
		"ws-echo [subcommand]",
	} {
		assert.Contains(t, string(out), line)
	}
}
