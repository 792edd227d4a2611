package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// StatsStore computes campaign figures; *sqlitestore.Store provides it.
type StatsStore interface {
	// CampaignCallStats counts the calls created in [from, now], per from.
	CampaignCallStats(ctx context.Context, campaign dialer.CampaignID, now time.Time, froms ...time.Time) ([]dialer.CallStats, error)
	LeadStatusCounts(ctx context.Context, campaign dialer.CampaignID) (map[dialer.LeadStatus]int, int, error)
	// CountDialable counts the leads the hopper's query would give now.
	CountDialable(ctx context.Context, campaign dialer.CampaignID, now time.Time) (int, error)
}

// campaignStats is GET /campaigns/{id}/stats.
type campaignStats struct {
	Campaign dialer.CampaignID `json:"campaign_id"`
	At       time.Time         `json:"at"`
	// TimeZone is where "today" starts at midnight: the service's
	// default zone, or UTC.
	TimeZone string                    `json:"time_zone"`
	Today    dialer.CallStats          `json:"today"`
	Last24h  dialer.CallStats          `json:"last_24h"`
	Last30d  dialer.CallStats          `json:"last_30d"`
	Leads    map[dialer.LeadStatus]int `json:"leads"`
	// LeadsTotal counts every lead of the campaign.
	LeadsTotal int `json:"leads_total"`
	// DialableNow counts the leads the dialer may take now, before each
	// lead's calling window (which depends on its local time).
	DialableNow int `json:"dialable_now"`
}

// statsZone is the zone whose midnight starts "today".
func (s *Server) statsZone() *time.Location {
	if s.opts.DefaultTimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(s.opts.DefaultTimeZone)
	if err != nil {
		// New has checked the zone; a system without its data counts in UTC.
		return time.UTC
	}
	return loc
}

// statsWindows are the starts of today (local midnight), the last 24
// hours and the last 30 days (30 x 24 h) before now.
func statsWindows(now time.Time, loc *time.Location) (today, day, month time.Time) {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), now.Add(-24 * time.Hour), now.Add(-30 * 24 * time.Hour)
}

func (s *Server) getCampaignStats(c echo.Context, _ *principal) error {
	if s.opts.Stats == nil {
		return newHTTPError(http.StatusServiceUnavailable, "not configured: campaign statistics store")
	}
	id, err := pathID[dialer.CampaignID](c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.campaigns.Campaign(ctx, id); err != nil {
		return err
	}
	loc := s.statsZone()
	now := s.now().In(loc)
	today, day, month := statsWindows(now, loc)
	calls, err := s.opts.Stats.CampaignCallStats(ctx, id, now, today, day, month)
	if err != nil {
		return err
	}
	out := campaignStats{Campaign: id, At: now, TimeZone: loc.String(), Today: calls[0], Last24h: calls[1], Last30d: calls[2]}
	if out.Leads, out.LeadsTotal, err = s.opts.Stats.LeadStatusCounts(ctx, id); err != nil {
		return err
	}
	if out.DialableNow, err = s.opts.Stats.CountDialable(ctx, id, now); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getCampaignPacing(c echo.Context, _ *principal) error {
	id, err := pathID[dialer.CampaignID](c, "id")
	if err != nil {
		return err
	}
	v, err := s.engine.CampaignPacing(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
