# credreview: run "make" to list the targets.
.DEFAULT_GOAL := help
GO ?= go
FUZZTIME ?= 30s
# staticcheck: .ci/run installs it with go install (honnef.co/go/tools).
STATICCHECK ?= $(shell command -v staticcheck || echo "$$($(GO) env GOPATH)/bin/staticcheck")

.PHONY: help build test short update lint fuzz bench demo clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build ./credreview
	$(GO) build -o credreview .

test: ## Run go vet and every test (the README's test command)
	$(GO) vet ./...
	$(GO) test ./...

short: ## The inner loop: every test that starts no external program, in seconds
	$(GO) test -short ./...

update: ## Regenerate the golden files under testdata/ (review the diff)
	$(GO) test ./... -update

lint: ## go vet, staticcheck, and neither gofmt nor go mod tidy may have anything to change
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) mod tidy -diff
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

fuzz: ## Fuzz each parser for FUZZTIME (default 30s)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzAnalyze$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzUnquotedCommas$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzParseStamp$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzFastPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzFastPathRows$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzEveryLineAccounted$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzEnvelope$$' -fuzztime $(FUZZTIME)
	$(GO) test ./formats -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZTIME)

bench: ## Measure speed and memory on a generated 100 × 5,000-user batch, beside the gawk one-liner (needs gawk)
	$(GO) test ./analyze -run '^$$' -bench '^BenchmarkParse$$' -benchtime 5x
	$(GO) test ./internal/batch -run '^$$' -bench . -benchtime 9x -timeout 30m

demo: ## Analyse samples/ into demo/ in every format
	$(GO) run . analyze -o demo -f xlsx,md,json,sh samples/

clean: ## Remove what build and demo made
	rm -rf credreview demo .bench
