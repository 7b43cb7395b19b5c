# credreview: run "make" to list the targets.
.DEFAULT_GOAL := help
GO ?= go
FUZZTIME ?= 30s
# staticcheck: .ci/run installs it with go install (honnef.co/go/tools).
STATICCHECK ?= $(shell command -v staticcheck || echo "$$($(GO) env GOPATH)/bin/staticcheck")

.PHONY: help build test short update lint fuzz bench demo man dist dist-check clean

# The release binaries: every pair is built with -trimpath and no build id
# that depends on the machine, so that one commit always gives the same bytes.
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

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
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzReference$$' -fuzztime $(FUZZTIME)
	$(GO) test ./formats -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZTIME)
	$(GO) test ./formats -run '^$$' -fuzz '^FuzzReadReview$$' -fuzztime $(FUZZTIME)
	$(GO) test ./formats -run '^$$' -fuzz '^FuzzReadApproved$$' -fuzztime $(FUZZTIME)
	$(GO) test ./analyze -run '^$$' -fuzz '^FuzzReadExceptions$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/sshsig -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/sshsig -run '^$$' -fuzz '^FuzzParseAllowedSigners$$' -fuzztime $(FUZZTIME)

bench: ## Measure speed and memory beside the gawk one-liner, each figure against its target; fails on a miss (needs gawk)
	$(GO) test ./analyze -run '^$$' -bench '^BenchmarkParse$$' -benchtime 5x
	$(GO) test ./internal/batch -run '^$$' -bench '^Benchmark(Gawk|AnalyzeJSON|AnalyzePackage|HeavyJSON|HeavyPackage|Hostile|HostileReaders)$$' -benchtime 9x -timeout 30m
	$(GO) test ./internal/batch -run '^$$' -bench '^Benchmark(Linear|MemoryPerFinding)$$' -benchtime 1x -timeout 30m

demo: ## Analyse samples/ into demo/ in every format
	$(GO) run . analyze -o demo -f xlsx,md,json,sh samples/

man: ## Write doc/credreview.1 from the --help texts
	$(GO) test . -run '^TestManPage$$' -update

dist: ## Cross-compile the release binaries into dist/, with SHA256SUMS
	rm -rf dist && mkdir -p dist
	for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w -buildid=' -o dist/credreview-$$os-$$arch$$ext . || exit 1; \
	done
	cd dist && sha256sum credreview-* > SHA256SUMS && cat SHA256SUMS

dist-check: ## Build dist twice, the second time with an empty build cache, and compare
	$(MAKE) dist && mv dist .dist-first
	GOCACHE=$$(mktemp -d) $(MAKE) dist; status=$$?; \
	if [ $$status -eq 0 ] && cmp .dist-first/SHA256SUMS dist/SHA256SUMS; then echo "dist is reproducible"; rm -rf .dist-first; else echo "dist differs between two builds"; diff .dist-first/SHA256SUMS dist/SHA256SUMS; rm -rf .dist-first; exit 1; fi

clean: ## Remove what build, demo and dist made
	rm -rf credreview demo .bench dist .dist-first
