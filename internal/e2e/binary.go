package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Environment variables that change how the k6 binary is obtained.
const (
	// envBinary names a prebuilt k6 binary to use instead of building one.
	envBinary = "XK6WS_E2E_K6"
	// envRace, set to 1, builds the k6 binary with the race detector.
	envRace = "XK6WS_E2E_RACE"
)

// buildTimeout bounds building the k6 binary; a cold build takes a few
// minutes on two cores.
const buildTimeout = 8 * time.Minute

// k6Binary is the absolute path of the k6 binary that RunK6 runs. It is set
// by setup, before any test runs, and read-only after that.
var k6Binary string

// repoRoot is the absolute path of the repository root (the directory of
// go.mod), set by setup.
var repoRoot string

// setup prepares the package for its tests: it finds the repository root
// and builds the k6 binary into dir (or takes the one named by
// XK6WS_E2E_K6). TestMain calls it once.
func setup(dir string) error {
	root, err := findRepoRoot()
	if err != nil {
		return err
	}
	repoRoot = root

	if prebuilt := os.Getenv(envBinary); prebuilt != "" {
		abs, err := filepath.Abs(prebuilt)
		if err != nil {
			return fmt.Errorf("resolving %s=%q: %w", envBinary, prebuilt, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("%s names no usable k6 binary: %w", envBinary, err)
		}
		k6Binary = abs
		return nil
	}

	bin := filepath.Join(dir, "k6")
	if err := buildK6(root, bin, os.Getenv(envRace) == "1"); err != nil {
		return err
	}
	k6Binary = bin
	return nil
}

// buildK6 runs `go build -trimpath -o bin ./cmd/k6` in the repository root.
func buildK6(root, bin string, race bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()

	// -trimpath as in `make build` and `make vet`: the same flags share the
	// build cache, so k6's dependencies are compiled once for all three.
	args := []string{"build", "-trimpath", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/k6")

	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("building k6 took longer than %s:\n%s", buildTimeout, out)
	}
	if err != nil {
		return fmt.Errorf("building k6 (go %v): %w\n%s", args, err, out)
	}
	return nil
}

// findRepoRoot walks up from the working directory (the package directory
// during go test) to the directory holding go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		_, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("finding the repository root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}
