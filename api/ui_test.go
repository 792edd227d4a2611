package api

import (
	"net/http"
	"testing"
)

// TestUIPagesAnswerHEAD: the workspace's pages and files answer GET and
// HEAD (uptime checks and proxies use HEAD); HEAD carries no body.
func TestUIPagesAnswerHEAD(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/login", "/callbacks", "/assets/js/main.js"} {
		get := e.do(e.anon, http.MethodGet, path, "")
		head := e.do(e.anon, http.MethodHead, path, "")
		if get.Code != 200 || head.Code != 200 {
			t.Fatalf("%s: GET %d, HEAD %d", path, get.Code, head.Code)
		}
		if head.Body.Len() != 0 || head.Header().Get("Content-Type") != get.Header().Get("Content-Type") || head.Header().Get("ETag") != get.Header().Get("ETag") {
			t.Errorf("%s: HEAD %d body bytes, headers %v", path, head.Body.Len(), head.Header())
		}
	}
	if rec := e.do(e.anon, http.MethodHead, "/assets/nope.js", ""); rec.Code != 404 {
		t.Errorf("HEAD of a missing file: %d", rec.Code)
	}
}
