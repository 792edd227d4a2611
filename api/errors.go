package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// errorBody is the JSON every error answers with.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Field names the input that was refused, when one was.
	Field string `json:"field,omitempty"`
}

// httpError is an answer decided by the API itself (a missing credential,
// a refused role, a body too large) rather than by the domain.
type httpError struct {
	code  int
	msg   string
	field string
}

func (e *httpError) Error() string { return e.msg }

func newHTTPError(code int, msg string) error { return &httpError{code: code, msg: msg} }

// fieldErr reports a refused input; it is a dialer.FieldError so that the
// one mapping below answers it.
func fieldErr(field, reason string) error { return &dialer.FieldError{Field: field, Reason: reason} }

var (
	errNoCredentials = newHTTPError(http.StatusUnauthorized, "authentication required")
	errCSRF          = newHTTPError(http.StatusForbidden, "cookie-authenticated requests that change state need the header X-Requested-With: agentswitch")
)

// statusOf is the one place that decides the HTTP status of an error, and
// which field (if any) it names. 5xx messages never carry internals.
func statusOf(err error) errorDetail {
	var he *httpError
	var ee *echo.HTTPError
	var fe *dialer.FieldError
	var pfe *phone.FieldError
	switch {
	case errors.As(err, &he):
		return errorDetail{Code: he.code, Message: he.msg, Field: he.field}
	case errors.As(err, &fe):
		return errorDetail{Code: http.StatusBadRequest, Message: fe.Error(), Field: fe.Field}
	case errors.As(err, &pfe):
		return errorDetail{Code: http.StatusBadRequest, Message: pfe.Error(), Field: pfe.Field}
	case errors.Is(err, dialer.ErrInvalid):
		return errorDetail{Code: http.StatusBadRequest, Message: err.Error()}
	case errors.Is(err, identity.ErrBadCredentials):
		// Which part was wrong is not said.
		return errorDetail{Code: http.StatusUnauthorized, Message: "bad credentials"}
	case errors.Is(err, identity.ErrDisabled): // dialer.ErrDisabled too: a disabled seat
		return errorDetail{Code: http.StatusForbidden, Message: "account or key disabled"}
	case errors.Is(err, dialer.ErrForbidden):
		return errorDetail{Code: http.StatusForbidden, Message: "forbidden"}
	case errors.Is(err, dialer.ErrNotFound):
		return errorDetail{Code: http.StatusNotFound, Message: err.Error()}
	case errors.Is(err, dialer.ErrConflict), errors.Is(err, dialer.ErrStateMismatch),
		errors.Is(err, dialer.ErrInvalidTransition), errors.Is(err, dialer.ErrInUse),
		errors.Is(err, dialer.ErrNoAgent):
		return errorDetail{Code: http.StatusConflict, Message: err.Error()}
	case errors.Is(err, dialer.ErrSwitchDown):
		return errorDetail{Code: http.StatusServiceUnavailable, Message: "the switch is not connected; retry"}
	case errors.Is(err, dialer.ErrDraining):
		return errorDetail{Code: http.StatusServiceUnavailable, Message: "the service is stopping and takes no new calls; retry"}
	case errors.Is(err, dialer.ErrUnavailable):
		return errorDetail{Code: http.StatusServiceUnavailable, Message: "the switch or a store is not available; retry"}
	case errors.Is(err, context.DeadlineExceeded):
		return errorDetail{Code: http.StatusGatewayTimeout, Message: "timed out"}
	case errors.As(err, &ee):
		msg, ok := ee.Message.(string)
		if !ok {
			msg = http.StatusText(ee.Code)
		}
		return errorDetail{Code: ee.Code, Message: msg}
	}
	return errorDetail{Code: http.StatusInternalServerError, Message: "internal error"}
}

// errorHandler answers every error as JSON.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	d := statusOf(err)
	d.Message, d.Field = cutEcho(d.Message), cut(d.Field, maxField)
	if d.Code >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", d.Code, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(d.Code)
		return
	}
	_ = c.JSON(d.Code, errorBody{Error: d})
}

// Refused values are quoted back in messages; a long one is cut so that
// an error does not return (or amplify) a client's 10 kB input.
const (
	maxQuoted  = 64
	maxField   = 64
	maxMessage = 300
)

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// cutEcho shortens each long quoted value in msg, then msg itself.
func cutEcho(msg string) string {
	if len(msg) <= maxQuoted {
		return msg
	}
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= maxQuoted {
			return q
		}
		return cut(q[:len(q)-1], maxQuoted) + `" (` + strconv.Itoa(len(q)-2) + ` bytes)`
	})
	return cut(msg, maxMessage)
}

// cut returns s whole if it has at most n bytes, else its first bytes up
// to a character boundary and an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
