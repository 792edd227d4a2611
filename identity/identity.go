// Package identity is who may use the service and how they prove it:
// users and their roles, API keys, and the web sessions of logged-in
// browsers, with the rules their fields obey and the errors a failed
// credential reports.
//
// It is a leaf beside dialer/phone: the standard library and
// internal/inputerr only, never dialer, api, esl or pbx. The stores that
// keep these records (dialer/sqlitestore) and the API that checks them
// import it; the engine does too, for the user and role an Actor carries.
// The store interfaces are declared by their consumer (api).
package identity

import (
	"errors"
	"strconv"
)

// ErrBadCredentials means a username/password pair, an API key or a web
// session token did not verify. It deliberately does not say which part
// was wrong.
var ErrBadCredentials = errors.New("bad credentials")

// ErrDisabled means the user is disabled or the API key is revoked or
// expired. The engine reports a disabled agent seat with it too.
var ErrDisabled = errors.New("disabled")

// Users and API keys are numbered by the database that keeps them.
type (
	UserID   int64
	APIKeyID int64
)

func (id UserID) String() string   { return strconv.FormatInt(int64(id), 10) }
func (id APIKeyID) String() string { return strconv.FormatInt(int64(id), 10) }
