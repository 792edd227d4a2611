package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// ReportStore computes the reports; *sqlitestore.Store provides it.
type ReportStore interface {
	AgentReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.AgentReport, error)
	CampaignReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.CampaignReport, error)
	QueueReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.QueueReport, error)
	HangupReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.HangupCount, error)
}

const (
	// maxReportDays bounds a report's range, so one request cannot make
	// the store read years of calls.
	maxReportDays = 92
	// maxHourlyDays bounds a report by hour (24 rows a day).
	maxHourlyDays = 7
	dateLayout    = "2006-01-02"
)

// reportFilter reads a report's selection: from and to (dates, both
// included) in tz (IANA; the service's zone when absent), and the
// campaign, queue and agent filters.
func (s *Server) reportFilter(c echo.Context) (dialer.ReportFilter, error) {
	var f dialer.ReportFilter
	f.Loc = s.statsZone()
	if tz := c.QueryParam("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return f, fieldErr("tz", "must be an IANA time zone such as Europe/Paris")
		}
		f.Loc = loc
	}
	date := func(name string) (time.Time, error) {
		v := c.QueryParam(name)
		if v == "" {
			return time.Time{}, fieldErr(name, "required: a date such as 2026-11-24")
		}
		d, err := time.ParseInLocation(dateLayout, v, f.Loc)
		if err != nil {
			return time.Time{}, fieldErr(name, "must be a date such as 2026-11-24")
		}
		return d, nil
	}
	from, err := date("from")
	if err != nil {
		return f, err
	}
	to, err := date("to")
	if err != nil {
		return f, err
	}
	switch c.QueryParam("interval") {
	case "", "day":
	case "hour":
		f.Hourly = true
	default:
		return f, fieldErr("interval", "day or hour")
	}
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	switch {
	case to.Before(from):
		return f, fieldErr("to", "must not be before from")
	case days > maxReportDays:
		return f, fieldErr("to", fmt.Sprintf("at most %d days after from", maxReportDays-1))
	case f.Hourly && days > maxHourlyDays:
		return f, fieldErr("interval", fmt.Sprintf("by hour covers at most %d days", maxHourlyDays))
	}
	f.From, f.To = from, to.AddDate(0, 0, 1)
	if f.Campaign, err = queryID[dialer.CampaignID](c, "campaign"); err != nil {
		return f, err
	}
	if f.Queue, err = queryID[dialer.QueueID](c, "queue"); err != nil {
		return f, err
	}
	if f.Agent, err = queryID[dialer.AgentID](c, "agent"); err != nil {
		return f, err
	}
	if f.Team, err = queryID[dialer.TeamID](c, "team"); err != nil {
		return f, err
	}
	return f, nil
}

// wantsCSV: the route ends in .csv, or format=csv.
func wantsCSV(c echo.Context) (bool, error) {
	switch c.QueryParam("format") {
	case "", "json":
		return strings.HasSuffix(c.Path(), ".csv"), nil
	case "csv":
		return true, nil
	}
	return false, fieldErr("format", "json or csv")
}

// report answers one report: key names its rows in JSON; header and
// rows make its CSV.
func report[T any](s *Server, name string, run func(ReportStore, context.Context, dialer.ReportFilter) ([]T, error),
	header []string, rows func(dialer.ReportFilter, T) [][]string) handler {
	return func(c echo.Context, _ *principal) error {
		if s.opts.Reports == nil {
			return newHTTPError(http.StatusServiceUnavailable, "not configured: report store")
		}
		f, err := s.reportFilter(c)
		if err != nil {
			return err
		}
		asCSV, err := wantsCSV(c)
		if err != nil {
			return err
		}
		out, err := run(s.opts.Reports, c.Request().Context(), f)
		if err != nil {
			return err
		}
		if !asCSV {
			if out == nil {
				out = []T{}
			}
			return c.JSON(http.StatusOK, map[string]any{
				"from": f.From, "to": f.To, "time_zone": f.Loc.String(), name: out,
			})
		}
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`,
			name, f.From.Format(dateLayout), f.To.AddDate(0, 0, -1).Format(dateLayout)))
		c.Response().WriteHeader(http.StatusOK)
		w := csv.NewWriter(c.Response())
		_ = w.Write(header)
		for _, r := range out {
			for _, row := range rows(f, r) {
				for i := range row {
					row[i] = csvText(row[i])
				}
				_ = w.Write(row)
			}
		}
		w.Flush()
		return nil
	}
}

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// pairs writes a count per code as "A=1;B=2", codes in order.
func pairs[T int | int64](m map[string]T) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k + "=" + itoa(m[k]))
	}
	return b.String()
}

func (s *Server) agentReport() handler {
	return report(s, "agents", ReportStore.AgentReport,
		[]string{"agent_id", "name", "calls", "talk_sec", "hold_sec", "wrapup_sec", "ready_sec", "pause_sec",
			"logged_in_sec", "occupancy", "pause_by_code", "dispositions"},
		func(_ dialer.ReportFilter, a dialer.AgentReport) [][]string {
			return [][]string{{itoa(a.Agent), a.Name, itoa(a.Calls), itoa(a.TalkSec), itoa(a.HoldSec), itoa(a.WrapupSec),
				itoa(a.ReadySec), itoa(a.PauseSec), itoa(a.LoggedInSec), ftoa(a.Occupancy), pairs(a.PauseByCode), pairs(a.Dispositions)}}
		})
}

func (s *Server) campaignReport() handler {
	return report(s, "campaigns", ReportStore.CampaignReport,
		[]string{"campaign_id", "name", "day", "attempts", "contacts", "abandoned", "abandon_rate", "dispositions"},
		func(f dialer.ReportFilter, r dialer.CampaignReport) [][]string {
			out := make([][]string, 0, len(r.Days))
			for _, d := range r.Days {
				out = append(out, []string{itoa(r.Campaign), r.Name, d.Start.In(f.Loc).Format(dateLayout), itoa(d.Attempts),
					itoa(d.Contacts), itoa(d.Abandoned), ftoa(d.AbandonRate), pairs(d.Conversions)})
			}
			return out
		})
}

func (s *Server) queueReport() handler {
	return report(s, "queues", ReportStore.QueueReport,
		[]string{"queue_id", "name", "start", "offered", "answered", "in_service", "service_level", "abandoned",
			"avg_wait_sec", "max_wait_sec"},
		func(f dialer.ReportFilter, r dialer.QueueReport) [][]string {
			layout := dateLayout
			if f.Hourly {
				layout = "2006-01-02 15:04"
			}
			out := make([][]string, 0, len(r.Periods))
			for _, p := range r.Periods {
				out = append(out, []string{itoa(r.Queue), r.Name, p.Start.In(f.Loc).Format(layout), itoa(p.Offered),
					itoa(p.Answered), itoa(p.InService), ftoa(p.ServiceLevel), itoa(p.Abandoned), ftoa(p.AvgWaitSec), itoa(p.MaxWaitSec)})
			}
			return out
		})
}

func (s *Server) hangupReport() handler {
	return report(s, "hangups", ReportStore.HangupReport, []string{"cause", "direction", "calls"},
		func(_ dialer.ReportFilter, h dialer.HangupCount) [][]string {
			return [][]string{{h.Cause, string(h.Direction), itoa(h.Calls)}}
		})
}
