// Package archtest keeps the package graph pointing one way:
// cmd -> api -> dialer <- stores, cmd -> pbx -> dialer, cmd -> esl.
package archtest

import (
	"os/exec"
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
	// The simulator stands for FreeSWITCH: it may use the wire code only.
	mod + "esl/sim": {mod + "dialer", mod + "api", "github.com/redis/go-redis", "database/sql"},
	// HTTP reaches storage and the switch only through the services it
	// calls (interfaces it declares; cmd wires the implementations).
	mod + "api": {mod + "pbx", mod + "esl/sim", mod + "dialer/redisstore", mod + "dialer/sqlitestore", "github.com/redis/go-redis", "database/sql", "github.com/mattn/go-sqlite3"},
	// Provisioning serves FreeSWITCH and stores through the domain's
	// interfaces: no HTTP framework, no live state, no API.
	mod + "pbx": {mod + "api", mod + "dialer/redisstore", mod + "dialer/sqlitestore", "github.com/labstack/echo", "github.com/redis/go-redis"},
	// The agent workspace is embedded static files.
	mod + "agentui": {module},
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

func check(t *testing.T, rules map[string][]string, args ...string) {
	for pkg, bad := range rules {
		deps := goList(t, append(args, pkg)...)
		if len(deps) < 2 {
			t.Fatalf("go list %s %s listed %q: the check could not fail", strings.Join(args, " "), pkg, deps)
		}
		for _, d := range deps {
			if d == pkg {
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
}

// TestRulesCanFail: every forbidden entry names something the binary does
// depend on, so a misspelt rule cannot pass for ever.
func TestRulesCanFail(t *testing.T) {
	all := goList(t, "-deps", "-test", mod+"cmd/agentswitch")
	for _, rules := range []map[string][]string{forbidden, forbiddenImports} {
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
}
