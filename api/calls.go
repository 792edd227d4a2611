package api

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// ---- starting calls

type startCallBody struct {
	Number         string            `json:"number"`
	AgentID        dialer.AgentID    `json:"agent_id"`
	CallerIDNumber string            `json:"caller_id_number"`
	CallerIDName   string            `json:"caller_id_name"`
	CampaignID     dialer.CampaignID `json:"campaign_id"`
	LeadID         dialer.LeadID     `json:"lead_id"`
	Fields         map[string]string `json:"fields"`
}

// checkFields validates custom lead fields as the lead store does.
func checkFields(field string, m map[string]string) error {
	if len(m) > 100 {
		return fieldErr(field, "more than 100 fields")
	}
	for k, v := range m {
		if !dialer.ValidFieldName(k) {
			return fieldErr(field, "bad field name "+strconv.Quote(k)+": 1-32 of [A-Za-z0-9_]")
		}
		if err := checkText(field+"."+k, v, 4096); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) startCall(c echo.Context, p *principal) error {
	var b startCallBody
	if err := decode(c, &b); err != nil {
		return err
	}
	var err error
	req := dialer.OutboundRequest{Agent: b.AgentID, Campaign: b.CampaignID, Lead: b.LeadID, Origin: dialer.OriginAPI}
	if req.Number, err = phone.Normalize("number", b.Number, s.opts.DefaultCountry); err != nil {
		return err
	}
	if req.CallerIDNumber, err = phone.NormalizeOptional("caller_id_number", b.CallerIDNumber, s.opts.DefaultCountry); err != nil {
		return err
	}
	if err := checkLabel("caller_id_name", b.CallerIDName, 64); err != nil {
		return err
	}
	req.CallerIDName = b.CallerIDName
	switch {
	case b.AgentID < 0:
		return fieldErr("agent_id", "must be positive")
	case b.CampaignID < 0:
		return fieldErr("campaign_id", "must be positive")
	case b.LeadID < 0:
		return fieldErr("lead_id", "must be positive")
	}
	if err := checkFields("fields", b.Fields); err != nil {
		return err
	}
	req.Fields = b.Fields
	v, err := s.engine.StartCall(c.Request().Context(), p.Actor, req)
	if err != nil {
		return err
	}
	// "dialing" alone hides that the lead will be abandoned when it
	// answers and no agent is READY (an agent whose workspace stopped its
	// heartbeat was paused).
	out := startedCall{CallView: v, ReadyAgents: s.engine.ReadyAgents(b.AgentID)}
	if out.ReadyAgents == 0 {
		out.Warning = "no agent is READY: if none is READY when the lead answers, the call is abandoned"
		if b.AgentID != 0 {
			out.Warning = "agent " + b.AgentID.String() + " is not READY: if it is not READY when the lead answers, the call is abandoned"
		}
	}
	return c.JSON(http.StatusCreated, out)
}

// startedCall answers POST /calls: the call, and whether an agent could
// take it now.
type startedCall struct {
	dialer.CallView
	ReadyAgents int    `json:"ready_agents"`
	Warning     string `json:"warning,omitempty"`
}

// ---- reading calls

// callFilter reads the list filters; for an agent it keeps only the
// agent's own calls (none asked means none given: ok is false).
func (s *Server) callFilter(c echo.Context, p *principal, defLimit, maxLimit int) (f dialer.CallFilter, ok bool, err error) {
	if f.Agent, err = queryID[dialer.AgentID](c, "agent"); err != nil {
		return f, false, err
	}
	if f.Campaign, err = queryID[dialer.CampaignID](c, "campaign"); err != nil {
		return f, false, err
	}
	if f.Lead, err = queryID[dialer.LeadID](c, "lead"); err != nil {
		return f, false, err
	}
	if d := c.QueryParam("direction"); d != "" {
		f.Direction = dialer.CallDirection(d)
		if !f.Direction.Valid() {
			return f, false, fieldErr("direction", "inbound or outbound")
		}
	}
	if err := searchFilter(c, &f); err != nil {
		return f, false, err
	}
	if f.Since, err = queryTime(c, "since"); err != nil {
		return f, false, err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return f, false, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, false, fieldErr("until", "must be after since")
	}
	if b := c.QueryParam("before"); b != "" {
		if f.Before, err = callIDParam("before", b); err != nil {
			return f, false, err
		}
	}
	if f.Limit, err = queryLimit(c, defLimit, maxLimit); err != nil {
		return f, false, err
	}
	if !p.Actor.Role.AtLeast(identity.RoleSupervisor) {
		if f.Agent != 0 && f.Agent != p.Actor.Agent {
			return f, false, dialer.ErrForbidden
		}
		if p.Actor.Agent == 0 {
			return f, false, nil
		}
		f.Agent = p.Actor.Agent
	}
	return f, true, nil
}

// searchFilter reads the call search's filters: part of a number, the
// queue, outcome, disposition, least talk time and a recording.
func searchFilter(c echo.Context, f *dialer.CallFilter) error {
	var err error
	if n := c.QueryParam("number"); n != "" {
		digits := strings.TrimPrefix(n, "+")
		if len(digits) < 2 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			return fieldErr("number", "2 to 15 digits, part of a number")
		}
		f.Number = n
	}
	if f.Queue, err = queryID[dialer.QueueID](c, "queue"); err != nil {
		return err
	}
	if o := c.QueryParam("outcome"); o != "" {
		f.Outcome = dialer.CallOutcome(o)
		if !f.Outcome.Valid() {
			return fieldErr("outcome", "not an outcome")
		}
	}
	if d := c.QueryParam("disposition"); d != "" {
		if !dialer.ValidDispositionCode(d) {
			return fieldErr("disposition", "1-16 of [A-Z0-9_]")
		}
		f.Disposition = d
	}
	if m := c.QueryParam("min_billsec"); m != "" {
		if f.MinBillsec, err = strconv.Atoi(m); err != nil || f.MinBillsec < 0 || f.MinBillsec > 86400 {
			return fieldErr("min_billsec", "seconds from 0 to 86400")
		}
	}
	switch c.QueryParam("has_recording") {
	case "", "false", "0":
	case "true", "1":
		f.HasRecording = true
	default:
		return fieldErr("has_recording", "true or false")
	}
	return nil
}

