package dialer

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImports keeps the domain pure: stores and adapters depend on
// it, never the reverse.
func TestDomainImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// database/sql/driver is allowed: google/uuid implements its interfaces.
	forbidden := []string{
		"database/sql",
		"net/http",
		"github.com/redis/",
		"github.com/mattn/",
		"github.com/labstack/",
		"github.com/percipia/",
		"github.com/emiago/",
		"github.com/agentswitch/agentswitch/esl",
		"github.com/agentswitch/agentswitch/api",
		"github.com/agentswitch/agentswitch/dialer/",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) ||
				strings.Contains(f, ".") && strings.HasPrefix(dep, f+"/") {
				t.Errorf("dialer depends on %s", dep)
			}
		}
	}
}
