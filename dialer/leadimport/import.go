// Package leadimport reads a CSV file of leads as a stream, row by row,
// maps its columns onto lead fields, normalizes the numbers and hands
// each good row to a Sink (the store, which writes the import in batches
// kept out of sight until it commits); every other row is rejected with a
// reason and written to an error report.
package leadimport

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
)

// Reason is why a row was rejected.
type Reason string

const (
	MissingPhone        Reason = "missing_phone"
	BadNumber           Reason = "bad_number"
	DuplicateInFile     Reason = "duplicate_in_file"
	DuplicateInCampaign Reason = "duplicate_in_campaign"
	DNC                 Reason = "dnc"
	TooManyColumns      Reason = "too_many_columns"
	InvalidUTF8         Reason = "invalid_utf8"
	LineTooLong         Reason = "line_too_long"
	Malformed           Reason = "malformed_csv"
	BadField            Reason = "bad_field"
)

// DefaultMaxLine bounds one record (one line, or several for a quoted
// field with newlines).
const DefaultMaxLine = 64 << 10

// Targets a column may map to, besides "custom:<key>".
var targets = []string{"phone", "phone2", "first_name", "last_name", "email", "time_zone"}

// Mapping maps a CSV column name (as in the header) to a lead field:
// phone, phone2, first_name, last_name, email, time_zone or custom:<key>.
type Mapping map[string]string

// Config is what one import needs besides its input.
type Config struct {
	Campaign dialer.CampaignID
	Mapping  Mapping
	// Country (ISO 3166 alpha-2) reads numbers written without "+".
	Country string
	// MaxLine bounds one record in bytes; 0 is DefaultMaxLine.
	MaxLine int
}

// Dup says whether Insert found the number already in the campaign.
type Dup int

const (
	NoDup Dup = iota
	// DupInFile: an earlier row of this import has the number.
	DupInFile
	// DupInCampaign: a lead from before this import has it.
	DupInCampaign
)

// Sink receives the import's good rows; they are committed, or rolled
// back, together.
type Sink interface {
	// Blocked reports whether the number is on the do-not-call list,
	// everywhere or for the campaign.
	Blocked(ctx context.Context, phone string) (bool, error)
	// Insert adds the lead unless its number is already in the campaign.
	Insert(ctx context.Context, l dialer.Lead) (Dup, error)
}

// Report counts the rows of an import.
type Report struct {
	Read     int64            `json:"rows_read"`
	Imported int64            `json:"rows_imported"`
	Rejected int64            `json:"rows_rejected"`
	Reasons  map[Reason]int64 `json:"rejected_by_reason"`
}

// Progress is a running import's report, read by others as it grows.
type Progress struct {
	mu sync.Mutex
	r  Report
}

// Snapshot returns a copy of the counts so far.
func (p *Progress) Snapshot() Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.r
	r.Reasons = make(map[Reason]int64, len(p.r.Reasons))
	for k, v := range p.r.Reasons {
		r.Reasons[k] = v
	}
	return r
}

func (p *Progress) count(reason Reason) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.r.Read++
	if reason == "" {
		p.r.Imported++
		return
	}
	p.r.Rejected++
	if p.r.Reasons == nil {
		p.r.Reasons = map[Reason]int64{}
	}
	p.r.Reasons[reason]++
}

// column is where one CSV column goes.
type column struct {
	target string // a target, or "" for custom
	custom string
}

// plan is the checked mapping: the CSV column index of each field.
type plan struct {
	header []string
	cols   []column // by CSV column; target "-" is unmapped
	phone  int
}

// compile checks the header against the mapping; each error names the
// mapping entry (mapping.<column>) at fault.
func compile(header []string, m Mapping) (plan, error) {
	p := plan{header: slices.Clone(header), cols: make([]column, len(header)), phone: -1}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		p.header[i] = h
		if _, dup := index[h]; dup && h != "" {
			if _, used := m[h]; used {
				return plan{}, &dialer.FieldError{Field: "mapping." + h, Reason: "the header has two columns of that name"}
			}
		}
		index[h] = i
		p.cols[i] = column{target: "-"}
	}
	if len(m) == 0 {
		return plan{}, &dialer.FieldError{Field: "mapping", Reason: "required: CSV column name to lead field"}
	}
	seen := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		t := m[name]
		field := "mapping." + name
		i, ok := index[name]
		if !ok {
			return plan{}, &dialer.FieldError{Field: field, Reason: "no such column in the file's header"}
		}
		c := column{target: t}
		if key, ok := strings.CutPrefix(t, "custom:"); ok {
			if !dialer.ValidFieldName(key) {
				return plan{}, &dialer.FieldError{Field: field, Reason: "custom:<key>, the key 1-32 of [A-Za-z0-9_]"}
			}
			c = column{custom: key}
		} else if !slices.Contains(targets, t) {
			return plan{}, &dialer.FieldError{Field: field, Reason: "one of " + strings.Join(targets, ", ") + " or custom:<key>"}
		}
		if other, dup := seen[t]; dup {
			return plan{}, &dialer.FieldError{Field: field, Reason: fmt.Sprintf("%s is already mapped from %q", t, other)}
		}
		seen[t] = name
		p.cols[i] = c
		if t == "phone" {
			p.phone = i
		}
	}
	if p.phone < 0 {
		return plan{}, &dialer.FieldError{Field: "mapping", Reason: "no column is mapped to phone"}
	}
	return p, nil
}

