package agentui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

func TestPagesServeIndex(t *testing.T) {
	for _, p := range Pages {
		rec := get(t, p)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(rec.Body.String(), `<div id="app">`) {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Header())
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

func TestConnectSources(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"wss://pbx.example.com:7443", "wss://pbx.example.com:7443"},
		{"ws://127.0.0.1:5066/ws", "ws://127.0.0.1:5066"},
		{"https://pbx.example.com", ""},
		{"wss://", ""},
		{"wss://a.example; script-src *", ""},
		{"", ""},
	} {
		if got := connectSource(tc.in); got != tc.want {
			t.Errorf("connectSource(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	Handler("wss://pbx.example.com:7443/", "javascript:alert(1)").ServeHTTP(rec, req)
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' wss://pbx.example.com:7443;") {
		t.Errorf("CSP %q", csp)
	}
}

// TestPagesUnder: every path under a page ending in "/*" is a page.
func TestPagesUnder(t *testing.T) {
	for _, p := range []string{"/admin/users", "/admin/lists/3/import", "/reports/agents", "/calls/abc-123"} {
		if rec := get(t, p); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<div id="app">`) {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
}

func TestAssets(t *testing.T) {
	for target, ct := range map[string]string{
		"/assets/js/main.js":             "text/javascript",
		"/assets/vendor/htm-preact.js":   "text/javascript",
		"/assets/app.css":                "text/css",
		"/assets/favicon.svg":            "image/svg+xml",
		"/assets/vendor/LICENSE-htm.txt": "text/plain",
		"/assets/vendor/uplot.js":        "text/javascript",
		"/assets/vendor/uplot.css":       "text/css",
	} {
		rec := get(t, target)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), ct) {
			t.Errorf("%s: %d %q, want %s", target, rec.Code, rec.Header().Get("Content-Type"), ct)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", target, rec.Header())
		}
		// The browser revalidates with the ETag and gets a 304.
		if again := get(t, target, "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", target, again.Code)
		}
	}
	for _, target := range []string{"/assets/", "/assets/index.html", "/assets/nope.js", "/assets/../agentui.go", "/elsewhere", "/api/v1/me", "/adminx", "/reportsx/a"} {
		if rec := get(t, target); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, rec.Code)
		}
	}
}

// TestModulesResolve: every relative import and asset reference names an
// embedded file, and nothing is loaded from another origin.
func TestModulesResolve(t *testing.T) {
	imports := regexp.MustCompile(`(?m)(?:^import|^export)[^'"]*from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)`)
	refs := regexp.MustCompile(`(?:href|src)="([^"]+)"`)
	external := regexp.MustCompile(`(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/`)
	comments := regexp.MustCompile(`(?s:/\*.*?\*/)|(?m:^[ \t]*//[^\n]*)`)
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		src := string(b)
		switch path.Ext(p) {
		case ".js":
			for _, m := range imports.FindAllStringSubmatch(src, -1) {
				spec := m[1] + m[2]
				if !strings.HasPrefix(spec, ".") {
					t.Errorf("%s imports %q: only relative modules are served", p, spec)
					continue
				}
				if _, err := fs.Stat(FS(), path.Join(path.Dir(p), spec)); err != nil {
					t.Errorf("%s imports %q: %v", p, spec, err)
				}
			}
		case ".html":
			for _, m := range refs.FindAllStringSubmatch(src, -1) {
				if _, err := fs.Stat(FS(), strings.TrimPrefix(m[1], AssetsPrefix)); err != nil {
					t.Errorf("%s refers to %q: %v", p, m[1], err)
				}
			}
		case ".txt":
			return nil
		}
		if path.Ext(p) == ".js" {
			// A link in a comment (a vendored module's credits) loads nothing.
			src = comments.ReplaceAllString(src, "")
		}
		for _, m := range external.FindAllString(src, -1) {
			if m != "http://www.w3.org/" {
				t.Errorf("%s refers to another origin: %s", p, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestScripts runs the checks of the modules that need no browser
// (jstest/, Node's test runner) when Node is installed.
func TestScripts(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "--test", "jstest/").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test jstest/: %v\n%s", err, out)
	}
}
