package dialer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// PauseCode is a reason an agent may pause with, kept by an admin.
type PauseCode struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// Productive pauses (training, a meeting) count as work in reports.
	Productive bool `json:"productive"`
	// Active codes are offered to agents; an inactive one is refused.
	Active    bool      `json:"active"`
	Sort      int       `json:"sort"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// systemPauseCodes are set by the service only.
var systemPauseCodes = []string{PauseRONA, PauseNoHeartbeat, PausePhoneDown, PauseCallLost, PausePreview,
	PauseLogin, PauseManual, PauseRestart}

// SystemPauseCode reports whether the service reserves code for itself.
func SystemPauseCode(code string) bool { return slices.Contains(systemPauseCodes, code) }

// Validate checks the fields a store writes.
func (p PauseCode) Validate() error {
	switch {
	case !ValidPauseCode(p.Code):
		return &FieldError{Field: "code", Reason: "1-32 of [A-Z0-9_]"}
	case SystemPauseCode(p.Code):
		return &FieldError{Field: "code", Reason: fmt.Sprintf("%q is reserved for the service", p.Code)}
	case p.Sort < 0 || p.Sort > 10000:
		return &FieldError{Field: "sort", Reason: "0-10000"}
	}
	return checkText("label", p.Label, 64, true)
}

// ValidPauseCode reports whether s is 1-32 of [A-Z0-9_].
func ValidPauseCode(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// PauseCodeStore keeps the pause codes.
type PauseCodeStore interface {
	// ListPauseCodes lists every code, active or not, in display order.
	ListPauseCodes(ctx context.Context) ([]PauseCode, error)
	// CreatePauseCode stores p (ErrConflict when the code exists).
	CreatePauseCode(ctx context.Context, p PauseCode) (PauseCode, error)
	// UpdatePauseCode writes p's label, productive, active and sort over
	// the stored code (ErrNotFound for none).
	UpdatePauseCode(ctx context.Context, p PauseCode) (PauseCode, error)
	// DeletePauseCode removes a code; pauses already taken keep it.
	DeletePauseCode(ctx context.Context, code string) error
}

// pauseCodeTTL bounds how long a change made through another instance
// goes unseen by this one.
const pauseCodeTTL = 10 * time.Second

// pauseCodeCache holds the active codes read from the store.
type pauseCodeCache struct {
	mu    sync.Mutex
	codes []string
	at    time.Time
}

// PauseCodes lists the codes an agent may pause with: the store's active
// codes, or the configured ones without a store.
func (e *Engine) PauseCodes(ctx context.Context) ([]string, error) {
	if e.pauseStore == nil {
		return slices.Clone(e.cfg.PauseCodes), nil
	}
	c := &e.pauseCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codes != nil && e.now().Sub(c.at) < pauseCodeTTL {
		return slices.Clone(c.codes), nil
	}
	all, err := e.pauseStore.ListPauseCodes(ctx)
	if err != nil {
		return nil, err
	}
	codes := []string{}
	for _, p := range all {
		if p.Active {
			codes = append(codes, p.Code)
		}
	}
	c.codes, c.at = codes, e.now()
	return slices.Clone(codes), nil
}

// ReloadPauseCodes forgets the codes read, so that the next pause reads
// the admin's change.
func (e *Engine) ReloadPauseCodes() {
	e.pauseCache.mu.Lock()
	e.pauseCache.codes = nil
	e.pauseCache.mu.Unlock()
}
