# Supercomp: `make run` starts the all-in-one platform, `make test` runs everything CI runs.
# Every tool is installed at a pinned version into ./bin, so a fresh machine needs only Go.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODULES      := pkg services/ingestion services/fatigue services/programming services/notifications services/console services/platform services/chart
BIN          := $(CURDIR)/bin
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS      := -X github.com/supercomp/supercomp/pkg/version.Version=$(VERSION) \
                -X github.com/supercomp/supercomp/pkg/version.Commit=$(COMMIT)

BUF_VERSION              := v1.75.0
PROTOC_GEN_GO_VERSION    := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
# protoc-gen-grpc-gateway, protoc-gen-openapiv2 and the gateway runtime in pkg/go.mod share it.
GRPC_GATEWAY_VERSION     := v2.34.0
BENCHSTAT_VERSION        := v0.0.0-20260908200009-22c9c6c9d4da
GOLANGCI_LINT_VERSION    := v2.15.0

# The Go test race detector needs cgo.
export CGO_ENABLED := 1
export PATH := $(BIN):$(PATH)

# libchdb.so (566 MB) lives in a cache outside git; scripts/libchdb.sh fetches it once and
# prints its path. Evaluated lazily so `make help` never downloads anything.
CHDB_LIB = $(shell scripts/libchdb.sh | tail -n 1)
# Debian's chromium drives the console's browser tests; scripts/chromium.sh installs it once and
# prints its path.
CHROMIUM = $(shell scripts/chromium.sh | tail -n 1)

##@ Everyday

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2} /^##@/ {printf "\n%s\n", substr($$0, 5)}' $(MAKEFILE_LIST)

.PHONY: run
run: build libchdb ## Build and start the all-in-one platform (embedded NATS + chDB under ./.data).
	CHDB_LIB_PATH="$(CHDB_LIB)" $(BIN)/supercomp --data-dir ./.data

.PHONY: demo
demo: build ## Start the platform and stream a simulated squad through it (deloads and alerts within a minute).
	scripts/demo.sh

.PHONY: run-services
run-services: build ## Run the four services as separate processes on one NATS server (natsd) and the ClickHouse server.
	scripts/run-services.sh

# The larger real data sets live beside the checkout (../shared/datasets), not in it; tests that
# read them name them (pkg/datasets). Where the folder exists they are required, so a machine with
# the data cannot pass by skipping it; a clean clone without it runs on the fixtures in testdata/.
REQUIRE_DATASETS := $(if $(wildcard ../shared/datasets),1,0)

.PHONY: test
test: tools proto-check deps lint ## Everything CI runs: lint, generated-code check, unit and integration tests on real NATS, ClickHouse and chDB.
	@echo "SC_REQUIRE_DATASETS=$(REQUIRE_DATASETS) (1 when ../shared/datasets exists)"
	@lib="$(CHDB_LIB)"; chromium="$(CHROMIUM)"; for m in $(MODULES); do \
		echo "==> go test $$m"; \
		(cd $$m && SC_REQUIRE_CLICKHOUSE=1 SC_REQUIRE_DATASETS=$(REQUIRE_DATASETS) CHDB_LIB_PATH="$$lib" SC_CHROMIUM="$$chromium" go test -race -count=1 -timeout 15m ./...); \
	done

.PHONY: bench
bench: deps $(BIN)/benchstat ## Run the Go benchmarks (bus, store backends) and print them as a table.
	@lib="$(CHDB_LIB)"; rm -f bench.txt; \
	pid=$$(cat .cache/clickhouse.pid 2>/dev/null || true); kill -0 "$$pid" 2>/dev/null || pid=""; \
	for m in $(MODULES); do \
		(cd $$m && SC_REQUIRE_CLICKHOUSE=1 SC_CLICKHOUSE_PID="$$pid" CHDB_LIB_PATH="$$lib" go test -run '^$$' -bench . -benchmem -count 6 -timeout 30m ./... | tee -a $(CURDIR)/bench.txt); \
	done
	$(BIN)/benchstat bench.txt