// lead maps one record's fields, or says why it cannot.
func (p plan) lead(fields []string, cfg Config) (dialer.Lead, Reason, string) {
	if len(fields) > len(p.cols) {
		return dialer.Lead{}, TooManyColumns, fmt.Sprintf("%d columns, the header has %d", len(fields), len(p.cols))
	}
	l := dialer.Lead{Campaign: cfg.Campaign, Status: dialer.LeadNew}
	var raw1, raw2 string
	for i, v := range fields {
		c := p.cols[i]
		v = strings.TrimSpace(v)
		switch c.target {
		case "-":
		case "phone":
			raw1 = v
		case "phone2":
			raw2 = v
		case "first_name":
			l.FirstName = v
		case "last_name":
			l.LastName = v
		case "email":
			l.Email = v
		case "time_zone":
			l.TimeZone = v
		case "":
			if v != "" {
				if l.Custom == nil {
					l.Custom = map[string]string{}
				}
				l.Custom[c.custom] = v
			}
		}
	}
	if raw1 == "" {
		return dialer.Lead{}, MissingPhone, "the phone column is empty"
	}
	var err error
	if l.Phone, err = phone.Normalize("phone", raw1, cfg.Country); err != nil {
		return dialer.Lead{}, BadNumber, err.Error()
	}
	if l.Phone2, err = phone.NormalizeOptional("phone2", raw2, cfg.Country); err != nil {
		return dialer.Lead{}, BadNumber, err.Error()
	}
	if l.TimeZone == "" {
		l.TimeZone = zoneOf(l.Phone)
	}
	if err := l.Validate(); err != nil {
		return dialer.Lead{}, BadField, err.Error()
	}
	return l, "", ""
}

// zoneOf is the first zone libphonenumber places the number in, "" when
// it does not know.
func zoneOf(e164 string) string {
	// GetTimezonesForNumber formats the number as E.164 and looks up this
	// prefix: given the E.164 form, a second parse is saved.
	zones, err := phonenumbers.GetTimezonesForPrefix(e164)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE || !dialer.ValidTimeZone(zones[0]) {
		return ""
	}
	return zones[0]
}

// Run imports r: a header row, then leads. It returns a *dialer.FieldError
// before any row when the header does not fit the mapping, ctx's error when
// cancelled, and the sink's or the input's error as it comes; the caller
// then rolls the import back. Rejected rows go to rejects as CSV
// (line, reason, detail, then the row's fields) when it is not nil.
func Run(ctx context.Context, r io.Reader, cfg Config, sink Sink, prog *Progress, rejects io.Writer) (Report, error) {
	if prog == nil {
		prog = &Progress{}
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.Country != "" && !phone.ValidCountry(cfg.Country) {
		return Report{}, &dialer.FieldError{Field: "country", Reason: "an ISO 3166 region code such as US"}
	}
	rd := newReader(r, cfg.MaxLine)
	head, err := rd.next()
	switch {
	case errors.Is(err, io.EOF):
		return Report{}, &dialer.FieldError{Field: "file", Reason: "empty: a header row is required"}
	case err != nil:
		return Report{}, err
	case head.reason != "":
		return Report{}, &dialer.FieldError{Field: "header", Reason: head.detail}
	}
	p, err := compile(head.fields, cfg.Mapping)
	if err != nil {
		return Report{}, err
	}
	var w *csv.Writer
	if rejects != nil {
		w = csv.NewWriter(rejects)
		if err := w.Write(append([]string{"line", "reason", "detail"}, p.header...)); err != nil {
			return Report{}, err
		}
	}
	out := make([]string, 0, 3+len(p.header))
	reject := func(rec record, reason Reason, detail string) error {
		prog.count(reason)
		if w == nil {
			return nil
		}
		out = append(out[:0], strconv.FormatInt(rec.line, 10), string(reason), detail)
		switch {
		case rec.fields != nil:
			out = append(out, rec.fields...)
		case rec.raw != nil:
			out = append(out, strings.ToValidUTF8(strings.TrimRight(string(rec.raw), "\r\n"), "\uFFFD"))
		}
		return w.Write(out)
	}
	for {
		if err := ctx.Err(); err != nil {
			return prog.Snapshot(), err
		}
		rec, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return prog.Snapshot(), err
		}
		if rec.reason != "" {
			if err := reject(rec, rec.reason, rec.detail); err != nil {
				return prog.Snapshot(), err
			}
			continue
		}
		l, reason, detail := p.lead(rec.fields, cfg)
		if reason == "" {
			reason, detail, err = store(ctx, sink, l)
			if err != nil {
				return prog.Snapshot(), err
			}
		}
		if reason != "" {
			if err := reject(rec, reason, detail); err != nil {
				return prog.Snapshot(), err
			}
			continue
		}
		prog.count("")
	}
	if w != nil {
		w.Flush()
		if err := w.Error(); err != nil {
			return prog.Snapshot(), err
		}
	}
	return prog.Snapshot(), nil
}

// store checks the lead's numbers against DNC and inserts it.
func store(ctx context.Context, sink Sink, l dialer.Lead) (Reason, string, error) {
	for _, n := range []string{l.Phone, l.Phone2} {
		if n == "" {
			continue
		}
		blocked, err := sink.Blocked(ctx, n)
		if err != nil {
			return "", "", err
		}
		if blocked {
			return DNC, n + " is on the do-not-call list", nil
		}
	}
	dup, err := sink.Insert(ctx, l)
	switch {
	case err != nil:
		return "", "", err
	case dup == DupInFile:
		return DuplicateInFile, l.Phone + " is on an earlier row", nil
	case dup == DupInCampaign:
		return DuplicateInCampaign, l.Phone + " is already a lead of the campaign", nil
	}
	return "", "", nil
}
