package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// auditActor is who an entry names: the stored reference and, when it is
// a user or an API key that still exists, its name.
type auditActor struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

type auditEntry struct {
	ID      int64           `json:"id"`
	At      string          `json:"at"`
	Actor   auditActor      `json:"actor"`
	Role    identity.Role   `json:"role,omitempty"`
	Action  string          `json:"action"`
	Target  string          `json:"target,omitempty"`
	Details json.RawMessage `json:"details"`
	Remote  string          `json:"remote,omitempty"`
}

// auditNames maps stored actors ("user:3", "apikey:2") to names. Users and
// keys are few, so one read of each per request beats a read per entry.
type auditNames map[string]string

func (s *Server) auditNames(ctx context.Context) (auditNames, error) {
	users, err := s.users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.apiKeys.ListAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	n := make(auditNames, len(users)+len(keys))
	for _, u := range users {
		n["user:"+u.ID.String()] = u.Username
	}
	for _, k := range keys {
		n["apikey:"+k.ID.String()] = k.Name
	}
	return n, nil
}

func (n auditNames) entry(e dialer.AuditEntry) auditEntry {
	details := e.Data
	if len(details) == 0 {
		details = json.RawMessage(`{}`)
	}
	return auditEntry{ID: e.ID, At: csvTime(e.At), Actor: auditActor{ID: e.Actor, Name: n[e.Actor]}, Role: e.Role,
		Action: e.Action, Target: e.Target, Details: details, Remote: e.Remote}
}

// actorNames are the actors that are neither a user nor a key.
var actorNames = map[string]bool{"system": true, "cli": true, "anonymous": true}

// auditFilter reads the filters. actor is a user id, a username, a stored
// actor ("apikey:2") or system, cli or anonymous.
func (s *Server) auditFilter(c echo.Context, names auditNames, defLimit, maxLimit int) (f dialer.AuditFilter, err error) {
	if a := c.QueryParam("actor"); a != "" {
		if f.Actor, err = resolveActor(a, names); err != nil {
			return f, err
		}
	}
	if f.Action = c.QueryParam("action"); f.Action != "" && !validAction(f.Action) {
		return f, fieldErr("action", "an action such as queue.update, or a prefix ending in a dot such as queue.")
	}
	if f.Target = c.QueryParam("target"); len(f.Target) > 256 {
		return f, fieldErr("target", "longer than 256 bytes")
	}
	if f.Since, err = queryTime(c, "since"); err != nil {
		return f, err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, fieldErr("until", "must be after since")
	}
	if b := c.QueryParam("before_id"); b != "" {
		if f.BeforeID, err = parseID[int64]("before_id", b); err != nil {
			return f, err
		}
	}
	f.Limit, err = queryLimit(c, defLimit, maxLimit)
	return f, err
}

func resolveActor(a string, names auditNames) (string, error) {
	if _, err := strconv.ParseInt(a, 10, 64); err == nil {
		id, err := parseID[identity.UserID]("actor", a)
		return "user:" + id.String(), err
	}
	if strings.Contains(a, ":") {
		if len(a) > 64 {
			return "", fieldErr("actor", "longer than 64 bytes")
		}
		return a, nil
	}
	for ref, name := range names {
		if strings.HasPrefix(ref, "user:") && name == a {
			return ref, nil
		}
	}
	if actorNames[a] {
		return a, nil
	}
	return "", fieldErr("actor", "no user with this id or username")
}

func validAction(a string) bool {
	if len(a) > 64 {
		return false
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_:.-", r)) {
			return false
		}
	}
	return true
}

// listAudit answers a page of entries, newest first; next_before_id,
// when present, asks for the page after.
func (s *Server) listAudit(c echo.Context, _ *principal) error {
	ctx := c.Request().Context()
	names, err := s.auditNames(ctx)
	if err != nil {
		return err
	}
	f, err := s.auditFilter(c, names, 100, 500)
	if err != nil {
		return err
	}
	l, err := s.auditLog.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	out := make([]auditEntry, len(l))
	for i, e := range l {
		out[i] = names.entry(e)
	}
	resp := map[string]any{"entries": out}
	if len(l) == f.Limit {
		resp["next_before_id"] = l[len(l)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

var auditColumns = []string{"id", "at", "actor", "actor_name", "role", "action", "target", "details", "remote"}

// exportAudit streams the filtered entries as CSV; limit bounds the whole
// export (default and most: 100,000).
func (s *Server) exportAudit(c echo.Context, _ *principal) error {
	ctx := c.Request().Context()
	names, err := s.auditNames(ctx)
	if err != nil {
		return err
	}
	f, err := s.auditFilter(c, names, 100_000, 100_000)
	if err != nil {
		return err
	}
	return streamCSV(s, c, "audit.csv", auditColumns, f.Limit, func(limit int, last *dialer.AuditEntry) ([]dialer.AuditEntry, error) {
		g := f
		g.Limit = limit
		if last != nil {
			g.BeforeID = last.ID
		}
		return s.auditLog.ListAudit(ctx, g)
	}, func(e dialer.AuditEntry) []string {
		a := names.entry(e)
		return []string{strconv.FormatInt(a.ID, 10), a.At, csvText(a.Actor.ID), csvText(a.Actor.Name), string(a.Role),
			csvText(a.Action), csvText(a.Target), csvText(string(a.Details)), csvText(a.Remote)}
	})
}
