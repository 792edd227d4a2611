package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// maxBody bounds every JSON request body; the largest legitimate one is a
// campaign script (64 KiB) or a lead's custom fields.
const maxBody = 1 << 20

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and wrong types with the name of the field. Nothing is acted on
// before the whole body has been read and checked.
func decode(c echo.Context, v any) error {
	r := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{code: http.StatusRequestEntityTooLarge, msg: "request body larger than 1 MiB", field: "body"}
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return &httpError{code: http.StatusRequestTimeout, msg: "request body not received in time", field: "body"}
		}
		return fieldErr("body", "could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fieldErr("body", "a JSON object is required")
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return &httpError{code: http.StatusUnsupportedMediaType, msg: "send application/json", field: "body"}
	}
	if !utf8.Valid(body) {
		return fieldErr("body", "not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return fieldErr("body", "one JSON object only")
	}
	if _, err := dec.Token(); err != io.EOF {
		return fieldErr("body", "one JSON object only")
	}
	return nil
}

// jsonFieldError names the field a decoding error is about.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var fe *dialer.FieldError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fieldErr(field, "must be "+jsonType(te.Type.Kind().String()))
	case errors.As(err, &se):
		return fieldErr("body", "not valid JSON: "+se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErr("body", "truncated JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fieldErr(strings.Trim(name, `"`), "unknown field")
	}
	return fieldErr("body", err.Error())
}

func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "map", kind == "struct":
		return "an object"
	case kind == "slice":
		return "an array"
	}
	return "of another type"
}

// pathID parses a positive integer path parameter.
func pathID[T ~int64](c echo.Context, name string) (T, error) {
	return parseID[T](name, c.Param(name))
}

func parseID[T ~int64](field, s string) (T, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fieldErr(field, "must be a positive integer")
	}
	return T(n), nil
}

// queryID parses an optional positive integer query parameter.
func queryID[T ~int64](c echo.Context, name string) (T, error) {
	s := c.QueryParam(name)
	if s == "" {
		return 0, nil
	}
	return parseID[T](name, s)
}

// callIDParam reads a call id; ids reach switch commands, so only a
// canonical UUID passes.
func callIDParam(field, s string) (dialer.CallID, error) {
	id := dialer.CallID(strings.ToLower(s))
	if !id.Valid() {
		return "", fieldErr(field, "must be a call id (UUID)")
	}
	return id, nil
}

// queryTime parses an optional RFC 3339 time.
func queryTime(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fieldErr(name, "must be an RFC 3339 time such as 2026-11-24T14:30:00Z")
	}
	return t, nil
}

// queryLimit parses limit within [1, max], def when absent.
func queryLimit(c echo.Context, def, max int) (int, error) {
	s := c.QueryParam("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, fieldErr("limit", "must be an integer from 1 to "+strconv.Itoa(max))
	}
	return n, nil
}

// checkText refuses text that is too long or not UTF-8.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return fieldErr(field, "longer than "+strconv.Itoa(max)+" bytes")
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	return nil
}

// checkLabel refuses text that will be shown on a phone or reach a switch
// variable (a caller id name): letters, digits, space and . - _ only.
func checkLabel(field, s string, max int) error {
	if err := checkText(field, s, max); err != nil {
		return err
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '.', r == '-', r == '_':
		case r > 0x7f && unicode.IsLetter(r):
		default:
			return fieldErr(field, "letters, digits, space and . - _ only")
		}
	}
	return nil
}
