//go:build unix

package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noEnv(string) string { return "" }

func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cfg, err := parseConfig([]string{"-root", root}, noEnv)
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.pairs)
	assert.Equal(t, allScenarios, cfg.scenarios)
	assert.Equal(t, allAPIs, cfg.apis)
	assert.Equal(t, filepath.Join(root, "bin", "stock", "k6"), cfg.stock)
	assert.Equal(t, filepath.Join(root, "bench", "results.md"), cfg.out)
	assert.Empty(t, cfg.k6, "no -k6 means build ./k6")
	assert.Equal(t, 5000, cfg.idleSockets)
	assert.Equal(t, 1000, cfg.idleVUs)
	assert.Equal(t, 1<<20, cfg.largeSize)
	assert.Equal(t, 200, cfg.largeRoundTrips)
	assert.Equal(t, 1000, cfg.importVUs)
	assert.Equal(t, 10, cfg.keepVUs)
	assert.Equal(t, 1000, cfg.keepIterations)
	assert.Equal(t, 15_000, cfg.socketsNeeded(), "15 VUs × 1000 sockets")
}

func TestSocketsNeeded(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"-root", t.TempDir(), "-apis", "ws", "-scale-ws-vus", "3000"}, noEnv)
	require.NoError(t, err)
	assert.Equal(t, 3000, cfg.socketsNeeded())
	cfg, err = parseConfig([]string{"-root", t.TempDir(), "-scenarios", "echo"}, noEnv)
	require.NoError(t, err)
	assert.Zero(t, cfg.socketsNeeded(), "no scale scenario, no sockets to plan for")
}

func TestParseConfigEnvAndFlags(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	env := map[string]string{"BENCH_PAIRS": "5", "BENCH_ECHO_DURATION": "2s", "BENCH_SCENARIOS": "flood"}
	cfg, err := parseConfig([]string{"-root", root, "-pairs", "4", "-k6", "/opt/k6", "-apis", "websockets, ws"},
		func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, 4, cfg.pairs, "a flag beats the environment")
	assert.Equal(t, 2*time.Second, cfg.echoDuration)
	assert.Equal(t, []string{"flood"}, cfg.scenarios)
	assert.Equal(t, []string{"websockets", "ws"}, cfg.apis)
	assert.Equal(t, "/opt/k6", cfg.k6)
}

func TestParseConfigQuick(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"-root", t.TempDir(), "-quick", "-pairs", "9"}, noEnv)
	require.NoError(t, err)
	assert.Equal(t, 1, cfg.pairs)
	assert.Equal(t, time.Second, cfg.floodDuration)
	assert.Equal(t, 500, cfg.idleSockets)
	assert.Equal(t, 20, cfg.largeRoundTrips)
	assert.Equal(t, 100, cfg.importVUs)
	assert.Equal(t, 200, cfg.socketsNeeded())
	assert.Equal(t, 3, cfg.scaleMessages)
	assert.Equal(t, 100, cfg.keepIterations)
}

func TestParseConfigRejectsBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"-scenarios: unknown \"spin\"": {"-scenarios", "echo,spin"},
		"-apis: name at least one":     {"-apis", " , "},
		"-pairs must be at least 1":    {"-pairs", "0"},
		"-idle-hold must be at least":  {"-idle-hold", "0s"},
		"at most 1048576 bytes":        {"-flood-size", "2000000"},
		"-large-size must be at most":  {"-large-size", "100000000"},
		"-scale-interval must be at":   {"-scale-interval", "0s"},
		"-scale-sockets must be at":    {"-scale-sockets", "0"},
		"-keep-iterations must be at":  {"-keep-iterations", "0"},
		"benchrun takes flags only":    {"extra"},
		"parse flags":                  {"-nope"},
	}
	for want, args := range cases {
		_, err := parseConfig(append([]string{"-root", t.TempDir()}, args...), noEnv)
		require.ErrorContains(t, err, want, "args %q", args)
	}
	_, err := parseConfig(nil, func(k string) string {
		if k == "BENCH_PAIRS" {
			return "many"
		}
		return ""
	})
	require.ErrorContains(t, err, `BENCH_PAIRS="many"`)
}

func TestFindModuleRootFindsThisRepository(t *testing.T) {
	t.Parallel()
	root, err := findModuleRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "bench", "lib.js"))
}

func TestDescribeListsOnlyTheSelectedScenarios(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"-root", t.TempDir(), "-scenarios", "scale,large", "-pairs", "2"}, noEnv)
	require.NoError(t, err)
	lines := cfg.describe()
	require.Len(t, lines, 4)
	assert.Contains(t, lines[0], "pairs: 2")
	assert.Contains(t, lines[1], "scale: WebSocket class 15 VUs × 1000 sockets")
	assert.Contains(t, lines[2], "large: 1 socket, 200 sequential round trips")
	assert.Contains(t, lines[3], "run timeout")
}
