package dialer_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestPauseCodesLive: a code an admin adds may be used at once, and one
// deactivated is refused at once, naming the field; no restart.
func TestPauseCodesLive(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		a := w.actor("1001")
		w.login(a)
		codes := func() []string {
			t.Helper()
			l, err := w.eng.PauseCodes(w.ctx())
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if got := codes(); !slices.Equal(got, dialer.PauseCodes) {
			t.Fatalf("codes %v, want %v", got, dialer.PauseCodes)
		}

		if _, err := w.db.CreatePauseCode(w.ctx(), dialer.PauseCode{Code: "COACHING", Label: "Coaching", Active: true, Sort: 60}); err != nil {
			t.Fatal(err)
		}
		w.eng.ReloadPauseCodes()
		if !slices.Contains(codes(), "COACHING") {
			t.Fatalf("codes %v lack the new one", codes())
		}
		v, err := w.eng.Pause(w.ctx(), a, a.Agent, "COACHING")
		if err != nil {
			t.Fatal(err)
		}
		if v.State != dialer.AgentPaused || v.PauseCode != "COACHING" {
			t.Fatalf("paused %+v", v)
		}

		if _, err := w.db.UpdatePauseCode(w.ctx(), dialer.PauseCode{Code: "LUNCH", Label: "Lunch", Sort: 20}); err != nil {
			t.Fatal(err)
		}
		w.eng.ReloadPauseCodes()
		_, err = w.eng.Pause(w.ctx(), a, a.Agent, "LUNCH")
		var fe *dialer.FieldError
		if !errors.As(err, &fe) || fe.Field != "pause_code" {
			t.Fatalf("pause with a deactivated code: %v", err)
		}
		// The system's own codes are never an agent's to choose.
		if _, err := w.eng.Pause(w.ctx(), a, a.Agent, dialer.PauseRONA); !errors.As(err, &fe) {
			t.Fatalf("pause with %s: %v", dialer.PauseRONA, err)
		}
	})
}
