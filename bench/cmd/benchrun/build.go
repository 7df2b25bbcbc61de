//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// stockModule is what `go install` builds as the stock binary.
const stockModule = "go.k6.io/k6@v1.8.1"

// binaries are the programs a bench run needs.
type binaries struct {
	xk6, stock, server, ceiling string
	// xk6Version and stockVersion are `k6 version` outputs, for the report.
	xk6Version, stockVersion string
}

// prepareBinaries builds whatever is missing: ./k6 unless -k6 was given, the
// stock k6 unless it exists, and always the server and ceiling helpers.
func prepareBinaries(ctx context.Context, cfg config) (binaries, error) {
	bins := binaries{
		xk6:     cfg.k6,
		stock:   cfg.stock,
		server:  filepath.Join(cfg.rawDir, "bin", "benchserver"),
		ceiling: filepath.Join(cfg.rawDir, "bin", "ceiling"),
	}
	if bins.xk6 == "" {
		bins.xk6 = filepath.Join(cfg.root, "k6")
		if err := goCmd(ctx, cfg.root, nil, "build", "-trimpath", "-o", bins.xk6, "./cmd/k6"); err != nil {
			return binaries{}, fmt.Errorf("build xk6-ws k6 (use -k6 to bring your own): %w", err)
		}
	}
	if err := ensureStock(ctx, cfg); err != nil {
		return binaries{}, err
	}
	helpers := map[string]string{bins.server: "./bench/cmd/benchserver", bins.ceiling: "./bench/cmd/ceiling"}
	for out, pkg := range helpers {
		if err := goCmd(ctx, cfg.root, nil, "build", "-o", out, pkg); err != nil {
			return binaries{}, fmt.Errorf("build %s: %w", pkg, err)
		}
	}
	var err error
	if bins.xk6Version, err = k6Version(ctx, bins.xk6); err != nil {
		return binaries{}, err
	}
	if bins.stockVersion, err = k6Version(ctx, bins.stock); err != nil {
		return binaries{}, err
	}
	return bins, nil
}

// ensureStock installs stock k6 into the directory of cfg.stock when that
// file does not exist yet.
func ensureStock(ctx context.Context, cfg config) error {
	_, err := os.Stat(cfg.stock)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stock k6 %s: %w", cfg.stock, err)
	}
	if filepath.Base(cfg.stock) != "k6" {
		return fmt.Errorf("stock k6 %s does not exist and cannot be installed under that name: the file must be called k6", cfg.stock)
	}
	fmt.Fprintf(os.Stderr, "installing stock %s into %s (takes a few minutes once)\n", stockModule, filepath.Dir(cfg.stock))
	env := []string{"GOBIN=" + filepath.Dir(cfg.stock)}
	if err := goCmd(ctx, cfg.root, env, "install", stockModule); err != nil {
		return fmt.Errorf("install stock k6: %w", err)
	}
	return nil
}

// goCmd runs the go tool in dir with extra environment, its output going to
// stderr.
func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// k6Version returns the first line of `k6 version`, which also proves the
// binary runs.
func k6Version(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", bin, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line, nil
}
