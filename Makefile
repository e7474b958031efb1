# gorocket: `make run` starts a local name server and broker, `make test` runs every test.
GO        ?= go
BIN       := build/bin
CMDS      := $(notdir $(wildcard cmd/*))
FUZZTIME  ?= 10s

.PHONY: all build run test vet unit fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(CMDS))

run: build
	./scripts/run-local.sh

# The README's test command: static checks, every test, then each fuzz target for a bounded time.
test: vet unit fuzz

vet:
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# Starts its own name server and brokers on free loopback ports and prints the mqbench table.
bench:
	./scripts/bench.sh

clean:
	rm -rf build
