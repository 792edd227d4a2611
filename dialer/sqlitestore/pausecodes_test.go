package sqlitestore

import (
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

func pauseCodeList(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, p := range must[[]dialer.PauseCode](t)(s.ListPauseCodes(t.Context())) {
		out = append(out, p.Code)
	}
	return out
}

// TestPauseCodesSeeded: a new database has dialer.PauseCodes, active.
func TestPauseCodesSeeded(t *testing.T) {
	s := newStore(t)
	l := must[[]dialer.PauseCode](t)(s.ListPauseCodes(t.Context()))
	var codes []string
	for _, p := range l {
		if !p.Active || p.Label == "" {
			t.Errorf("seeded %+v", p)
		}
		codes = append(codes, p.Code)
	}
	if !slices.Equal(codes, dialer.PauseCodes) {
		t.Fatalf("seeded %v, want %v", codes, dialer.PauseCodes)
	}
}

func TestPauseCodeCRUD(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	p := must[dialer.PauseCode](t)(s.CreatePauseCode(ctx, dialer.PauseCode{Code: "COACHING", Label: "Coaching",
		Productive: true, Active: true, Sort: 15}))
	if !p.Productive || !p.Active || p.Sort != 15 || !p.CreatedAt.Equal(t0) || !p.UpdatedAt.Equal(t0) {
		t.Fatalf("created %+v", p)
	}
	if got := pauseCodeList(t, s); !slices.Equal(got, []string{"BREAK", "COACHING", "LUNCH", "MEETING", "TRAINING", "ADMIN"}) {
		t.Fatalf("listed %v", got)
	}
	_, err := s.CreatePauseCode(ctx, dialer.PauseCode{Code: "COACHING", Label: "Again"})
	wantErr(t, err, dialer.ErrConflict)

	p.Active, p.Label = false, "One to one"
	up := must[dialer.PauseCode](t)(s.UpdatePauseCode(ctx, p))
	if up.Active || up.Label != "One to one" || !up.Productive {
		t.Fatalf("updated %+v", up)
	}
	_, err = s.UpdatePauseCode(ctx, dialer.PauseCode{Code: "NOPE", Label: "x"})
	wantErr(t, err, dialer.ErrNotFound)

	if err := s.DeletePauseCode(ctx, "COACHING"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeletePauseCode(ctx, "COACHING"), dialer.ErrNotFound)
}

func TestPauseCodeValidation(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		name  string
		p     dialer.PauseCode
		field string
	}{
		{"empty code", dialer.PauseCode{Label: "x"}, "code"},
		{"lower case", dialer.PauseCode{Code: "break2", Label: "x"}, "code"},
		{"too long", dialer.PauseCode{Code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", Label: "x"}, "code"},
		{"system RONA", dialer.PauseCode{Code: dialer.PauseRONA, Label: "x"}, "code"},
		{"system PREVIEW", dialer.PauseCode{Code: dialer.PausePreview, Label: "x"}, "code"},
		{"no label", dialer.PauseCode{Code: "NAP"}, "label"},
		{"sort", dialer.PauseCode{Code: "NAP", Label: "Nap", Sort: -1}, "sort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreatePauseCode(t.Context(), tc.p)
			wantField(t, err, tc.field)
		})
	}
	// The table holds the same rules, whoever writes to it.
	_, err := s.w.ExecContext(t.Context(), `INSERT INTO pause_codes (code, label, created_at, updated_at)
		VALUES ('NO_HEARTBEAT', 'x', 0, 0)`)
	wantField(t, mapErr(err, "insert", false), "code")
}

// TestSeedPauseCodes: the start-up flag's codes are added once, after the
// others; stored codes keep what an admin set.
func TestSeedPauseCodes(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	p := must[dialer.PauseCode](t)(s.UpdatePauseCode(ctx, dialer.PauseCode{Code: "LUNCH", Label: "Lunch", Sort: 20}))
	if p.Active {
		t.Fatalf("deactivated %+v", p)
	}
	for range 2 {
		if err := s.SeedPauseCodes(ctx, []string{"LUNCH", "LONG_BREAK"}); err != nil {
			t.Fatal(err)
		}
	}
	l := must[[]dialer.PauseCode](t)(s.ListPauseCodes(ctx))
	last := l[len(l)-1]
	if len(l) != 6 || last.Code != "LONG_BREAK" || last.Label != "Long break" || !last.Active || last.Sort != 60 {
		t.Fatalf("seeded %+v", l)
	}
	if l[1].Code != "LUNCH" || l[1].Active {
		t.Fatalf("LUNCH after the seed %+v", l[1])
	}
	wantField(t, s.SeedPauseCodes(ctx, []string{dialer.PauseRONA}), "code")
}
