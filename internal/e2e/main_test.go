package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain builds the k6 binary once for all the tests (not when they are
// only listed), runs them, removes the binary, and fails if a goroutine
// is left behind, as goleak.VerifyTestMain would.
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	if list := flag.Lookup("test.list"); list != nil && list.Value.String() != "" {
		return m.Run()
	}

	dir, err := os.MkdirTemp("", "xk6-ws-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: creating the binary directory: %v\n", err)
		return 2
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: removing %s: %v\n", dir, err)
		}
	}()
	if err := setup(dir); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 2
	}

	code := m.Run()
	if code == 0 {
		if err := goleak.Find(toxiproxyStuckLinks...); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: goroutines left behind: %v\n", err)
			return 1
		}
	}
	return code
}
