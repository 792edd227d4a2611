package browser

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestVendoredModule: the UI's third-party modules are byte for byte the
// ones its lockfile pins (`make ui` refreshes them).
func TestVendoredModule(t *testing.T) {
	if testing.Short() {
		t.Skip("needs agentui/node_modules (make test installs it)")
	}
	for vendored, pinned := range map[string]string{
		"../../agentui/static/vendor/htm-preact.js":     "../../agentui/node_modules/htm/preact/standalone.module.js",
		"../../agentui/static/vendor/LICENSE-htm.txt":   "../../agentui/node_modules/htm/LICENSE",
		"../../agentui/static/vendor/uplot.js":          "../../agentui/node_modules/uplot/dist/uPlot.esm.js",
		"../../agentui/static/vendor/uplot.css":         "../../agentui/node_modules/uplot/dist/uPlot.min.css",
		"../../agentui/static/vendor/LICENSE-uplot.txt": "../../agentui/node_modules/uplot/LICENSE",
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
	// JsSIP is bundled from its pinned package: the same lockfile gives
	// the same bytes.
	for vendored, arg := range map[string]string{
		"../../agentui/static/vendor/jssip.js":          "",
		"../../agentui/static/vendor/LICENSE-jssip.txt": "license",
	} {
		args := []string{"../../agentui/bundle-jssip.mjs"}
		if arg != "" {
			args = append(args, arg)
		}
		want, err := exec.Command("node", args...).Output()
		if err != nil {
			t.Fatalf("bundle-jssip.mjs %s: %v: run `make test`, which installs agentui's pinned packages", arg, err)
		}
		got, err := os.ReadFile(vendored)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the bundle of the pinned package: run `make ui`", vendored)
		}
	}
}
