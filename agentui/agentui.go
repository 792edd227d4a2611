// Package agentui is the agent workspace: plain ES modules and CSS,
// embedded into the binary and served as they are (no build step).
package agentui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// AssetsPrefix is where the UI's files are served; index.html refers to
// them by this path.
const AssetsPrefix = "/assets/"

// Pages are the UI's own paths (client-side routes): each answers
// index.html so that a reload or a bookmark lands on the right screen.
// One ending in "/*" stands for every path under it.
var Pages = []string{"/", "/login", "/callbacks", "/audit", "/wall", "/admin", "/admin/*",
	"/reports", "/reports/*", "/calls", "/calls/*"}

// csp allows nothing from outside: every script, style and connection
// (the event stream included) is same-origin, but for the softphone's
// SIP WebSocket (connect).
func csp(connect []string) string {
	src := "'self'"
	for _, c := range connect {
		src += " " + c
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + src + "; font-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
}

// connectSource is the CSP source for a WebSocket URL the page may open
// (the softphone's SIP server): its scheme, host and port, or "" when u
// is not a ws:// or wss:// URL with a host.
func connectSource(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "ws" && p.Scheme != "wss") || p.Host == "" ||
		strings.ContainsAny(p.Host, " ;,'\"") {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// FS is the UI's files (index.html, app.css, js/, vendor/).
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

type file struct {
	body        []byte
	etag        string
	contentType string
}

var (
	loadOnce sync.Once
	files    map[string]file
)

// load reads every file once and tags it with its content hash, so that
// a browser revalidates cheaply and never runs a stale module.
func load() map[string]file {
	loadOnce.Do(func() {
		files = map[string]file{}
		_ = fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(FS(), p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			ct := mime.TypeByExtension(path.Ext(p))
			switch path.Ext(p) {
			case ".js":
				ct = "text/javascript; charset=utf-8"
			case ".svg":
				ct = "image/svg+xml"
			case "":
				ct = "application/octet-stream"
			}
			files[p] = file{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: ct}
			return nil
		})
	})
	return files
}

// Handler serves index.html for every path in Pages and the files under
// AssetsPrefix; anything else is 404. connect are the WebSocket URLs the
// page may open besides its own origin (the softphone's SIP server); one
// that is not a ws:// or wss:// URL is left out.
func Handler(connect ...string) http.Handler {
	var sources []string
	for _, c := range connect {
		if src := connectSource(c); src != "" {
			sources = append(sources, src)
		}
	}
	policy := csp(sources)
	pages := map[string]bool{}
	var under []string
	for _, p := range Pages {
		if dir, ok := strings.CutSuffix(p, "*"); ok {
			under = append(under, dir)
			continue
		}
		pages[p] = true
	}
	isPage := func(p string) bool {
		if pages[p] {
			return true
		}
		for _, dir := range under {
			if rest, ok := strings.CutPrefix(p, dir); ok && rest != "" && !strings.Contains(rest, "..") {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		switch {
		case isPage(r.URL.Path):
			name = "index.html"
		case strings.HasPrefix(r.URL.Path, AssetsPrefix):
			name = strings.TrimPrefix(r.URL.Path, AssetsPrefix)
			if name == "index.html" {
				name = ""
			}
		}
		f, ok := load()[name]
		if name == "" || !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Referrer-Policy", "same-origin")
		if name == "index.html" {
			h.Set("Content-Security-Policy", policy)
			h.Set("X-Frame-Options", "DENY")
		}
		f.serve(w, r)
	})
}

// serve answers f, tagged with its hash.
func (f file) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	// Revalidate every time: a new binary must never meet old modules.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
