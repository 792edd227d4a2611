package browser

import (
	"bytes"
	"os"
	"testing"
)

// TestVendoredModule: the UI's one third-party module is byte for byte the
// one its lockfile pins (`make ui` refreshes it).
func TestVendoredModule(t *testing.T) {
	if testing.Short() {
		t.Skip("needs agentui/node_modules (make test installs it)")
	}
	for vendored, pinned := range map[string]string{
		"../../agentui/static/vendor/htm-preact.js":   "../../agentui/node_modules/htm/preact/standalone.module.js",
		"../../agentui/static/vendor/LICENSE-htm.txt": "../../agentui/node_modules/htm/LICENSE",
	} {
		want, err := os.ReadFile(pinned)
		if err != nil {
			t.Fatalf("%v: run `make test`, which installs agentui's pinned packages (scripts/deps.sh test)", err)
		}
		got, err := os.ReadFile(vendored)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s: run `make ui`", vendored, pinned)
		}
	}
}
