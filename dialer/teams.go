package dialer

import (
	"context"
	"strconv"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// TeamID numbers a team.
type TeamID int64

func (id TeamID) String() string { return strconv.FormatInt(int64(id), 10) }

// Team groups agents under supervisors: the wall filters by it.
type Team struct {
	ID   TeamID `json:"id"`
	Name string `json:"name"`
	// Supervisors lead the team (users; optional).
	Supervisors []identity.UserID `json:"supervisors"`
	// Members counts the team's agents, as read.
	Members   int       `json:"members"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TeamRef names an agent's team in its live view.
type TeamRef struct {
	ID   TeamID `json:"id"`
	Name string `json:"name"`
}

// Validate checks the fields a store writes.
func (t Team) Validate() error {
	if err := checkText("name", t.Name, 64, true); err != nil {
		return err
	}
	for _, u := range t.Supervisors {
		if u <= 0 {
			return &FieldError{Field: "supervisors", Reason: "user ids must be positive"}
		}
	}
	return nil
}

// TeamStore keeps the teams; agents name theirs (Agent.Team).
type TeamStore interface {
	// ListTeams lists every team by name, with its member count.
	ListTeams(ctx context.Context) ([]Team, error)
	Team(ctx context.Context, id TeamID) (Team, error)
	// CreateTeam stores t (ErrConflict when the name is taken).
	CreateTeam(ctx context.Context, t Team) (Team, error)
	// UpdateTeam writes t's name and supervisors over team t.ID.
	UpdateTeam(ctx context.Context, t Team) (Team, error)
	// DeleteTeam removes a team; its agents are left without one.
	DeleteTeam(ctx context.Context, id TeamID) error
}

// TeamRef is a's team for its views, nil for none.
func (a Agent) TeamRef() *TeamRef {
	if a.Team == 0 {
		return nil
	}
	return &TeamRef{ID: a.Team, Name: a.TeamName}
}
