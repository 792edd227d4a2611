package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

const (
	// maxDNCImport bounds a do-not-call CSV: about four million numbers.
	maxDNCImport = 64 << 20
	// dncBatch numbers go in per transaction while an import streams.
	dncBatch = 500
	// maxImportErrors rows are reported one by one; the rest are counted.
	maxImportErrors = 100
)

func (s *Server) dncStore() (dialer.DNCStore, error) {
	st, ok := s.campaigns.(dialer.DNCStore)
	if !ok {
		return nil, newHTTPError(http.StatusServiceUnavailable, "not configured: do-not-call store")
	}
	return st, nil
}

// dncList reads campaign_id and checks the caller may manage that list:
// a supervisor a campaign's, only an admin the system-wide one (0).
func (s *Server) dncList(c echo.Context, p *principal, id dialer.CampaignID) (dialer.CampaignID, error) {
	if id == 0 {
		if !p.Actor.Role.AtLeast(identity.RoleAdmin) {
			return 0, newHTTPError(http.StatusForbidden, "the system-wide do-not-call list needs the admin role; give campaign_id for a campaign's list")
		}
		return 0, nil
	}
	if _, err := s.campaigns.Campaign(c.Request().Context(), id); errors.Is(err, dialer.ErrNotFound) {
		return 0, fieldErr("campaign_id", "no such campaign")
	} else if err != nil {
		return 0, err
	}
	return id, nil
}

func (s *Server) dncQueryList(c echo.Context, p *principal) (dialer.CampaignID, error) {
	id, err := queryID[dialer.CampaignID](c, "campaign_id")
	if err != nil {
		return 0, err
	}
	return s.dncList(c, p, id)
}

// dncPhone is the store and the number in the path: "+1415..." or
// "%2B1415...", or national digits read with the service's country.
func (s *Server) dncPhone(c echo.Context) (dialer.DNCStore, string, error) {
	st, err := s.dncStore()
	if err != nil {
		return nil, "", err
	}
	raw, err := url.PathUnescape(c.Param("phone"))
	if err != nil {
		return nil, "", fieldErr("phone", "not a valid path segment")
	}
	number, err := phone.Normalize("phone", raw, s.opts.DefaultCountry)
	return st, number, err
}

type dncPage struct {
	Entries []dialer.DNCEntry `json:"entries"`
	// NextAfter is the after= of the next page; 0 on the last.
	NextAfter int64 `json:"next_after,omitempty"`
}

