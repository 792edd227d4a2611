package webrtcpeer

import (
	"crypto/md5"
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
	realm string
	a1    func(user string) (string, bool) // HA1, lower-case hex
	now   func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // issued at
}

// newAuthenticator checks answers against a1 (HA1 hex, as a directory's
// a1-hash) when it is set, else against the HA1 of password.
func newAuthenticator(realm string, password, a1 func(string) (string, bool), now func() time.Time) *authenticator {
	if a1 == nil {
		a1 = func(user string) (string, bool) {
			pw, ok := password(user)
			if !ok {
				return "", false
			}
			return md5hex(user + ":" + realm + ":" + pw), true
		}
	}
	return &authenticator{realm: realm, a1: a1, now: now, nonces: map[string]time.Time{}}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
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
	ha1, ok := a.a1(user)
	if !ok {
		return fmt.Errorf("%w: unknown user %q", errForbidden, user)
	}
	if !digestMatches(cred, method, strings.ToLower(ha1)) {
		return fmt.Errorf("%w: wrong password for %q", errForbidden, user)
	}
	return nil
}

// digestMatches recomputes the response of cred for method from ha1
// (RFC 2617, MD5, qop auth or none).
func digestMatches(cred *digest.Credentials, method, ha1 string) bool {
	switch strings.ToUpper(cred.Algorithm) {
	case "", "MD5":
	default:
		return false
	}
	ha2 := md5hex(method + ":" + cred.URI)
	var want string
	switch cred.QOP {
	case "":
		want = md5hex(ha1 + ":" + cred.Nonce + ":" + ha2)
	case "auth":
		want = md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, cred.Nonce, cred.Nc, cred.Cnonce, ha2))
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cred.Response))) == 1
}
