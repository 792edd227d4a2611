package webrtcpeer

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// nonceLifetime bounds how long a challenge may be answered.
const nonceLifetime = 5 * time.Minute

// Why a REGISTER's credentials were refused: errChallenge asks again
// (401 with a fresh nonce), errForbidden ends it (403).
var (
	errChallenge = errors.New("credentials missing or stale")
	errForbidden = errors.New("credentials refused")
)

// authenticator issues MD5 digest challenges for one realm and checks the
// answers, as FreeSWITCH's registrar does.
type authenticator struct {
	realm    string
	password func(user string) (string, bool)
	now      func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // issued at
}

func newAuthenticator(realm string, password func(string) (string, bool), now func() time.Time) *authenticator {
	return &authenticator{realm: realm, password: password, now: now, nonces: map[string]time.Time{}}
}

// challenge returns a WWW-Authenticate value with a new nonce.
func (a *authenticator) challenge() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	now := a.now()
	a.mu.Lock()
	for n, at := range a.nonces {
		if now.Sub(at) > nonceLifetime {
			delete(a.nonces, n)
		}
	}
	a.nonces[nonce] = now
	a.mu.Unlock()
	c := digest.Challenge{Realm: a.realm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	return c.String()
}

// check verifies an Authorization header for method, sent by user (the
// registered address's user, which must also be the digest username).
func (a *authenticator) check(header, method, user string) error {
	if header == "" {
		return errChallenge
	}
	cred, err := digest.ParseCredentials(header)
	if err != nil {
		return fmt.Errorf("%w: Authorization: %v", errChallenge, err)
	}
	if cred.Realm != a.realm {
		return fmt.Errorf("%w: realm %q, want %q", errChallenge, cred.Realm, a.realm)
	}
	a.mu.Lock()
	at, ok := a.nonces[cred.Nonce]
	a.mu.Unlock()
	if !ok || a.now().Sub(at) > nonceLifetime {
		return fmt.Errorf("%w: unknown or expired nonce", errChallenge)
	}
	if cred.Username != user {
		return fmt.Errorf("%w: username %q registers %q", errForbidden, cred.Username, user)
	}
	pw, ok := a.password(user)
	if !ok {
		return fmt.Errorf("%w: unknown user %q", errForbidden, user)
	}
	if !digestMatches(cred, method, pw) {
		return fmt.Errorf("%w: wrong password for %q", errForbidden, user)
	}
	return nil
}

// digestMatches recomputes the response of cred for method and password.
func digestMatches(cred *digest.Credentials, method, password string) bool {
	switch strings.ToUpper(cred.Algorithm) {
	case "", "MD5":
	default:
		return false
	}
	chal := &digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, Opaque: cred.Opaque}
	if cred.QOP != "" {
		if cred.QOP != "auth" {
			return false
		}
		chal.QOP = []string{"auth"}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: method, URI: cred.URI, Username: cred.Username, Password: password,
		Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want.Response), []byte(strings.ToLower(cred.Response))) == 1
}
