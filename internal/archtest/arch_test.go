// Package archtest keeps the package graph pointing one way:
// cmd -> api -> dialer <- stores, cmd -> pbx -> dialer, cmd -> esl, and
// identity a leaf under api, dialer and the stores. Every package of the
// module is under some rule (TestEveryPackageHasARule).
package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	module = "github.com/agentswitch/agentswitch"
	mod    = module + "/"
)

// forbidden: what a package may not depend on, directly or not.
var forbidden = map[string][]string{
	// The domain is pure: no HTTP, no Redis, no SQL, no SIP stack. It drives
	// the switch through the esl package's typed, validated commands.
	mod + "dialer": {"net/http", "github.com/labstack/echo", "github.com/redis/go-redis", "database/sql", "github.com/mattn/go-sqlite3", "github.com/emiago/sipgo", mod + "api", mod + "pbx", mod + "dialer/redisstore", mod + "dialer/sqlitestore", mod + "esl/sim"},
	// The phone-number rule is a leaf every layer may use.
	mod + "dialer/phone": {module},
	// Calling windows are pure rules over an injected time: no I/O.
	// (Forbidding esl and identity keeps the engine out too.)
	mod + "dialer/window": {mod + "api", mod + "esl", mod + "identity", mod + "pbx", "net/http", "database/sql", "github.com/redis/go-redis"},
	// Users, roles, API keys and web sessions: a leaf beside dialer/phone
	// (see also onlyStdlibAnd). The engine, the stores and the API import
	// it, never the other way.
	mod + "identity": {mod + "dialer", mod + "api", mod + "esl", mod + "pbx", "net/http", "database/sql", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// The switch client knows nothing of agents, campaigns or storage.
	mod + "esl": {mod + "dialer", mod + "api", "github.com/redis/go-redis", "database/sql", "github.com/labstack/echo"},
	// Stores implement the domain's interfaces; they never reach up or across.
	mod + "dialer/redisstore":  {mod + "api", mod + "esl/sim", "database/sql", "github.com/labstack/echo"},
	mod + "dialer/sqlitestore": {mod + "api", mod + "esl/sim", "github.com/redis/go-redis", "github.com/labstack/echo"},
	// The memory store and the store contract stand beside redisstore: no
	// Redis, no SQL, no simulator, so they run inside a synctest bubble.
	mod + "dialer/memlive":       {mod + "api", mod + "esl/sim", "github.com/redis/go-redis", "database/sql", "github.com/labstack/echo"},
	mod + "dialer/livestoretest": {mod + "api", mod + "esl/sim", "github.com/redis/go-redis", "database/sql", "github.com/labstack/echo"},
	// The engine's test harness wires the domain, not the HTTP layer.
	mod + "dialer/dialertest": {mod + "api", "github.com/redis/go-redis", "github.com/labstack/echo"},
	// The CSV importer is domain code: it writes through the Sink its
	// caller (the store's transaction) gives it.
	mod + "dialer/leadimport": {"net/http", "github.com/labstack/echo", "github.com/redis/go-redis", "database/sql", "github.com/mattn/go-sqlite3", mod + "api", mod + "dialer/sqlitestore"},
	// The simulator stands for FreeSWITCH: it may use the wire code only.
	mod + "esl/sim": {mod + "dialer", mod + "api", "github.com/redis/go-redis", "database/sql"},
	// HTTP reaches storage and the switch only through the services it
	// calls (interfaces it declares; cmd wires the implementations).
	// Its metrics come in as a handler and an observer: the registry is
	// the binary's, never a global one of the API's.
	mod + "api": {mod + "pbx", mod + "esl/sim", mod + "dialer/redisstore", mod + "dialer/sqlitestore", "github.com/redis/go-redis", "database/sql", "github.com/mattn/go-sqlite3", "github.com/prometheus/client_golang"},
	// Metrics read the engine and the switch client in memory and time
	// the live store through its interface: no storage, not the API.
	mod + "internal/metrics": {mod + "api", mod + "pbx", mod + "esl/sim", mod + "dialer/redisstore", mod + "dialer/sqlitestore", "github.com/redis/go-redis", "github.com/labstack/echo"},
	// Provisioning serves FreeSWITCH and stores through the domain's
	// interfaces: no HTTP framework, no live state, no API.
	mod + "pbx": {mod + "api", mod + "dialer/redisstore", mod + "dialer/sqlitestore", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// Sending e-mail and text messages knows nothing of calls, stores or
	// the API: the service hands it messages.
	mod + "notify": {mod + "api", mod + "dialer", mod + "pbx", mod + "esl", "github.com/labstack/echo", "github.com/redis/go-redis", "database/sql"},
	// Lead requests drive the engine through its interface and keep
	// their state through the store interfaces: no SQL, HTTP or simulator.
	mod + "leadcall": {mod + "api", mod + "dialer/sqlitestore", mod + "dialer/redisstore", mod + "esl/sim", mod + "pbx", "database/sql", "net/http", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// Webhooks keep their outbox through the Store they declare (the SQL
	// store implements it) and follow the engine's events; not the API.
	mod + "notify/webhooks": {mod + "api", mod + "dialer/sqlitestore", mod + "dialer/redisstore", "database/sql", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// A widget's e-mails and SMS are composed from its records and handed
	// to notify: no stores, no API.
	mod + "widgetnotify": {mod + "api", mod + "dialer/sqlitestore", mod + "dialer/redisstore", mod + "pbx", "database/sql", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// The agent workspace is embedded static files.
	mod + "agentui": {module},
	// The binary wires everything but links no test harness.
	mod + "cmd/agentswitch": {"testing", mod + "internal/svctest", mod + "internal/redistest"},
	// The ESL load generator drives the client's wire code, nothing above.
	mod + "esl/internal/blaster": {mod + "dialer", mod + "api", mod + "esl/sim", "github.com/redis/go-redis"},
	// The private redis-server and the SIP test phones know nothing of the
	// service; the redis test helper only starts a redis-server.
	mod + "internal/redisproc": {module},
	mod + "internal/sipphone":  {module},
	mod + "internal/redistest": {mod + "dialer", mod + "api", mod + "esl", mod + "pbx"},

	// The WebRTC test peer (the switch's WebSocket side in softphone
	// tests) knows nothing of the service either: it builds on the test
	// phones' G.711 and RTP helpers only.
	mod + "internal/webrtcpeer": {mod + "api", mod + "agentui", mod + "cmd", mod + "dialer", mod + "esl", mod + "identity", mod + "leadcall", mod + "notify", mod + "pbx", mod + "tts", mod + "widgetnotify", mod + "internal/metrics", mod + "internal/redisproc", mod + "internal/redistest", mod + "internal/svctest"},
}

// onlyStdlibAnd: the only things beyond the standard library a package may
// depend on, directly or not; an empty list is the standard library alone.
// For the small leaves, which must stay small.
var onlyStdlibAnd = map[string][]string{
	mod + "identity":          {mod + "internal/inputerr", mod + "internal/clock"},
	mod + "internal/inputerr": {},
	// Ring strategies are pure policy over injected time and randomness:
	// a leaf the engine and the widget will both use.
	mod + "dialer/ring": {mod + "internal/inputerr"},
	// Working hours are pure calendar arithmetic on a zone's wall clock.
	mod + "dialer/hours": {mod + "internal/inputerr"},
	// The pacer is a pure function of a snapshot: arithmetic only; its
	// simulator adds a virtual clock, not the engine (the command draws).
	mod + "dialer/pacing":         {mod + "internal/inputerr"},
	mod + "dialer/pacing/pacesim": {mod + "dialer/pacing", mod + "internal/inputerr"},
	mod + "internal/clock":        {},
	// Speech runs a program and writes files: nothing of the service's.
	mod + "tts":               {},
	mod + "internal/mailbox":  {},
	mod + "internal/pbxnames": {},
	mod + "internal/procmem":  {},
	// The whole-service tiers' client talks to the built binary over HTTP.
	mod + "internal/svctest":        {},
	mod + "esl/internal/transcript": {},
}

// forbiddenInTests: what a package made only of tests may not depend on,
// its tests included (with the e2e build tag, so that tier is read too).
var forbiddenInTests = map[string][]string{
	// The architecture test reads the graph with go list, nothing more.
	mod + "internal/archtest": {module},
	// The whole-service tiers drive the built binary (svctest), the real
	// switch and a browser; they never link the API or the SQL store.
	mod + "internal/e2e":  {mod + "api", mod + "dialer", mod + "dialer/sqlitestore", mod + "pbx"},
	mod + "tests/browser": {mod + "api", mod + "dialer/sqlitestore", mod + "pbx"},
}

// forbiddenImports: what a package may not import itself, though
// something it imports may (the domain drives the switch through esl; the
// API must not).
var forbiddenImports = map[string][]string{
	mod + "api": {mod + "esl"},
}

// violates reports whether dependency d is what the rule entry b forbids:
// the package itself, or (for a module path) one of its subpackages.
// database/sql/driver is fine (uuid implements driver.Valuer).
func violates(d, b string) bool {
	return d == b || strings.Contains(b, ".") && strings.HasPrefix(d, b+"/")
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Fields(string(out))
}

// self reports whether go list's entry d is pkg itself: with -test it
// also lists "pkg [pkg.test]" and "pkg.test".
func self(d, pkg string) bool {
	d, _, _ = strings.Cut(d, " ")
	return strings.TrimSuffix(d, ".test") == pkg
}

func check(t *testing.T, rules map[string][]string, args ...string) {
	for pkg, bad := range rules {
		deps := goList(t, append(args, pkg)...)
		if len(deps) < 2 {
			t.Fatalf("go list %s %s listed %q: the check could not fail", strings.Join(args, " "), pkg, deps)
		}
		for _, d := range deps {
			if self(d, pkg) {
				continue
			}
			for _, b := range bad {
				if violates(d, b) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

func TestImportDirection(t *testing.T) {
	check(t, forbidden, "-deps")
	check(t, forbiddenImports, "-f", `{{join .Imports " "}}`)
	check(t, forbiddenInTests, "-tags", "e2e", "-deps", "-test")
}

// TestOnlyStdlibAnd: the leaves depend on the standard library and what
// their entry names, nothing else. (A package with no imports at all
// passes: the rule bites at its first import.)
func TestOnlyStdlibAnd(t *testing.T) {
	for pkg, ok := range onlyStdlibAnd {
		deps := goList(t, "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, pkg)
		if !slices.Contains(deps, pkg) {
			t.Fatalf("go list -deps %s listed %q, not the package itself", pkg, deps)
		}
		for _, d := range deps {
			if d != pkg && !slices.ContainsFunc(ok, func(b string) bool { return violates(d, b) }) {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}

// TestEveryPackageHasARule: a new package must say where it stands.
func TestEveryPackageHasARule(t *testing.T) {
	for _, pkg := range goList(t, "-tags", "e2e", mod+"...") {
		covered := false
		for _, rules := range []map[string][]string{forbidden, forbiddenImports, onlyStdlibAnd, forbiddenInTests} {
			if _, ok := rules[pkg]; ok {
				covered = true
			}
		}
		if !covered {
			t.Errorf("package %s is under no rule: add it to forbidden, onlyStdlibAnd or forbiddenInTests", pkg)
		}
	}
}

// TestRulesCanFail: every forbidden entry names something the binary does
// depend on, so a misspelt rule cannot pass for ever.
func TestRulesCanFail(t *testing.T) {
	all := goList(t, "-deps", "-test", mod+"cmd/agentswitch")
	for _, rules := range []map[string][]string{forbidden, forbiddenImports, forbiddenInTests} {
		for pkg, bad := range rules {
			for _, b := range bad {
				found := false
				for _, d := range all {
					if d != pkg && violates(d, b) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("rule %s: nothing is %s", pkg, b)
				}
			}
		}
	}
	// An allowance must name something that exists, or it is stale.
	for pkg, ok := range onlyStdlibAnd {
		for _, b := range ok {
			if !slices.ContainsFunc(all, func(d string) bool { return violates(d, b) }) {
				t.Errorf("rule %s: nothing is %s", pkg, b)
			}
		}
	}
	for _, c := range []struct {
		dep, rule string
		want      bool
	}{
		{"database/sql", "database/sql", true},
		{"database/sql/driver", "database/sql", false},
		{"github.com/redis/go-redis/v9/internal/pool", "github.com/redis/go-redis", true},
		{mod + "esl/sim", mod + "esl", true},
		{mod + "eslx", mod + "esl", false},
		{mod + "dialer", module, true},
		{"net/http", module, false},
	} {
		if got := violates(c.dep, c.rule); got != c.want {
			t.Errorf("violates(%s, %s) = %v", c.dep, c.rule, got)
		}
	}
	for _, c := range []struct {
		d    string
		want bool
	}{
		{mod + "tests/browser", true},
		{mod + "tests/browser [" + mod + "tests/browser.test]", true},
		{mod + "tests/browser.test", true},
		{mod + "tests/browserx", false},
		{mod + "internal/svctest [" + mod + "tests/browser.test]", false},
	} {
		if got := self(c.d, mod+"tests/browser"); got != c.want {
			t.Errorf("self(%s) = %v", c.d, got)
		}
	}
}
