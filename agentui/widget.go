package agentui

import "net/http"

// WidgetPaths are the embeddable callback widget's script and stylesheet,
// served at the service's root so that the snippet a site pastes stays
// short and stable.
var WidgetPaths = map[string]string{"/widget.js": "widget/widget.js", "/widget.css": "widget/widget.css"}

// WidgetHandler serves WidgetPaths to any site: both files are public,
// and a page's fetch of them may come from anywhere.
func WidgetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := load()[WidgetPaths[r.URL.Path]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		// Loaded by other sites' pages: the default same-origin resource
		// policy would block it where COEP is on.
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		f.serve(w, r)
	})
}
