# cobble — build, test, lint, fuzz, bench.
GO       ?= go
FUZZTIME ?= 10s
PKGS     := ./...

.PHONY: all build test test-short lint fuzz bench run clean

all: build

build:
	$(GO) build -o bin/ ./cmd/... ./tools/...

# The full suite: unit, end-to-end, multi-process and interop tests, with
# the race detector; then the million-element tests, which the race
# detector makes too slow, without it.
test:
	$(GO) test -race -timeout 40m $(PKGS)
	$(GO) test -timeout 20m -run 'Million' ./server ./engine

test-short:
	$(GO) test -short $(PKGS)

lint:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet $(PKGS)

# Each fuzz target runs for FUZZTIME (go test allows one target per run):
# a duration (10s) or an execution count (30000x). CI uses a count: with a
# duration, Go 1.26's fuzz coordinator can fail a run with "context
# deadline exceeded" at the deadline on a loaded machine (go.dev/issue/75804).
fuzz:
	$(GO) test ./server -run '^$$' -fuzz '^FuzzParseCommand$$' -fuzztime $(FUZZTIME)
	$(GO) test ./aof -run '^$$' -fuzz '^FuzzParseCommand$$' -fuzztime $(FUZZTIME)
	$(GO) test ./aof -run '^$$' -fuzz '^FuzzOpenSegment$$' -fuzztime $(FUZZTIME)
	$(GO) test ./engine -run '^$$' -fuzz '^FuzzDecodeKey$$' -fuzztime $(FUZZTIME)
	$(GO) test ./server/config -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rdb -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rdb -run '^$$' -fuzz '^FuzzParseDumpPayload$$' -fuzztime $(FUZZTIME)

bench: build
	bash bench/run.sh all

run:
	$(GO) run ./cmd/cobble-server

clean:
	rm -rf bin data
