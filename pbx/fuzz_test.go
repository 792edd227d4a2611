package pbx

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// FuzzXMLCurl posts arbitrary form bodies as mod_xml_curl would.
// Properties: no panic; the answer is 200 or 400; a 200 is one well-formed
// FreeSWITCH document (form values reach attributes, so escaping is under
// test), for the section asked or "not found", and its size is bounded by
// the request's.
func FuzzXMLCurl(f *testing.F) {
	forms, _ := filepath.Glob(filepath.Join("testdata", "*.form"))
	for _, p := range forms {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b))
	}
	for _, v := range []url.Values{
		{"section": {"directory"}, "user": {"1001"}, "domain": {`pbx.example.com`}},
		{"section": {"directory"}, "user": {"1001"}, "domain": {`<x a="&'">`}},
		{"section": {"directory"}, "user": {"w1001"}, "domain": {`pbx.example.com`}},
		{"section": {"directory"}, "user": {"w1001"}, "domain": {`PBX.example.com`}},
		{"section": {"directory"}, "purpose": {"gateways"}, "profile": {pbxnames.ProfileCarriers}, "key_value": {`"]]>&`}},
		{"section": {"dialplan"}, "Hunt-Context": {pbxnames.ContextInbound}, "Hunt-Destination-Number": {"+15551230000"}},
		{"section": {"dialplan"}, "Caller-Context": {pbxnames.ContextInbound}, "Caller-Destination-Number": {"15551230000"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	f.Add([]byte("section=directory&user=%zz"))
	f.Add([]byte("section=dialplan;Hunt-Context=x"))
	h := NewHandler(newStore(), secret, WithWebRTC(browserCreds(f), func() time.Time { return t0 }))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, pbxnames.XMLCurlPath, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(pbxnames.XMLCurlUser, secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusBadRequest:
			return
		case http.StatusOK:
		default:
			t.Fatalf("%q: status %d", body, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
			t.Fatalf("Content-Type %q", ct)
		}
		out := w.Body.Bytes()
		// Escaping grows a byte to at most 6 ("&quot;"); the rest is the template.
		if len(out) > 8<<10+6*len(body) {
			t.Fatalf("%d bytes answered to %d", len(out), len(body))
		}
		dec := xml.NewDecoder(bytes.NewReader(out))
		var doc node
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%q: not XML: %v\n%s", body, err, out)
		}
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if cd, ok := tok.(xml.CharData); err != nil || !ok || len(bytes.TrimSpace(cd)) != 0 {
				t.Fatalf("%q: more than one document (%v):\n%s", body, err, out)
			}
		}
		if doc.XMLName.Local != "document" || doc.attr("type") != "freeswitch/xml" || len(doc.Nodes) != 1 {
			t.Fatalf("%q: not a FreeSWITCH document:\n%s", body, out)
		}
		form, _ := url.ParseQuery(string(body))
		if s := doc.Nodes[0].attr("name"); s != "result" && s != form.Get("section") {
			t.Fatalf("%q: section %q answered for %q", body, s, form.Get("section"))
		}
	})
}