func (s *Server) listDNC(c echo.Context, p *principal) error {
	st, err := s.dncStore()
	if err != nil {
		return err
	}
	f := dialer.DNCFilter{Query: c.QueryParam("q")}
	if f.Campaign, err = s.dncQueryList(c, p); err != nil {
		return err
	}
	if err := checkText("q", f.Query, 64); err != nil {
		return err
	}
	after, err := queryID[dialer.CampaignID](c, "after")
	if err != nil {
		return err
	}
	f.After = int64(after)
	if f.Limit, err = queryLimit(c, 100, 1000); err != nil {
		return err
	}
	list, err := st.ListDNC(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := dncPage{Entries: list}
	if out.Entries == nil {
		out.Entries = []dialer.DNCEntry{}
	}
	if len(list) == f.Limit {
		out.NextAfter = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

type dncBody struct {
	Phone      string            `json:"phone"`
	CampaignID dialer.CampaignID `json:"campaign_id"`
	Reason     string            `json:"reason"`
}

func (s *Server) addDNCEntry(c echo.Context, p *principal) error {
	st, err := s.dncStore()
	if err != nil {
		return err
	}
	var b dncBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.CampaignID < 0 {
		return fieldErr("campaign_id", "must be a campaign id, or 0 for the system-wide list")
	}
	camp, err := s.dncList(c, p, b.CampaignID)
	if err != nil {
		return err
	}
	number, err := phone.Normalize("phone", b.Phone, s.opts.DefaultCountry)
	if err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, 256); err != nil {
		return err
	}
	ctx := c.Request().Context()
	added, err := st.AddDNCNumbers(ctx, []string{number}, camp, b.Reason, s.now())
	if err != nil {
		return err
	}
	hits, err := st.DNCHits(ctx, number, camp)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if added > 0 {
		code = http.StatusCreated
		s.audit(ctx, p, "dnc.add", dncTarget(camp), map[string]any{"phone": number, "reason": b.Reason})
	}
	for _, h := range hits {
		if h.Campaign == camp {
			return c.JSON(code, h)
		}
	}
	return errors.New("the entry just added is missing")
}

type dncLookup struct {
	Phone string `json:"phone"`
	// Blocked: for campaign_id, whether a call to it is refused; without
	// it, whether any list holds it.
	Blocked bool              `json:"blocked"`
	Entries []dialer.DNCEntry `json:"entries"`
}

func (s *Server) lookupDNC(c echo.Context, p *principal) error {
	st, number, err := s.dncPhone(c)
	if err != nil {
		return err
	}
	camp, err := queryID[dialer.CampaignID](c, "campaign_id")
	if err != nil {
		return err
	}
	if camp != 0 {
		if _, err := s.dncList(c, p, camp); err != nil {
			return err
		}
	}
	hits, err := st.DNCHits(c.Request().Context(), number, camp)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []dialer.DNCEntry{}
	}
	return c.JSON(http.StatusOK, dncLookup{Phone: number, Blocked: len(hits) > 0, Entries: hits})
}

func (s *Server) removeDNC(c echo.Context, p *principal) error {
	st, number, err := s.dncPhone(c)
	if err != nil {
		return err
	}
	camp, err := s.dncQueryList(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.RemoveDNC(ctx, number, camp); err != nil {
		return err
	}
	s.audit(ctx, p, "dnc.remove", dncTarget(camp), map[string]any{"phone": number})
	return c.NoContent(http.StatusNoContent)
}

// DNCImportReport is what an import did, row by row for the refused.
type DNCImportReport struct {
	Rows      int              `json:"rows"`
	Added     int              `json:"added"`
	Duplicate int              `json:"duplicate"`
	Invalid   int              `json:"invalid"`
	Errors    []DNCImportError `json:"errors"`
}

// DNCImportError is one refused row, by its line in the file.
type DNCImportError struct {
	Row    int    `json:"row"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (r *DNCImportReport) refuse(row int, value, reason string) {
	r.Invalid++
	if len(r.Errors) < maxImportErrors {
		r.Errors = append(r.Errors, DNCImportError{Row: row, Value: cut(value, maxQuoted), Reason: reason})
	}
}

// importDNC streams a CSV into one list: one number per row, or a
// "phone" column named in a header row. Numbers are normalized with the
// service's country and written in batches as they are read.
func (s *Server) importDNC(c echo.Context, p *principal) error {
	st, err := s.dncStore()
	if err != nil {
		return err
	}
	camp, err := s.dncQueryList(c, p)
	if err != nil {
		return err
	}
	reason := c.QueryParam("reason")
	if reason == "" {
		reason = "import"
	}
	if err := checkText("reason", reason, 256); err != nil {
		return err
	}
	switch ct, _, _ := strings.Cut(c.Request().Header.Get(echo.HeaderContentType), ";"); strings.TrimSpace(ct) {
	case "", "text/csv", "application/csv", "text/plain":
	default:
		return &httpError{code: http.StatusUnsupportedMediaType, msg: "send text/csv", field: "body"}
	}
	ctx := c.Request().Context()
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxDNCImport)
	rd := csv.NewReader(body)
	rd.FieldsPerRecord = -1
	rd.ReuseRecord = true
	rep := DNCImportReport{Errors: []DNCImportError{}}
	col := 0
	batch := make([]string, 0, dncBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := st.AddDNCNumbers(ctx, batch, camp, reason, s.now())
		rep.Added += n
		rep.Duplicate += len(batch) - n
		batch = batch[:0]
		return err
	}
	for first := true; ; first = false {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return &httpError{code: http.StatusRequestEntityTooLarge, msg: "CSV larger than 64 MiB: split it", field: "body"}
		case errors.Is(err, os.ErrDeadlineExceeded):
			return &httpError{code: http.StatusRequestTimeout, msg: "request body not received in time", field: "body"}
		case errors.As(err, &pe):
			rep.Rows++
			rep.refuse(pe.StartLine, "", "not CSV: "+pe.Err.Error())
			continue
		case err != nil:
			return fieldErr("body", "could not be read")
		}
		// Rows are reported by line in the file (blank lines are skipped).
		row, _ := rd.FieldPos(0)
		if first {
			if i := headerColumn(rec, "phone"); i >= 0 {
				col = i
				continue
			}
			if len(rec) > 0 && !strings.ContainsAny(rec[0], "0123456789") {
				continue // a header without a phone column: the first is read
			}
		}
		rep.Rows++
		if col >= len(rec) || strings.TrimSpace(rec[col]) == "" {
			rep.refuse(row, "", "no number")
			continue
		}
		number, err := phone.Normalize("phone", strings.TrimSpace(rec[col]), s.opts.DefaultCountry)
		if err != nil {
			var fe *phone.FieldError
			msg := err.Error()
			if errors.As(err, &fe) {
				msg = fe.Reason
			}
			rep.refuse(row, rec[col], msg)
			continue
		}
		if batch = append(batch, number); len(batch) == dncBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	s.audit(ctx, p, "dnc.import", dncTarget(camp), map[string]any{"rows": rep.Rows, "added": rep.Added, "invalid": rep.Invalid, "reason": reason})
	return c.JSON(http.StatusOK, rep)
}

// dncTarget names a do-not-call list in the audit log.
func dncTarget(camp dialer.CampaignID) string {
	if camp == 0 {
		return "dnc:system"
	}
	return "dnc:campaign:" + camp.String()
}

func headerColumn(rec []string, name string) int {
	for i, f := range rec {
		if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")), name) {
			return i
		}
	}
	return -1
}

// leadDialability explains whether the lead can be dialed now, and when.
func (s *Server) leadDialability(c echo.Context, p *principal) error {
	l, err := s.leadParam(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	camp, err := s.campaigns.Campaign(ctx, l.Campaign)
	if err != nil {
		return err
	}
	st, err := s.dncStore()
	if err != nil {
		return err
	}
	hits, err := st.DNCHits(ctx, l.Phone, l.Campaign)
	if err != nil {
		return err
	}
	var held []string
	if ist, err := s.importStore(); err == nil {
		list, err := ist.LeadListOf(ctx, l.ID)
		switch {
		case err == nil && !list.Active:
			held = append(held, fmt.Sprintf("list %q is switched off", list.Name))
		case err != nil && !errors.Is(err, dialer.ErrNotFound):
			return err
		}
	}
	return c.JSON(http.StatusOK, dialer.Explain(l, camp, hits, s.now(), held...))
}
