# Makefile for xk6-ws. Run `make` (or `make help`) for the list of targets.
#
# Variables you may override on the command line:
#   GO          the go command                      (default: go)
#   FUZZTIME    inputs (or time) per fuzz target    (default: 200000x)
#   BENCHFLAGS  flags passed to the bench runner    (default: none)
#   WS_ADDR     address of the `demo` echo server   (default: 127.0.0.1:8080)
#   AUTOBAHN_PORT    port of the Autobahn fuzzing server      (default: 9001)
#   AUTOBAHN_SERVER  "external": use a fuzzing server already running there

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# A count, not a duration: go1.26's time-limited fuzzing can end with a
# spurious "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 200000x
BENCHFLAGS ?=
WS_ADDR ?= 127.0.0.1:8080
# How long `demo` waits for the echo server to print its address, in tenths of a second.
DEMO_WAIT_TENTHS := 100

# `autobahn` runs the Autobahn|Testsuite fuzzing server here, writing its
# reports under AUTOBAHN_DIR.
AUTOBAHN_PORT ?= 9001
AUTOBAHN_SERVER ?=
AUTOBAHN_DIR := .autobahn

# golangci-lint is built from source through the Go module proxy into ./bin.
# v2.15.0 is the newest v2 release; it builds and runs with go1.26.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CURDIR)/bin/golangci-lint

# Every Go file of the module except fixtures and build output.
GO_FILES = $(shell find . -name '*.go' -not -path './bin/*' -not -path './.bench/*' -not -path '*/testdata/*')

.PHONY: help build test vet fmt-check lint demo autobahn bench soak fuzz clean

help: ## List the targets (the default)
	@echo "Targets:"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## Build the k6 binary with this extension at ./k6
	$(GO) build -trimpath -o k6 ./cmd/k6

# go test runs no vet of its own (-vet=off): `vet` has just run every check.
test: ## What CI runs: go vet, gofmt check, then all tests with -race (e2e included)
	$(MAKE) --no-print-directory vet
	$(MAKE) --no-print-directory fmt-check
	$(GO) test -race -count=1 -vet=off -timeout 9m ./...

# vet, `build` and the k6 binary the e2e tests build all compile with
# -trimpath: the same flags share Go's build cache, so none of them compiles
# k6 and its dependencies again after another did.
vet: ## go vet ./...
	$(GO) vet -trimpath ./...

fmt-check: ## Fail, listing them, if any Go file is not gofmt-formatted
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then \
		echo "These files are not gofmt-formatted (run gofmt -w on them):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi

lint: ## Run golangci-lint (installed into ./bin on first use)
	@if ! "$(GOLANGCI_LINT)" version 2>/dev/null | grep -q "version $(GOLANGCI_LINT_VERSION:v%=%) "; then \
		echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into ./bin"; \
		GOBIN="$(CURDIR)/bin" $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	fi
	"$(GOLANGCI_LINT)" run ./...

# demo builds ./k6, starts its echo server in the background with its output
# in a temporary file, and waits (bounded) for the server's banner, which
# names the address it bound: so the demo never runs against some other
# program that holds the port. A server that exits (the port is taken, say)
# stops the demo with its own error. The server is always stopped at the end.
demo: ## Build ./k6, start `./k6 x ws-echo` on WS_ADDR and run examples/demo.js against it
	@echo "demo: building ./k6 with the extension (the first build from a cold Go cache takes about 2 minutes on 2 idle cores, longer on a busy machine; later builds take seconds)"
	@$(MAKE) --no-print-directory build
	@echo "demo: starting the echo server: ./k6 x ws-echo --addr $(WS_ADDR)"
	@log="$$(mktemp)"; \
	./k6 x ws-echo --addr "$(WS_ADDR)" >"$$log" 2>&1 & server=$$!; \
	trap 'kill "$$server" 2>/dev/null || true; wait "$$server" 2>/dev/null || true; rm -f "$$log"' EXIT; \
	url=""; \
	for ((i = 0; ; i++)); do \
		url="$$(sed -n 's/^xk6-ws echo server listening on \(ws[^ ]*\)$$/\1/p' "$$log")"; \
		if [ -n "$$url" ]; then break; fi; \
		if ! kill -0 "$$server" 2>/dev/null; then \
			echo "demo: the echo server could not start on $(WS_ADDR) (is the port taken? try make demo WS_ADDR=127.0.0.1:8081):" >&2; \
			cat "$$log" >&2; exit 1; \
		fi; \
		if ((i >= $(DEMO_WAIT_TENTHS))); then echo "demo: the echo server printed no address within $$(($(DEMO_WAIT_TENTHS) / 10))s:" >&2; cat "$$log" >&2; exit 1; fi; \
		sleep 0.1; \
	done; \
	echo "demo: the echo server listens on $$url; running examples/demo.js (10 VUs, 10 s)"; \
	./k6 run --env WS_URL="$$url" examples/demo.js

