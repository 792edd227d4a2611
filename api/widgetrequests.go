package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/leadcall"
)

// The lead requests: the widget's and the lead-call API's requests to be
// called back, their attempts, and the figures per day.

var (
	errNoLeadCalls      = newHTTPError(http.StatusServiceUnavailable, "not configured: lead requests")
	errNoWidgetRequests = newHTTPError(http.StatusServiceUnavailable, "not configured: lead request store")
)

// maxDashboardDays bounds the days one dashboard answer cuts.
const maxDashboardDays = 366

func (s *Server) leadCalls() (*leadcall.Service, error) {
	if s.opts.LeadCalls == nil {
		return nil, errNoLeadCalls
	}
	return s.opts.LeadCalls, nil
}

func (s *Server) requestStore() (dialer.WidgetRequestStore, error) {
	if s.opts.WidgetRequests == nil {
		return nil, errNoWidgetRequests
	}
	return s.opts.WidgetRequests, nil
}

type requestList struct {
	Requests   []dialer.WidgetRequest  `json:"requests"`
	NextBefore *dialer.WidgetRequestID `json:"next_before"`
}

func (s *Server) listWidgetRequests(c echo.Context, _ *principal) error {
	st, err := s.requestStore()
	if err != nil {
		return err
	}
	var f dialer.WidgetRequestFilter
	if f.Widget, err = queryID[dialer.WidgetID](c, "widget_id"); err != nil {
		return err
	}
	if f.Status = c.QueryParam("status"); f.Status != "" && !slices.Contains(dialer.RequestStatuses, f.Status) {
		return fieldErr("status", "one of "+strings.Join(dialer.RequestStatuses, ", "))
	}
	if f.Q = c.QueryParam("q"); len(f.Q) > 100 {
		return fieldErr("q", "at most 100 bytes")
	}
	if f.From, f.To, err = timeRange(c); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c, dialer.DefaultRequestPage, dialer.MaxRequestPage); err != nil {
		return err
	}
	if f.Before, err = queryID[dialer.WidgetRequestID](c, "before"); err != nil {
		return err
	}
	rs, err := st.ListWidgetRequests(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := requestList{Requests: rs}
	if len(rs) == f.Limit {
		last := rs[len(rs)-1].ID
		out.NextBefore = &last
	}
	return c.JSON(http.StatusOK, out)
}

// timeRange reads from and to; to must follow from.
func timeRange(c echo.Context) (time.Time, time.Time, error) {
	from, err := queryTime(c, "from")
	if err != nil {
		return from, from, err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, fieldErr("to", "must be after from")
	}
	return from, to, nil
}

type requestDetail struct {
	dialer.WidgetRequest
	AttemptsLog []dialer.WidgetAttempt `json:"attempts_log"`
}

// MarshalJSON keeps the request's own encoding (null times) and adds
// the attempts.
func (d requestDetail) MarshalJSON() ([]byte, error) {
	b, err := d.WidgetRequest.MarshalJSON()
	if err != nil {
		return nil, err
	}
	log, err := json.Marshal(d.AttemptsLog)
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1], `,"attempts_log":`...), log...), '}'), nil
}

func (s *Server) getWidgetRequest(c echo.Context, _ *principal) error {
	st, err := s.requestStore()
	if err != nil {
		return err
	}
	id, err := pathID[dialer.WidgetRequestID](c, "id")
	if err != nil {
		return err
	}
	r, attempts, err := st.GetWidgetRequest(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, requestDetail{WidgetRequest: r, AttemptsLog: attempts})
}

func (s *Server) cancelWidgetRequest(c echo.Context, p *principal) error {
	lc, err := s.leadCalls()
	if err != nil {
		return err
	}
	id, err := pathID[dialer.WidgetRequestID](c, "id")
	if err != nil {
		return err
	}
	r, err := lc.Cancel(c.Request().Context(), id)
	if err != nil {
		if d := statusOf(err); d.Code == http.StatusConflict {
			return &httpError{code: http.StatusConflict, field: "status", msg: "only a scheduled request can be cancelled"}
		}
		return err
	}
	s.audit(c.Request().Context(), p, "widget_request.cancel", fmt.Sprintf("widget_request:%d", r.ID),
		map[string]any{"widget_id": r.WidgetID})
	return c.JSON(http.StatusOK, r)
}

func (s *Server) widgetDashboard(c echo.Context, _ *principal) error {
	st, err := s.requestStore()
	if err != nil {
		return err
	}
	w, err := queryID[dialer.WidgetID](c, "widget_id")
	if err != nil {
		return err
	}
	loc := time.UTC
	if tz := c.QueryParam("tz"); tz != "" {
		if tz == "Local" || !dialer.ValidTimeZone(tz) {
			return fieldErr("tz", "an IANA time zone such as Europe/Berlin")
		}
		if loc, err = time.LoadLocation(tz); err != nil {
			return fieldErr("tz", "an IANA time zone such as Europe/Berlin")
		}
	}
	from, to, err := timeRange(c)
	if err != nil {
		return err
	}
	// Default: the last 7 days of the zone, today included.
	if to.IsZero() {
		now := s.now().In(loc)
		to = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	}
	if from.IsZero() {
		t := to.In(loc)
		from = time.Date(t.Year(), t.Month(), t.Day()-7, 0, 0, 0, 0, loc)
		if !from.Before(to) {
			from = to.Add(-24 * time.Hour)
		}
	}
	if !to.After(from) {
		return fieldErr("from", "must be before to (default: the end of today)")
	}
	if to.Sub(from) > maxDashboardDays*24*time.Hour {
		return fieldErr("from", "at most 366 days before to")
	}
	facts, err := st.WidgetRequestFacts(c.Request().Context(), w, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dialer.SummarizeRequests(facts, from, to, loc))
}
