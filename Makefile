# agentswitch: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/agentswitch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 10m

.PHONY: run test test-ahead build deps-run deps-test vet unit fuzz-short fuzz bench e2e ui clean

## run: install what is missing, build, and run the service on the embedded defaults
run: deps-run build
	./$(BIN) serve

## test: install what the tests need and run every default tier
test: deps-test vet unit fuzz-short

## test-ahead: every default tier with the service's clock (and every component's) a year ahead
test-ahead: deps-test
	AGENTSWITCH_CLOCK_OFFSET=8760h $(GO) test -race -count=1 ./...

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/agentswitch

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) -C third_party/eslgo vet .

unit:
	$(GO) test -race -count=1 ./...
	$(GO) -C third_party/eslgo test -race -count=1 .

# A short run of every fuzz target on each `make test`; `make fuzz` runs longer.
# The short run skips minimizing new inputs, and is counted in executions, not
# seconds: Go 1.26's fuzz coordinator can fail a run whose -fuzztime duration
# ends while a worker is busy ("context deadline exceeded", go.dev/issue/75804,
# fixed in Go 1.27), which a loaded machine makes likely.
FUZZ_SHORT ?= 50000x
# A package with its own go.mod (the patched eslgo) is tested from its directory.
FUZZ_TARGETS := ./esl:FuzzParseEvent ./third_party/eslgo:FuzzReadResponse \
  ./api:FuzzDecode ./dialer/phone:FuzzNormalizeNumber ./pbx:FuzzXMLCurl \
  ./dialer:FuzzParseCampaignSettings ./dialer/leadimport:FuzzImport \
  ./dialer/window:FuzzWindowRules
FUZZ_RUN = for t in $(FUZZ_TARGETS); do IFS=: read -r pkg fn <<< "$$t"; dir=.; \
	  if [ -f $$pkg/go.mod ]; then dir=$$pkg; pkg=.; fi; \
	  echo "fuzz $$t ($(1))"; \
	  $(GO) -C $$dir test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(1) -fuzzminimizetime=$(2) -timeout=0 $$pkg || exit 1; done
fuzz-short:
	@$(call FUZZ_RUN,$(FUZZ_SHORT),0)

fuzz:
	@$(call FUZZ_RUN,$(FUZZTIME),10s)

## bench: the benchmarks behind BENCHMARKS.md
bench: deps-test
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./esl/ ./dialer/redisstore/
	$(GO) test -run='^$$' -bench=BenchmarkImport1M -benchtime=1x -count=1 ./dialer/sqlitestore/
	$(GO) test -run='^$$' -bench=BenchmarkDialerCallRecords -benchtime=20000x -count=3 ./dialer/sqlitestore/
	$(GO) test -run='^$$' -bench=BenchmarkProgressiveDialing -benchtime=1x -count=1 ./dialer/
	$(GO) test -run='^$$' -bench=BenchmarkQueueEntryToOriginate -benchtime=3000x -count=3 ./dialer/
	$(GO) test -run='^$$' -bench=BenchmarkQueueWaitingCallers -benchtime=10000x -count=1 ./dialer/
	$(GO) test -run='^$$' -bench=BenchmarkLeadCallFlood -benchtime=20000x -count=3 ./api/
	$(GO) test -run='^$$' -bench=BenchmarkLeadCallToManagerLeg -benchtime=1000x -count=3 ./cmd/agentswitch/
	AGENTSWITCH_WALL_BENCH=1 $(GO) test -run='^TestWallFloorBench$$' -count=1 -v -timeout=10m ./tests/browser/

## e2e: the real-FreeSWITCH tier (AGENTSWITCH_E2E_FREESWITCH=<binary or host:port>)
e2e: deps-run
	@scripts/e2e.sh

## ui: refresh the UI's vendored modules (htm + Preact, uPlot for charts, JsSIP for the
## softphone) from agentui/package-lock.json; the UI is plain ES modules served as they are,
## so there is nothing else to build (JsSIP, published as CommonJS, is bundled into one
## ES module once here)
ui:
	cd agentui && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.lock-installed
	cp agentui/node_modules/htm/preact/standalone.module.js agentui/static/vendor/htm-preact.js
	cp agentui/node_modules/htm/LICENSE agentui/static/vendor/LICENSE-htm.txt
	cp agentui/node_modules/uplot/dist/uPlot.esm.js agentui/static/vendor/uplot.js
	cp agentui/node_modules/uplot/dist/uPlot.min.css agentui/static/vendor/uplot.css
	cp agentui/node_modules/uplot/LICENSE agentui/static/vendor/LICENSE-uplot.txt
	node agentui/bundle-jssip.mjs > agentui/static/vendor/jssip.js
	node agentui/bundle-jssip.mjs license > agentui/static/vendor/LICENSE-jssip.txt

clean:
	rm -rf bin