# autobahn needs wstest, the Autobahn|Testsuite (a Python 2 program). It
# starts its fuzzing server (or, with AUTOBAHN_SERVER=external, uses one
# already listening on AUTOBAHN_PORT, such as the Docker image's, writing its
# reports into AUTOBAHN_DIR/reports), runs the echo clients of autobahn/ with
# both APIs, once without and once with permessage-deflate (four agents), and
# prints the summary of the report. A server it started is stopped at the end.
autobahn: ## Run the Autobahn|Testsuite against both APIs, without and with compression (needs wstest)
	@mkdir -p "$(AUTOBAHN_DIR)/reports"; \
	printf '{"url": "ws://127.0.0.1:%s", "outdir": "%s", "cases": ["*"], "exclude-cases": [], "exclude-agent-cases": {}}\n' \
		"$(AUTOBAHN_PORT)" "$(CURDIR)/$(AUTOBAHN_DIR)/reports" > "$(AUTOBAHN_DIR)/fuzzingserver.json"; \
	printf '{"url": "ws://127.0.0.1:%s", "outdir": "/ab/reports", "cases": ["*"], "exclude-cases": [], "exclude-agent-cases": {}}\n' \
		"$(AUTOBAHN_PORT)" > "$(AUTOBAHN_DIR)/fuzzingserver-docker.json"; \
	if [ -z "$(AUTOBAHN_SERVER)" ] && ! command -v wstest >/dev/null 2>&1; then \
		echo "autobahn: wstest (Autobahn|Testsuite, a Python 2 program) is not installed. Either:" >&2; \
		echo "  - install it: pip2 install autobahntestsuite   (Python 2.7 with pip; puts wstest on PATH), or" >&2; \
		echo "  - run its fuzzing server from the Docker image, in another terminal:" >&2; \
		echo "      docker run --rm --network host -v \"\$$PWD/$(AUTOBAHN_DIR):/ab\" crossbario/autobahn-testsuite \\" >&2; \
		echo "        wstest -m fuzzingserver -s /ab/fuzzingserver-docker.json" >&2; \
		echo "    then: make autobahn AUTOBAHN_SERVER=external" >&2; \
		exit 2; \
	fi
	@$(MAKE) --no-print-directory build
	@server=""; \
	if [ -z "$(AUTOBAHN_SERVER)" ]; then \
		echo "autobahn: starting wstest -m fuzzingserver on port $(AUTOBAHN_PORT) (log: $(AUTOBAHN_DIR)/wstest.log)"; \
		wstest -m fuzzingserver -s "$(AUTOBAHN_DIR)/fuzzingserver.json" > "$(AUTOBAHN_DIR)/wstest.log" 2>&1 & server=$$!; \
		trap 'kill "$$server" 2>/dev/null || true; wait "$$server" 2>/dev/null || true' EXIT; \
	fi; \
	for ((i = 0; ; i++)); do \
		if (exec 3<>"/dev/tcp/127.0.0.1/$(AUTOBAHN_PORT)") 2>/dev/null; then break; fi; \
		if [ -n "$$server" ] && ! kill -0 "$$server" 2>/dev/null; then echo "autobahn: wstest exited:" >&2; cat "$(AUTOBAHN_DIR)/wstest.log" >&2; exit 1; fi; \
		if ((i >= 300)); then echo "autobahn: no fuzzing server answers on port $(AUTOBAHN_PORT) after 30s" >&2; exit 1; fi; \
		sleep 0.1; \
	done; \
	url="ws://127.0.0.1:$(AUTOBAHN_PORT)"; \
	for api in ws websocket; do \
		for compression in "" deflate; do \
			module="k6-ws"; if [ "$$api" = websocket ]; then module="k6-websockets"; fi; \
			agent="xk6-ws-$$module$${compression:+-$$compression}"; \
			echo "autobahn: running every case as $$agent"; \
			./k6 run -q --summary-mode=disabled -e AUTOBAHN_URL="$$url" -e AGENT="$$agent" -e COMPRESSION="$$compression" \
				"autobahn/$$api-client.js"; \
		done; \
	done; \
	./k6 run -q -e REPORT="$(CURDIR)/$(AUTOBAHN_DIR)/reports/index.json" autobahn/summary.js

bench: ## Compare with stock k6 (go run ./bench/cmd/benchrun, flags from BENCHFLAGS)
	$(GO) run ./bench/cmd/benchrun $(BENCHFLAGS)

soak: ## Long-running e2e soak tests (build tag soak)
	$(GO) test -race -count=1 -tags soak -timeout 15m -run Soak ./internal/e2e/...

# fuzz finds the fuzz targets with `go test -list`, whose output is the
# matching names of a package followed by that package's "ok <pkg>" line, and
# runs each target on its own for FUZZTIME (go test -fuzz takes one target).
fuzz: ## Run every fuzz target for FUZZTIME (default 200000x inputs) each
	@$(GO) test -list '^Fuzz' ./... \
	| awk '/^Fuzz/ { names[n++] = $$1; next } \
	       /^ok / { for (i = 0; i < n; i++) print $$2, names[i] } \
	       { n = 0 }' \
	| while read -r pkg target; do \
		echo "fuzzing $$target in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${target}\$$" -fuzztime "$(FUZZTIME)" "$$pkg" </dev/null; \
	done

clean: ## Remove build output (./k6, ./bin, .bench, test binaries and profiles)
	rm -rf k6 bin .bench
	find . \( -name '*.test' -o -name '*.out' -o -name '*.prof' \) -type f -not -path '*/testdata/*' -delete