func (s *Server) listCalls(c echo.Context, p *principal) error {
	f, ok, err := s.callFilter(c, p, 100, 1000)
	if err != nil {
		return err
	}
	calls := []dialer.Call{}
	if ok {
		if calls, err = s.calls.ListCalls(c.Request().Context(), f); err != nil {
			return err
		}
		if calls == nil {
			calls = []dialer.Call{}
		}
	}
	resp := map[string]any{"calls": calls}
	if len(calls) == f.Limit {
		resp["next_before"] = calls[len(calls)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// csvColumns is the header row of GET /calls.csv.
var csvColumns = []string{
	"id", "created_at", "direction", "origin", "from_number", "to_number", "agent_id", "campaign_id", "lead_id",
	"state", "outcome", "hangup_cause", "billsec", "answered_at", "bridged_at", "ended_at", "disposition", "notes",
}

// csvText keeps a spreadsheet from running free text as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func csvID[T ~int64](id T) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(int64(id), 10)
}

func csvRecord(c dialer.Call) []string {
	return []string{
		string(c.ID), csvTime(c.CreatedAt), string(c.Direction), string(c.Origin), c.FromNumber, c.ToNumber,
		csvID(c.Agent), csvID(c.Campaign), csvID(c.Lead), string(c.State), string(c.Outcome), csvText(c.HangupCause),
		strconv.Itoa(c.Billsec), csvTime(c.AnsweredAt), csvTime(c.BridgedAt), csvTime(c.EndedAt), c.Disposition,
		csvText(c.Notes),
	}
}

// csvPage is how many records one store query reads while exporting
// (a variable for the paging test).
var csvPage = 1000

// exportCalls streams the filtered calls as CSV, newest first, one page
// at a time; limit bounds the whole export (default and most: 100,000).
func (s *Server) exportCalls(c echo.Context, p *principal) error {
	f, ok, err := s.callFilter(c, p, 100_000, 100_000)
	if err != nil {
		return err
	}
	if !ok {
		f.Limit = 0 // an agent asking for another's calls: an empty file
	}
	return streamCSV(s, c, "calls.csv", csvColumns, f.Limit, func(limit int, last *dialer.Call) ([]dialer.Call, error) {
		g := f
		g.Limit = limit
		if last != nil {
			g.Before = last.ID
		}
		return s.calls.ListCalls(c.Request().Context(), g)
	}, csvRecord)
}

// streamCSV answers a CSV file: the header, then up to total records read
// a page (csvPage) at a time, each page after the last record of the one
// before. The first page is read before answering, so a store error is
// still an error response; after that, a cut-off file is all that can
// say so.
func streamCSV[T any](s *Server, c echo.Context, file string, header []string, total int,
	read func(limit int, last *T) ([]T, error), record func(T) []string) error {
	var page []T
	var err error
	if total > 0 {
		if page, err = read(min(total, csvPage), nil); err != nil {
			return err
		}
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+file+`"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(header); err != nil {
		return nil
	}
	written := 0
	for {
		for _, r := range page {
			if err := w.Write(record(r)); err != nil {
				return nil
			}
		}
		asked := min(total-written, csvPage)
		written += len(page)
		w.Flush()
		c.Response().Flush()
		if len(page) < asked || written >= total {
			return nil
		}
		if page, err = read(min(total-written, csvPage), &page[len(page)-1]); err != nil {
			s.log.Error("export cut short", "file", file, "err", err)
			return nil
		}
	}
}

func (s *Server) liveCalls(c echo.Context, _ *principal) error {
	calls := s.engine.LiveCalls(c.Request().Context())
	if calls == nil {
		calls = []dialer.CallView{}
	}
	return c.JSON(http.StatusOK, map[string]any{"calls": calls})
}

// involves reports whether agent has a part in the live call.
func involves(v dialer.CallView, agent dialer.AgentID) bool {
	if agent == 0 {
		return false
	}
	if v.Agent == agent {
		return true
	}
	for _, pv := range v.Parties {
		if pv.Agent == agent {
			return true
		}
	}
	return false
}

// wrapsUp reports whether call id is the one p's agent is on or wraps up:
// after a blind transfer the call is a colleague's, but its wrap-up (and
// the page reloaded in it) is still this agent's.
func (s *Server) wrapsUp(ctx context.Context, p *principal, id dialer.CallID) bool {
	if p.Actor.Agent == 0 {
		return false
	}
	v, err := s.engine.AgentView(ctx, p.Actor.Agent)
	return err == nil && v.Call == id
}

// callAccess reads a call for p: the engine's view if it has one, else
// the record. An agent may only see and act on a call it has a part in.
func (s *Server) callAccess(ctx context.Context, p *principal, id dialer.CallID) (*dialer.CallView, *dialer.Call, error) {
	v, err := s.engine.CallView(ctx, id)
	switch {
	case err == nil:
		if !p.Actor.Role.AtLeast(identity.RoleSupervisor) && !involves(v, p.Actor.Agent) && !s.wrapsUp(ctx, p, id) {
			return nil, nil, dialer.ErrForbidden
		}
		return &v, nil, nil
	case !errors.Is(err, dialer.ErrNotFound):
		return nil, nil, err
	}
	rec, err := s.calls.Call(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Actor.Role.AtLeast(identity.RoleSupervisor) {
		return nil, &rec, nil
	}
	if p.Actor.Agent == 0 {
		return nil, nil, dialer.ErrForbidden
	}
	if rec.Agent == p.Actor.Agent || s.wrapsUp(ctx, p, id) {
		return nil, &rec, nil
	}
	legs, err := s.calls.CallLegs(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range legs {
		if l.Agent == p.Actor.Agent {
			return nil, &rec, nil
		}
	}
	return nil, nil, dialer.ErrForbidden
}

// callParam reads the path's call id and checks that p may act on it.
func (s *Server) callParam(c echo.Context, p *principal) (dialer.CallID, *dialer.CallView, *dialer.Call, error) {
	id, err := callIDParam("id", c.Param("id"))
	if err != nil {
		return "", nil, nil, err
	}
	v, rec, err := s.callAccess(c.Request().Context(), p, id)
	return id, v, rec, err
}

// callDetail is GET /calls/{id}: the live view while the call is live,
// then the record with its legs and timeline.
type callDetail struct {
	Live     bool               `json:"live"`
	View     *dialer.CallView   `json:"view,omitempty"`
	Record   *dialer.Call       `json:"record,omitempty"`
	Legs     []dialer.CallLeg   `json:"legs,omitempty"`
	Timeline []dialer.CallEvent `json:"timeline,omitempty"`
}

func (s *Server) getCall(c echo.Context, p *principal) error {
	id, v, rec, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if v != nil && v.State != dialer.LiveEnded {
		return c.JSON(http.StatusOK, callDetail{Live: true, View: v})
	}
	if rec == nil {
		r, err := s.calls.Call(ctx, id)
		if errors.Is(err, dialer.ErrNotFound) && v != nil {
			// Ended a moment ago and not yet written down.
			return c.JSON(http.StatusOK, callDetail{View: v})
		}
		if err != nil {
			return err
		}
		rec = &r
	}
	d := callDetail{Record: rec}
	if d.Legs, err = s.calls.CallLegs(ctx, id); err != nil {
		return err
	}
	if d.Timeline, err = s.calls.CallEvents(ctx, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// ---- call controls

func (s *Server) control(c echo.Context, p *principal, f func(ctx context.Context, a dialer.Actor, id dialer.CallID) error) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	if err := f(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) callHangup(c echo.Context, p *principal) error {
	return s.control(c, p, s.engine.Hangup)
}

func (s *Server) callLeave(c echo.Context, p *principal) error {
	return s.control(c, p, s.engine.Leave)
}

func (s *Server) callHold(c echo.Context, p *principal) error {
	return s.control(c, p, func(ctx context.Context, a dialer.Actor, id dialer.CallID) error {
		return s.engine.Hold(ctx, a, id, true)
	})
}

func (s *Server) callUnhold(c echo.Context, p *principal) error {
	return s.control(c, p, func(ctx context.Context, a dialer.Actor, id dialer.CallID) error {
		return s.engine.Hold(ctx, a, id, false)
	})
}

func (s *Server) callMute(c echo.Context, p *principal) error {
	return s.control(c, p, func(ctx context.Context, a dialer.Actor, id dialer.CallID) error {
		return s.engine.Mute(ctx, a, id, true)
	})
}

func (s *Server) callUnmute(c echo.Context, p *principal) error {
	return s.control(c, p, func(ctx context.Context, a dialer.Actor, id dialer.CallID) error {
		return s.engine.Mute(ctx, a, id, false)
	})
}

type dtmfBody struct {
	Digits string `json:"digits"`
}

// validDTMF: the keypad's 16 tones, at most 32 at once.
func validDTMF(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '*' || c == '#' || 'A' <= c && c <= 'D') {
			return false
		}
	}
	return true
}

func (s *Server) callDTMF(c echo.Context, p *principal) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	var b dtmfBody
	if err := decode(c, &b); err != nil {
		return err
	}
	digits := strings.ToUpper(b.Digits)
	if !validDTMF(digits) {
		return fieldErr("digits", "1-32 of 0-9 * # A-D")
	}
	if err := s.engine.SendDTMF(c.Request().Context(), p.Actor, id, digits); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type recordingBody struct {
	On *bool `json:"on"`
}

func (s *Server) callRecording(c echo.Context, p *principal) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	var b recordingBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.On == nil {
		return fieldErr("on", "required: true starts, false stops")
	}
	if err := s.engine.Record(c.Request().Context(), p.Actor, id, *b.On); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type targetBody struct {
	AgentID dialer.AgentID `json:"agent_id"`
	Number  string         `json:"number"`
	QueueID dialer.QueueID `json:"queue_id"`
}

// target reads the body's one target: more than one is refused before
// the number is read, so the error names what is wrong.
func (s *Server) target(b targetBody) (dialer.TransferTarget, error) {
	t := dialer.TransferTarget{Agent: b.AgentID, Number: b.Number, Queue: b.QueueID}
	if err := t.CheckKind(); err != nil {
		return t, err
	}
	if b.Number != "" {
		n, err := phone.Normalize("number", b.Number, s.opts.DefaultCountry)
		if err != nil {
			return t, err
		}
		t.Number = n
	}
	return t, t.Validate()
}

// callTarget reads the call and the transfer target of the body.
func (s *Server) callTarget(c echo.Context, p *principal) (dialer.CallID, dialer.TransferTarget, error) {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return "", dialer.TransferTarget{}, err
	}
	var b targetBody
	if err := decode(c, &b); err != nil {
		return "", dialer.TransferTarget{}, err
	}
	t, err := s.target(b)
	return id, t, err
}

func (s *Server) callTransfer(c echo.Context, p *principal) error {
	id, t, err := s.callTarget(c, p)
	if err != nil {
		return err
	}
	if err := s.engine.BlindTransfer(c.Request().Context(), p.Actor, id, t); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) callAddParty(c echo.Context, p *principal) error {
	id, t, err := s.callTarget(c, p)
	if err != nil {
		return err
	}
	if err := t.ValidateParty(); err != nil {
		return err
	}
	pv, err := s.engine.AddParty(c.Request().Context(), p.Actor, id, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pv)
}

func (s *Server) callRemoveParty(c echo.Context, p *principal) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	leg := dialer.LegID(strings.ToLower(c.Param("leg")))
	if !leg.Valid() {
		return fieldErr("leg", "must be a leg id (UUID)")
	}
	if err := s.engine.RemoveParty(c.Request().Context(), p.Actor, id, leg); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- disposition

type callbackBody struct {
	// Date and Time are the lead's local wall clock: 2026-11-24, 14:30.
	Date     string `json:"date"`
	Time     string `json:"time"`
	TimeZone string `json:"time_zone"`
	Anyone   bool   `json:"anyone"`
	Notes    string `json:"notes"`
}

type disposeBody struct {
	Code     string        `json:"code"`
	Notes    string        `json:"notes"`
	Callback *callbackBody `json:"callback"`
}

// maxCallbackAhead bounds how far ahead a callback may be scheduled.
const maxCallbackAhead = 2 * 366 * 24 * time.Hour

// callbackDue turns a local date and time in zone into the instant, UTC.
// A time the clocks skip (spring forward) is refused; a time that happens
// twice (fall back) is the first of the two.
func callbackDue(date, clock, zone string, now time.Time) (time.Time, error) {
	if zone == "Local" || !dialer.ValidTimeZone(zone) {
		return time.Time{}, fieldErr("callback.time_zone", "an IANA zone such as America/New_York")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, fieldErr("callback.time_zone", "an IANA zone such as America/New_York")
	}
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, fieldErr("callback.date", "a date such as 2026-11-24")
	}
	hm, err := time.Parse("15:04", clock)
	if err != nil {
		return time.Time{}, fieldErr("callback.time", "a 24-hour time such as 14:30")
	}
	wall := time.Date(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), 0, 0, time.UTC)
	// The zone's offsets a day either side cover both sides of a change.
	guess := time.Date(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	var due time.Time
	for _, probe := range []time.Time{guess.Add(-24 * time.Hour), guess, guess.Add(24 * time.Hour)} {
		_, off := probe.Zone()
		t := wall.Add(-time.Duration(off) * time.Second)
		l := t.In(loc)
		if l.Year() == wall.Year() && l.YearDay() == wall.YearDay() && l.Hour() == wall.Hour() && l.Minute() == wall.Minute() {
			if due.IsZero() || t.Before(due) {
				due = t
			}
		}
	}
	if due.IsZero() {
		return time.Time{}, fieldErr("callback.time", clock+" does not exist on "+date+" in "+zone+" (the clocks change); pick another time")
	}
	if !due.After(now) {
		return time.Time{}, fieldErr("callback.time", "is in the past ("+due.In(loc).Format(time.RFC3339)+")")
	}
	if due.Sub(now) > maxCallbackAhead {
		return time.Time{}, fieldErr("callback.date", "more than two years ahead")
	}
	return due.UTC(), nil
}

// callbackZone is the zone a callback's wall clock is read in: the one
// given, else the lead's, else the service's.
func (s *Server) callbackZone(ctx context.Context, given string, lead dialer.LeadID) (string, error) {
	if given != "" {
		return given, nil
	}
	if lead != 0 {
		l, err := s.campaigns.Lead(ctx, lead)
		if err != nil && !errors.Is(err, dialer.ErrNotFound) {
			return "", err
		}
		if l.TimeZone != "" {
			return l.TimeZone, nil
		}
	}
	if s.opts.DefaultTimeZone != "" {
		return s.opts.DefaultTimeZone, nil
	}
	return "UTC", nil
}

func (s *Server) callDispose(c echo.Context, p *principal) error {
	id, v, rec, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	var b disposeBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if !dialer.ValidDispositionCode(b.Code) {
		return fieldErr("code", "1-16 of [A-Z0-9_]")
	}
	if err := checkText("notes", b.Notes, 8192); err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.campaigns.Disposition(ctx, b.Code)
	if errors.Is(err, dialer.ErrNotFound) {
		return fieldErr("code", "unknown disposition "+b.Code)
	}
	if err != nil {
		return err
	}
	if !d.Selectable && !p.Actor.Role.AtLeast(identity.RoleSupervisor) {
		return fieldErr("code", b.Code+" is set by the system, not by agents")
	}
	req := dialer.DispositionRequest{Code: b.Code, Notes: b.Notes}
	switch {
	case d.SchedulesCallback && b.Callback == nil:
		return fieldErr("callback", b.Code+" schedules a callback: give its date and time")
	case !d.SchedulesCallback && b.Callback != nil:
		return fieldErr("callback", b.Code+" does not schedule callbacks")
	}
	if cb := b.Callback; cb != nil {
		if err := checkText("callback.notes", cb.Notes, 8192); err != nil {
			return err
		}
		var lead dialer.LeadID
		switch {
		case v != nil:
			lead = v.Lead
		case rec != nil:
			lead = rec.Lead
		}
		if lead == 0 && v != nil {
			// A live view may not know the lead yet; the record does.
			if r, err := s.calls.Call(ctx, id); err == nil {
				lead = r.Lead
			}
		}
		zone, err := s.callbackZone(ctx, cb.TimeZone, lead)
		if err != nil {
			return err
		}
		due, err := callbackDue(cb.Date, cb.Time, zone, s.now())
		if err != nil {
			return err
		}
		req.Callback = &dialer.CallbackRequest{DueAt: due, Anyone: cb.Anyone, Notes: cb.Notes}
	}
	call, err := s.engine.Dispose(ctx, p.Actor, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, call)
}
