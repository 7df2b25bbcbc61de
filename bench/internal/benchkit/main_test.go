package benchkit

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childEnv switches the test binary into the child process that
// TestUsageOfRealProcess measures.
const childEnv = "BENCHKIT_USAGE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(usageChild())
	}
	goleak.VerifyTestMain(m)
}
