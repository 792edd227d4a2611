package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// ---- users

func (s *Server) listUsers(c echo.Context, _ *principal) error {
	l, err := s.users.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []identity.User{}
	}
	return c.JSON(http.StatusOK, map[string]any{"users": l})
}

type createUserBody struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Password    string `json:"password"`
}

func (s *Server) createUser(c echo.Context, p *principal) error {
	var b createUserBody
	if err := decode(c, &b); err != nil {
		return err
	}
	role, err := identity.ParseRole(b.Role)
	if err != nil {
		return err
	}
	u := identity.User{Username: b.Username, DisplayName: b.DisplayName, Role: role}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := identity.ValidatePassword("password", b.Password); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := s.users.CreateUser(ctx, u, b.Password)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "username taken", field: "username"}
		}
		return err
	}
	s.audit(ctx, p, "user.create", "user:"+out.ID.String(), map[string]any{"username": out.Username, "role": out.Role})
	return c.JSON(http.StatusCreated, out)
}

type patchUserBody struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	Disabled    *bool   `json:"disabled"`
	Password    *string `json:"password"`
}

// patchUser changes a user; a new password, a new role or disabling ends
// every web session of the user.
func (s *Server) patchUser(c echo.Context, p *principal) error {
	id, err := pathID[identity.UserID](c, "id")
	if err != nil {
		return err
	}
	var b patchUserBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.users.User(ctx, id)
	if err != nil {
		return err
	}
	before := u
	if b.DisplayName != nil {
		u.DisplayName = *b.DisplayName
	}
	if b.Role != nil {
		if u.Role, err = identity.ParseRole(*b.Role); err != nil {
			return err
		}
	}
	if b.Disabled != nil {
		u.Disabled = *b.Disabled
	}
	// An admin locking themselves out would need another admin to undo it.
	if id == p.User.ID && u.Disabled {
		return fieldErr("disabled", "you cannot disable yourself")
	}
	if id == p.User.ID && u.Role != before.Role {
		return fieldErr("role", "you cannot change your own role")
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if b.Password != nil {
		if err := identity.ValidatePassword("password", *b.Password); err != nil {
			return err
		}
	}
	if u != before {
		if u, err = s.users.UpdateUser(ctx, u); err != nil {
			return err
		}
	}
	if b.Password != nil {
		if err := s.users.SetPassword(ctx, id, *b.Password); err != nil {
			return err
		}
	}
	ended := 0
	if b.Password != nil || u.Disabled || u.Role != before.Role {
		if ended, err = s.webSessions.DeleteUserWebSessions(ctx, id); err != nil {
			return err
		}
	}
	s.audit(ctx, p, "user.update", "user:"+id.String(), map[string]any{
		"role": u.Role, "disabled": u.Disabled, "password_changed": b.Password != nil, "sessions_ended": ended,
	})
	return c.JSON(http.StatusOK, u)
}

// ---- agent seats

type createAgentBody struct {
	Name          string              `json:"name"`
	Extension     string              `json:"extension"`
	SIPPassword   string              `json:"sip_password"`
	ExternalPhone string              `json:"external_phone"`
	Mode          string              `json:"mode"`
	Skills        []string            `json:"skills"`
	Campaigns     []dialer.CampaignID `json:"campaigns"`
	UserID        identity.UserID     `json:"user_id"`
	TeamID        dialer.TeamID       `json:"team_id"`
}

func (s *Server) createAgent(c echo.Context, p *principal) error {
	var b createAgentBody
	if err := decode(c, &b); err != nil {
		return err
	}
	a := dialer.Agent{Name: b.Name, Extension: b.Extension, Realm: s.opts.SIPRealm, Mode: dialer.AgentMode(b.Mode),
		Skills: b.Skills, Campaigns: b.Campaigns, User: b.UserID, Team: b.TeamID}
	if a.Mode == "" {
		a.Mode = dialer.ModeRing
	}
	if a.Skills == nil {
		a.Skills = []string{}
	}
	if a.Campaigns == nil {
		a.Campaigns = []dialer.CampaignID{}
	}
	var err error
	if a.ExternalPhone, err = phone.NormalizeOptional("external_phone", b.ExternalPhone, s.opts.DefaultCountry); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := identity.ValidatePassword("sip_password", b.SIPPassword); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.checkSeatLinks(ctx, dialer.Agent{}, a); err != nil {
		return err
	}
	out, err := s.dir.CreateAgent(ctx, a, b.SIPPassword)
	if err != nil {
		return s.seatConflict(ctx, a, err)
	}
	s.directoryRecords.forget()
	s.audit(ctx, p, "agent.create", "agent:"+out.ID.String(), map[string]any{"extension": out.Extension, "user_id": out.User, "team_id": out.Team})
	return c.JSON(http.StatusCreated, out)
}

// checkSeatLinks checks what seat a refers to that before did not: the
// user (who must have no other seat), the campaigns and the team.
func (s *Server) checkSeatLinks(ctx context.Context, before, a dialer.Agent) error {
	if a.User < 0 {
		return fieldErr("user_id", "must be positive")
	}
	if a.User != 0 && a.User != before.User {
		if _, err := s.users.User(ctx, a.User); err != nil {
			if errors.Is(err, dialer.ErrNotFound) {
				return fieldErr("user_id", "no such user")
			}
			return err
		}
		if other, err := s.dir.AgentByUser(ctx, a.User); err == nil && other.ID != a.ID {
			return &httpError{code: http.StatusConflict, msg: "the user already has an agent seat (" + other.Extension + ")", field: "user_id"}
		}
	}
	for _, cid := range a.Campaigns {
		if slices.Contains(before.Campaigns, cid) {
			continue
		}
		if _, err := s.campaigns.Campaign(ctx, cid); err != nil {
			if errors.Is(err, dialer.ErrNotFound) {
				return fieldErr("campaigns", "no campaign "+cid.String())
			}
			return err
		}
	}
	if a.Team != 0 && a.Team != before.Team {
		if s.opts.Teams == nil {
			return errNoTeams
		}
		if _, err := s.opts.Teams.Team(ctx, a.Team); err != nil {
			if errors.Is(err, dialer.ErrNotFound) {
				return fieldErr("team_id", "no team "+a.Team.String())
			}
			return err
		}
	}
	return nil
}

// seatConflict names who has the extension a store refused as taken.
func (s *Server) seatConflict(ctx context.Context, a dialer.Agent, err error) error {
	if !errors.Is(err, dialer.ErrConflict) {
		return err
	}
	msg := "the extension is taken"
	if other, lerr := s.dir.AgentByExtension(ctx, a.Extension); lerr == nil && other.ID != a.ID {
		msg += " by " + other.Name
	}
	return &httpError{code: http.StatusConflict, msg: msg, field: "extension"}
}

// listSeats is every agent seat's record (never a SIP secret): what the
// admin console edits.
func (s *Server) listSeats(c echo.Context, _ *principal) error {
	l, err := s.dir.ListAgents(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []dialer.Agent{}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": l})
}

// ---- API keys

func (s *Server) listAPIKeys(c echo.Context, _ *principal) error {
	l, err := s.apiKeys.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []identity.APIKey{}
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": l})
}

type createAPIKeyBody struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createdKey is the one answer that shows a key's secret.
type createdKey struct {
	APIKey identity.APIKey `json:"api_key"`
	Secret string          `json:"secret"`
}

func (s *Server) createAPIKey(c echo.Context, p *principal) error {
	var b createAPIKeyBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Name == "" || len(b.Name) > 64 {
		return fieldErr("name", "1-64 bytes")
	}
	if err := checkText("name", b.Name, 64); err != nil {
		return err
	}
	role, err := identity.ParseRole(b.Role)
	if err != nil {
		return err
	}
	if !b.ExpiresAt.IsZero() && !b.ExpiresAt.After(s.now()) {
		return fieldErr("expires_at", "must be in the future")
	}
	ctx := c.Request().Context()
	// A key made with a key belongs to that key's user, so disabling the
	// user stops both.
	owner := p.User.ID
	if p.Key != nil {
		owner = p.Key.CreatedBy
	}
	k, secret, err := s.apiKeys.CreateAPIKey(ctx, b.Name, role, owner, b.ExpiresAt)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "apikey.create", "apikey:"+k.ID.String(), map[string]any{"name": k.Name, "role": k.Role, "prefix": k.Prefix})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, createdKey{APIKey: k, Secret: secret})
}

func (s *Server) revokeAPIKey(c echo.Context, p *principal) error {
	id, err := pathID[identity.APIKeyID](c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.apiKeys.RevokeAPIKey(ctx, id, s.now()); err != nil {
		return err
	}
	s.audit(ctx, p, "apikey.revoke", "apikey:"+id.String(), nil)
	return c.NoContent(http.StatusNoContent)
}
