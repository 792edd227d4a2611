package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

var fuzzEcho = echo.New()

func decodeBytes(body []byte, v any) error {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	return decode(fuzzEcho.NewContext(req, httptest.NewRecorder()), v)
}

// FuzzDecode feeds request bodies to the JSON decoder behind every
// endpoint. Properties: no panic; a refusal is a 4xx naming a field; an
// accepted body is valid UTF-8 JSON, and what it decoded to encodes and
// decodes back to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"number":"+1 415 555 0100","agent_id":3,"campaign_id":1,"fields":{"order":"A-1"}}`,
		`{"endpoint":{"kind":"phone","phone":"+1 900 555 0199"},"mode":"ring"}`,
		`{"first_name":"Ann","custom":{"tier":null,"note":"x"}}`,
		`{"number":1}`, `{"agent_id":"3"}`, `{"nope":1}`, `{} {}`, `{"number":"a"`, `null`, `[]`, "\xff",
		`{"fields":{"a":"\u0000"}}`, `{"agent_id":1e400}`, `{"agent_id":-1}`, `{"endpoint":{"kind":{}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&startCallBody{}, &agentLoginBody{}, &leadPatch{}} {
			err := decodeBytes(body, v)
			if err != nil {
				d := statusOf(err)
				var fe *dialer.FieldError
				var he *httpError
				if d.Code < 400 || d.Code >= 500 || !errors.As(err, &fe) && !errors.As(err, &he) {
					t.Fatalf("%q into %T: %d %v", body, v, d.Code, err)
				}
				continue
			}
			if !utf8.Valid(body) || !json.Valid(body) {
				t.Fatalf("accepted %q", body)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encoding %#v: %v", v, err)
			}
			if err := decodeBytes(enc, again); err != nil || !reflect.DeepEqual(v, again) {
				t.Fatalf("%q decoded to %#v, re-encoded %s, decoded to %#v (%v)", body, v, enc, again, err)
			}
		}
	})
}
