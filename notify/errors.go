package notify

import "errors"

// permanent marks a failure that sending again would repeat: a refused
// address, a rejected login, a 5xx reply.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil || !Temporary(err) {
		return err
	}
	return permanent{err}
}

// Temporary reports whether a send that failed with err may succeed
// later (a timeout, a refused connection, a 4xx reply, a provider's 5xx).
func Temporary(err error) bool {
	var p permanent
	return err != nil && !errors.As(err, &p)
}
