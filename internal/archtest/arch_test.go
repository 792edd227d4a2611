// Package archtest keeps the package graph pointing one way:
// cmd -> api -> dialer <- stores, cmd -> esl.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/agentswitch/agentswitch/"

var forbidden = map[string][]string{
	// The domain is pure: no HTTP, no Redis, no SQL, no SIP stack. It drives
	// the switch through the esl package's typed, validated commands.
	mod + "dialer": {"net/http", "github.com/labstack/echo", "github.com/redis/go-redis", "database/sql", "github.com/mattn/go-sqlite3", "github.com/emiago/sipgo", mod + "api", mod + "dialer/redisstore", mod + "dialer/sqlitestore", mod + "esl/sim"},
	// The switch client knows nothing of agents, campaigns or storage.
	mod + "esl": {mod + "dialer", mod + "api", "github.com/redis/go-redis", "database/sql", "github.com/labstack/echo"},
	// Stores implement the domain's interfaces; they never reach up or across.
	mod + "dialer/redisstore":  {mod + "api", mod + "esl/sim", "database/sql", "github.com/labstack/echo"},
	mod + "dialer/sqlitestore": {mod + "api", mod + "esl/sim", "github.com/redis/go-redis", "github.com/labstack/echo"},
	// The simulator stands for FreeSWITCH: it may use the wire code only.
	mod + "esl/sim": {mod + "dialer", mod + "api", "github.com/redis/go-redis", "database/sql"},
}

func TestImportDirection(t *testing.T) {
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed nothing: the check could not fail", pkg)
		}
		for _, d := range deps {
			for _, b := range bad {
				// database/sql/driver is fine (uuid implements driver.Valuer);
				// module paths match with their subpackages.
				if d == b || strings.Contains(b, ".") && strings.HasPrefix(d, b+"/") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}
