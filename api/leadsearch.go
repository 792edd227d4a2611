package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// leadFilter reads GET /leads' and GET /leads.csv's query.
func (s *Server) leadFilter(c echo.Context, def, max int) (dialer.LeadFilter, error) {
	var f dialer.LeadFilter
	var err error
	if f.Campaign, err = queryID[dialer.CampaignID](c, "campaign"); err != nil {
		return f, err
	}
	if f.AfterID, err = queryID[dialer.LeadID](c, "after"); err != nil {
		return f, err
	}
	if f.List, err = queryID[int64](c, "list"); err != nil {
		return f, err
	}
	if v := c.QueryParam("status"); v != "" {
		if f.Status = dialer.LeadStatus(v); !f.Status.Valid() {
			return f, fieldErr("status", "new, dialing, retry, callback, done, dnc or invalid")
		}
	}
	if v := c.QueryParam("last_outcome"); v != "" {
		if f.LastOutcome = dialer.CallOutcome(v); !f.LastOutcome.Valid() {
			return f, fieldErr("last_outcome", "not a call outcome")
		}
	}
	if v := c.QueryParam("min_attempts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return f, fieldErr("min_attempts", "an integer from 0 to 1000")
		}
		f.MinAttempts = n
	}
	f.Text = c.QueryParam("q")
	if err := checkText("q", f.Text, 128); err != nil {
		return f, err
	}
	f.Limit, err = queryLimit(c, def, max)
	return f, err
}

// listLeads pages the leads matching the filter, by id.
func (s *Server) listLeads(c echo.Context, _ *principal) error {
	f, err := s.leadFilter(c, 100, 1000)
	if err != nil {
		return err
	}
	leads, err := s.campaigns.ListLeads(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if leads == nil {
		leads = []dialer.Lead{}
	}
	resp := map[string]any{"leads": leads}
	if len(leads) == f.Limit {
		resp["next_after"] = leads[len(leads)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// leadCSVColumns is the header row of GET /leads.csv.
var leadCSVColumns = []string{
	"id", "campaign_id", "phone", "phone2", "first_name", "last_name", "email", "time_zone", "status",
	"attempts", "last_call_at", "next_call_at", "last_outcome", "last_disposition", "created_at",
}

// exportLeads streams the matching leads as CSV, a page at a time.
func (s *Server) exportLeads(c echo.Context, _ *principal) error {
	f, err := s.leadFilter(c, 1_000_000, 1_000_000)
	if err != nil {
		return err
	}
	return streamCSV(s, c, "leads.csv", leadCSVColumns, f.Limit, func(limit int, last *dialer.Lead) ([]dialer.Lead, error) {
		g := f
		g.Limit = limit
		if last != nil {
			g.AfterID = last.ID
		}
		return s.campaigns.ListLeads(c.Request().Context(), g)
	}, leadCSVRecord)
}

func leadCSVRecord(l dialer.Lead) []string {
	return []string{
		l.ID.String(), l.Campaign.String(), l.Phone, l.Phone2, csvText(l.FirstName), csvText(l.LastName),
		csvText(l.Email), l.TimeZone, string(l.Status), strconv.Itoa(l.Attempts), csvTime(l.LastCallAt),
		csvTime(l.NextCallAt), string(l.LastOutcome), csvText(l.LastDisposition), csvTime(l.CreatedAt),
	}
}

// bulkBody is POST /leads/bulk: an action on the leads a filter selects.
type bulkBody struct {
	Action string `json:"action"`
	ListID int64  `json:"list_id"`
	Filter struct {
		Campaign    int64  `json:"campaign"`
		List        int64  `json:"list"`
		Status      string `json:"status"`
		LastOutcome string `json:"last_outcome"`
		MinAttempts int    `json:"min_attempts"`
		Q           string `json:"q"`
	} `json:"filter"`
}

// bulkLeads resets, moves or deletes every lead of one campaign that the
// filter selects (never one being dialed), at once, and audits it.
func (s *Server) bulkLeads(c echo.Context, p *principal) error {
	st, err := s.importStore()
	if err != nil {
		return err
	}
	var body bulkBody
	if err := decode(c, &body); err != nil {
		return err
	}
	f := body.Filter
	b := dialer.LeadBulk{Action: dialer.LeadBulkAction(body.Action), List: body.ListID, Filter: dialer.LeadFilter{
		Campaign: dialer.CampaignID(f.Campaign), List: f.List, Status: dialer.LeadStatus(f.Status),
		LastOutcome: dialer.CallOutcome(f.LastOutcome), MinAttempts: f.MinAttempts, Text: f.Q,
	}}
	switch {
	case f.Status != "" && !b.Filter.Status.Valid():
		return fieldErr("filter.status", "new, dialing, retry, callback, done, dnc or invalid")
	case f.LastOutcome != "" && !b.Filter.LastOutcome.Valid():
		return fieldErr("filter.last_outcome", "not a call outcome")
	case f.MinAttempts < 0 || f.MinAttempts > 1000:
		return fieldErr("filter.min_attempts", "an integer from 0 to 1000")
	}
	if err := checkText("filter.q", f.Q, 128); err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := st.BulkLeads(ctx, b)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "lead.bulk_"+body.Action, "campaign:"+b.Filter.Campaign.String(), map[string]any{"leads": n, "filter": f, "list_id": body.ListID})
	return c.JSON(http.StatusOK, map[string]any{"action": body.Action, "leads": n})
}
