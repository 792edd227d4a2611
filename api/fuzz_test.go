package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
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

// FuzzNormalizeNumber: a number either is refused with a field error or
// comes out in E.164, and normalizing that again (with or without a default
// country) gives the same number.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range [][2]string{
		{"+1 415 555 0100", ""}, {"(415) 555-0100", "US"}, {"020 7946 0018", "gb"}, {"+44 20 7946 0018", "US"},
		{"+1 900 555 0199", ""}, {"555-0100", "US"}, {"+", ""}, {"1-800-FLOWERS", "US"}, {"+999 123 4567", ""},
		{"00 1 415 555 0100", "DE"}, {"+1  415", ""}, {"06 12 34 56 78", "FR"}, {"+800 1234 5678", ""}, {"0", "ZZ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, raw, country string) {
		if len(country) > 3 {
			country = country[:3]
		}
		out, err := NormalizeNumber(raw, country)
		if err != nil {
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != "number" || out != "" {
				t.Fatalf("%q/%q: %q %v", raw, country, out, err)
			}
			return
		}
		if !dialer.ValidPhone(out) || !strings.HasPrefix(out, "+") || len(out) > 16 {
			t.Fatalf("%q/%q normalized to %q, not E.164", raw, country, out)
		}
		for _, c := range []string{country, ""} {
			if again, err := NormalizeNumber(out, c); err != nil || again != out {
				t.Fatalf("%q/%q gave %q; again with %q: %q %v", raw, country, out, c, again, err)
			}
		}
	})
}