.PHONY: chaos
chaos: clickhouse libchdb ## The fault suite (about 5 min, 12 at most): kills, outages and a slow webhook against the services as separate processes; prints a table.
	@cd services/platform && SC_CHAOS=1 SC_REQUIRE_CLICKHOUSE=1 CHDB_LIB_PATH="$(CHDB_LIB)" \
		go test -count=1 -timeout 15m -run '^TestFaultSuite$$' -v ./internal/chaos/

##@ Build

# The binaries carry the libchdb cache folder as their library run path, so `bin/supercomp`
# finds the embedded engine without CHDB_LIB_PATH (chdb-go loads it before main runs).
.PHONY: build
build: libchdb ## Build every binary into ./bin with the version stamped in.
	go build -ldflags "$(LDFLAGS) -r $(dir $(CHDB_LIB))" -o $(BIN)/ ./services/platform/cmd/supercomp ./services/platform/cmd/sc ./services/platform/cmd/natsd \
		./services/ingestion/cmd/ingestion ./services/fatigue/cmd/fatigue \
		./services/programming/cmd/programming ./services/notifications/cmd/notifications \
		./services/console/cmd/console

.PHONY: proto
proto: tools ## Regenerate pkg/gen and the OpenAPI description in docs/api from proto/ (offline, pinned local plugins).
	rm -rf pkg/gen docs/api
	buf generate

.PHONY: proto-check
proto-check: tools ## Fail when regenerating would change the committed pkg/gen or docs/api.
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	buf generate --output $$tmp; \
	for dir in pkg/gen docs/api; do \
		if ! diff -r -q $$tmp/$$dir $$dir; then \
			echo "$$dir is stale: run 'make proto' and commit the result" >&2; exit 1; \
		fi; \
	done; echo "pkg/gen and docs/api match proto/"

.PHONY: lint
lint: tools vet ## gofmt, go mod tidy unchanged, golangci-lint (.golangci.yml), buf lint and buf breaking against main.
	@bad=$$(gofmt -l $(MODULES) | grep -v '^pkg/gen/' || true); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	@# `go mod tidy -diff` (Go 1.23+) prints what tidy would change and fails, touching nothing.
	@for m in $(MODULES); do \
		(cd $$m && go mod tidy -diff >/dev/null) || { echo "$$m: go.mod/go.sum are not tidy: run 'go mod tidy' in $$m and commit" >&2; exit 1; }; \
	done; echo "go mod tidy: every module unchanged"
	@# One run over every module of the workspace; its cache (~/.cache/golangci-lint) makes a
	@# second run on unchanged code take seconds.
	golangci-lint run $(addsuffix /...,$(addprefix ./,$(MODULES)))
	buf lint
	@if git rev-parse --verify -q main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then \
		buf breaking --against '.git#branch=main' && echo "buf breaking: nothing breaks against main"; \
	else echo "buf breaking: no proto on main yet, nothing to compare"; fi

.PHONY: vet
vet: ## go vet every module.
	@for m in $(MODULES); do (cd $$m && go vet ./...); done

##@ Dependencies (installed on demand, pinned)

.PHONY: tools
tools: $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-grpc-gateway $(BIN)/protoc-gen-openapiv2 $(BIN)/golangci-lint ## Install buf, the protoc plugins and golangci-lint into ./bin.

$(BIN)/buf:
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(BIN)/protoc-gen-go-grpc:
	GOBIN=$(BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(BIN)/protoc-gen-grpc-gateway:
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
$(BIN)/protoc-gen-openapiv2:
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
$(BIN)/golangci-lint:
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
$(BIN)/benchstat:
	GOBIN=$(BIN) go install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

.PHONY: deps
deps: clickhouse libchdb chromium ## Install and start what the tests need.

.PHONY: clickhouse
clickhouse: ## Install (apt) and start the ClickHouse server on 127.0.0.1:9000 unless one answers.
	scripts/clickhouse.sh

.PHONY: chromium
chromium: ## Install Debian's chromium (apt) for the console's browser tests unless it is there.
	@scripts/chromium.sh >/dev/null

.PHONY: libchdb
libchdb: ## Fetch libchdb.so (npm @chdb/lib-linux-x64-gnu) into the cache outside git.
	@scripts/libchdb.sh >/dev/null
