package api

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type spec map[string]any

func loadSpec(t *testing.T) spec {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return spec(doc)
}

// resolve follows a local $ref ("#/components/...").
func (s spec) resolve(t *testing.T, ref string) any {
	t.Helper()
	var cur any = map[string]any(s)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("$ref %s: %q is not an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			t.Fatalf("$ref %s: no %q", ref, part)
		}
	}
	return cur
}

// deref returns v, or what its $ref points at.
func (s spec) deref(t *testing.T, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		m, _ = s.resolve(t, ref).(map[string]any)
	}
	return m
}

func (s spec) walkRefs(t *testing.T, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "$ref" {
				s.resolve(t, x.(string))
				continue
			}
			s.walkRefs(t, x)
		}
	case []any:
		for _, x := range v {
			s.walkRefs(t, x)
		}
	}
}

var methods = []string{"get", "post", "put", "patch", "delete"}

// TestOpenAPIMatchesRoutes: the file lists exactly the routes the router
// has, both ways, and each operation is complete.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %v", doc["openapi"])
	}
	doc.walkRefs(t, map[string]any(doc))

	e := newEnv(t)
	registered := map[string]bool{}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range e.srv.Echo().Routes() {
		if r.Name == uiRoute {
			continue
		}
		registered[strings.ToLower(r.Method)+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	open := map[string]bool{"get /healthz": true}
	// Routes authenticated by the request's own credentials read no
	// cookie, so they take no CSRF header.
	noCSRF := map[string]bool{}
	for _, r := range e.srv.routes() {
		key := strings.ToLower(r.method) + " " + param.ReplaceAllString(r.url(), "{$1}")
		if r.access == public || r.access == widgetCredential {
			open[key] = true
		}
		noCSRF[key] = r.access == widgetCredential
	}

	documented := map[string]bool{}
	paths := doc["paths"].(map[string]any)
	for path, item := range paths {
		item := item.(map[string]any)
		pathParams, _ := item["parameters"].([]any)
		for _, m := range methods {
			opv, ok := item[m]
			if !ok {
				continue
			}
			key := m + " " + path
			documented[key] = true
			op := opv.(map[string]any)
			if op["operationId"] == nil || op["summary"] == nil {
				t.Errorf("%s: no operationId or summary", key)
			}
			// Every path parameter is declared.
			params := append(slices.Clone(pathParams), anySlice(op["parameters"])...)
			declared := map[string]string{}
			for _, p := range params {
				pm := doc.deref(t, p)
				declared[pm["name"].(string)] = pm["in"].(string)
			}
			for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1) {
				if declared[m[1]] != "path" {
					t.Errorf("%s: path parameter %s not declared", key, m[1])
				}
			}
			// A success and the error answers, with the error schema.
			resp, _ := op["responses"].(map[string]any)
			success := false
			for code, r := range resp {
				if code[0] == '2' || code == "101" {
					success = true
				}
				// /healthz answers its report, not an error, when degraded.
				if (code[0] == '4' || code[0] == '5') && code != "426" && path != "/healthz" {
					rm := doc.deref(t, r)
					schema := rm["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
					if schema["$ref"] != "#/components/schemas/Error" {
						t.Errorf("%s %s: not the error schema", key, code)
					}
				}
			}
			if !success {
				t.Errorf("%s: no success response", key)
			}
			sec, hasSec := op["security"]
			if open[key] {
				if !hasSec || len(anySlice(sec)) != 0 {
					t.Errorf("%s: public route without security: []", key)
				}
			} else {
				for _, code := range []string{"401", "403"} {
					if _, ok := resp[code]; !ok {
						t.Errorf("%s: no %s response", key, code)
					}
				}
			}
			if m != "get" && !noCSRF[key] {
				if declared["X-Requested-With"] != "header" {
					t.Errorf("%s: the CSRF header is not declared", key)
				}
			}
			if m == "post" || m == "patch" {
				// A file upload (text/csv) has no JSON body to check.
				rb, _ := op["requestBody"].(map[string]any)
				content, _ := rb["content"].(map[string]any)
				if js, ok := content["application/json"].(map[string]any); ok {
					schema := doc.deref(t, js["schema"])
					if schema["additionalProperties"] != false {
						t.Errorf("%s: the request body allows unknown fields; the API refuses them", key)
					}
				}
			}
		}
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is not in openapi.yaml", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("openapi.yaml documents %s, which is not a route", k)
		}
	}

	// Served as is.
	rec := e.do(e.anon, http.MethodGet, "/api/v1/openapi.yaml", "")
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), openapiYAML) || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("served: %d %s", rec.Code, rec.Header())
	}
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}
