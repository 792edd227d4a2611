package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/identity"
)

type changePasswordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword sets the signed-in user's own password once the current
// one is given. Every web session of the user ends but this one, which
// gets a new token: a session someone else holds is worth nothing after.
func (s *Server) changePassword(c echo.Context, p *principal) error {
	if p.viaKey() {
		return newHTTPError(http.StatusForbidden, "an API key has no password")
	}
	var b changePasswordBody
	if err := decode(c, &b); err != nil {
		return err
	}
	switch {
	case b.CurrentPassword == "":
		return fieldErr("current_password", "required")
	case len(b.CurrentPassword) > 1024:
		return fieldErr("current_password", "too long")
	}
	if err := identity.ValidatePassword("new_password", b.NewPassword); err != nil {
		return err
	}
	if b.NewPassword == b.CurrentPassword {
		return fieldErr("new_password", "is the current password")
	}
	ctx := c.Request().Context()
	// Wrong guesses count as failed logins, so that a session left open
	// does not let anyone try passwords at leisure.
	ip := c.RealIP()
	pair, addr := "u:"+strings.ToLower(p.User.Username)+"|"+ip, "ip:"+ip
	if wait := s.limiter.blocked(s.now(), pair, addr); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return newHTTPError(http.StatusTooManyRequests, "too many failed attempts; retry later")
	}
	if _, err := s.users.Authenticate(ctx, p.User.Username, b.CurrentPassword); err != nil {
		if errors.Is(err, identity.ErrBadCredentials) {
			s.limiter.fail(s.now(), pair, addr)
			s.audit(ctx, p, "auth.password_change_failed", "user:"+p.User.ID.String(), map[string]any{"ip": ip})
			return fieldErr("current_password", "is not your password")
		}
		return err
	}
	s.limiter.reset(pair)
	if err := s.users.SetPassword(ctx, p.User.ID, b.NewPassword); err != nil {
		return err
	}
	ended, err := s.webSessions.DeleteUserWebSessions(ctx, p.User.ID)
	if err != nil {
		return err
	}
	s.open.endAll(sessionOwner(p.Token))
	np, err := s.startWebSession(c, p.User.ID)
	if err != nil {
		return err
	}
	s.audit(ctx, np, "auth.password_change", "user:"+p.User.ID.String(), map[string]any{"other_sessions_ended": ended - 1})
	return c.JSON(http.StatusOK, np.me())
}

type resetPasswordBody struct {
	// Password is the new one; empty generates one.
	Password string `json:"password"`
}

// resetPassword sets another user's password, the one given or a new
// random one shown in the answer once; every web session of the user
// ends.
func (s *Server) resetPassword(c echo.Context, p *principal) error {
	id, err := pathID[identity.UserID](c, "id")
	if err != nil {
		return err
	}
	// No body at all asks for a generated password.
	var b resetPasswordBody
	if c.Request().ContentLength != 0 {
		if err := decode(c, &b); err != nil {
			return err
		}
	}
	if id == p.User.ID {
		return fieldErr("id", "change your own password with POST /api/v1/auth/password")
	}
	generated := b.Password == ""
	if generated {
		b.Password = randomPassword()
	} else if err := identity.ValidatePassword("password", b.Password); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.users.User(ctx, id)
	if err != nil {
		return err
	}
	if err := s.users.SetPassword(ctx, id, b.Password); err != nil {
		return err
	}
	ended, err := s.webSessions.DeleteUserWebSessions(ctx, id)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "user.password_reset", "user:"+id.String(), map[string]any{"generated": generated, "sessions_ended": ended})
	out := map[string]any{"user": u, "sessions_ended": ended}
	if generated {
		out["password"] = b.Password
	}
	return c.JSON(http.StatusOK, out)
}
