package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
	"github.com/agentswitch/agentswitch/dialer/phone"
)

// ImportStore keeps lead lists and runs imports; *sqlitestore.Store
// provides it.
type ImportStore interface {
	CreateLeadList(ctx context.Context, l leadimport.List) (leadimport.List, error)
	LeadList(ctx context.Context, id leadimport.ListID) (leadimport.List, error)
	LeadLists(ctx context.Context, campaign dialer.CampaignID) ([]leadimport.List, error)
	LeadListSummary(ctx context.Context, id leadimport.ListID) (leadimport.ListSummary, error)
	// LeadListOf is the lead's list; ErrNotFound when it has none.
	LeadListOf(ctx context.Context, lead dialer.LeadID) (leadimport.List, error)
	UpdateLeadList(ctx context.Context, id leadimport.ListID, p leadimport.ListPatch) (leadimport.List, error)
	// DeleteLeadList deletes the list's leads never called and keeps the
	// others without a list; ErrConflict while an import into it runs.
	DeleteLeadList(ctx context.Context, id leadimport.ListID) (leadimport.Removal, error)
	StartImport(ctx context.Context, list leadimport.ListID, fileName string) (leadimport.Import, error)
	FinishImport(ctx context.Context, im leadimport.Import) (leadimport.Import, error)
	Import(ctx context.Context, id leadimport.ID) (leadimport.Import, error)
	// ImportLeads writes an import's leads, commits the import when fn
	// returns nil and otherwise deletes its leads and returns the error.
	ImportLeads(ctx context.Context, im leadimport.Import, fn func(leadimport.Sink) (leadimport.Report, error)) (leadimport.Import, error)
	// BulkLeads resets, moves or deletes the leads a filter selects.
	BulkLeads(ctx context.Context, b dialer.LeadBulk) (int, error)
}

// maxImportBody bounds an uploaded lead file, instead of the 1 MiB of
// the JSON routes.
const maxImportBody = 1 << 30

var errNoImports = newHTTPError(http.StatusServiceUnavailable, "not configured: lead import store")

func (s *Server) importStore() (ImportStore, error) {
	if s.opts.Imports == nil {
		return nil, errNoImports
	}
	return s.opts.Imports, nil
}

// runningImports holds the imports under way: their progress, read by
// GET /imports/{id} while the import's own request streams the file, and
// how to stop them.
type runningImports struct {
	mu sync.Mutex
	by map[leadimport.ID]runningImport
}

type runningImport struct {
	prog   *leadimport.Progress
	cancel context.CancelFunc
}

func (r *runningImports) add(id leadimport.ID, p *leadimport.Progress, cancel context.CancelFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[leadimport.ID]runningImport{}
	}
	r.by[id] = runningImport{prog: p, cancel: cancel}
}

func (r *runningImports) remove(id leadimport.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, id)
}

func (r *runningImports) get(id leadimport.ID) *leadimport.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.by[id].prog
}

// cancel stops the import if it runs here; false if it does not.
func (r *runningImports) cancel(id leadimport.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, ok := r.by[id]
	if ok {
		run.cancel()
	}
	return ok
}

type createListBody struct {
	Name string `json:"name"`
}

func (s *Server) createLeadList(c echo.Context, p *principal) error {
	st, cp, err := s.campaignLists(c)
	if err != nil {
		return err
	}
	var b createListBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := checkText("name", strings.TrimSpace(b.Name), 128); err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := st.CreateLeadList(ctx, leadimport.List{Campaign: cp.ID, Name: b.Name})
	if err != nil {
		return err
	}
	s.audit(ctx, p, "list.create", listTarget(l.ID), map[string]any{"name": l.Name, "campaign": l.Campaign})
	return c.JSON(http.StatusCreated, l)
}

func (s *Server) listLeadLists(c echo.Context, _ *principal) error {
	st, cp, err := s.campaignLists(c)
	if err != nil {
		return err
	}
	ls, err := st.LeadLists(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ls)
}

// campaignLists is the store and the path's campaign of the list routes.
func (s *Server) campaignLists(c echo.Context) (ImportStore, dialer.Campaign, error) {
	st, err := s.importStore()
	if err != nil {
		return nil, dialer.Campaign{}, err
	}
	id, err := pathID[dialer.CampaignID](c, "id")
	if err != nil {
		return nil, dialer.Campaign{}, err
	}
	cp, err := s.campaigns.Campaign(c.Request().Context(), id)
	return st, cp, err
}

// importMapping reads the mapping query parameter: a JSON object of CSV
// column name to lead field.
func importMapping(c echo.Context) (leadimport.Mapping, error) {
	raw := c.QueryParam("mapping")
	if raw == "" {
		return nil, fieldErr("mapping", `required: a JSON object such as {"Phone":"phone","First":"first_name"}`)
	}
	var m leadimport.Mapping
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, fieldErr("mapping", `a JSON object of column name to field, such as {"Phone":"phone"}`)
	}
	return m, nil
}

// campaignCountry is the country numbers without "+" are read in: the
// campaign's settings.country, else the service's default.
func (s *Server) campaignCountry(cp dialer.Campaign) (string, error) {
	var set struct {
		Country string `json:"country"`
	}
	if len(cp.Settings) > 0 {
		_ = json.Unmarshal(cp.Settings, &set)
	}
	if set.Country == "" {
		return s.opts.DefaultCountry, nil
	}
	if !phone.ValidCountry(set.Country) {
		return "", fieldErr("settings.country", "an ISO 3166 region code such as US")
	}
	return set.Country, nil
}

// importBody finds the file in the request: the part named "file" of a
// multipart form, or the whole body sent as text/csv.
func importBody(c echo.Context, body io.Reader) (io.Reader, string, error) {
	r := c.Request()
	ct, params, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	switch ct {
	case "text/csv", "text/plain", "application/octet-stream":
		return body, c.QueryParam("file_name"), nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, "", fieldErr("body", "a multipart form with a file part")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, "", fieldErr("file", "required: the form part named file")
			}
			if part.FormName() == "file" {
				return part, filepath.Base(part.FileName()), nil
			}
		}
	}
	return nil, "", &httpError{code: http.StatusUnsupportedMediaType, msg: "send text/csv or multipart/form-data", field: "body"}
}

// errorsPath is where an import's rejected rows are kept.
func (s *Server) errorsPath(id leadimport.ID) string {
	dir := s.opts.ImportDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "agentswitch-imports")
	}
	return filepath.Join(dir, fmt.Sprintf("import-%d-errors.csv", id))
}

// importList streams the request body into an import and answers with
// the import's record when it has committed or rolled back.
// A client that goes away cancels the import: nothing of it stays.
func (s *Server) importList(c echo.Context, _ *principal) error {
	st, err := s.importStore()
	if err != nil {
		return err
	}
	id, err := pathID[leadimport.ListID](c, "id")
	if err != nil {
		return err
	}
	// POST /imports/{id}/cancel stops the import through this context: a
	// client gone away is not seen while the file it sent is still being
	// read from the socket's buffers.
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	list, err := st.LeadList(ctx, id)
	if err != nil {
		return err
	}
	cp, err := s.campaigns.Campaign(ctx, list.Campaign)
	if err != nil {
		return err
	}
	country, err := s.campaignCountry(cp)
	if err != nil {
		return err
	}
	mapping, err := importMapping(c)
	if err != nil {
		return err
	}
	body := &slidingDeadline{r: http.MaxBytesReader(c.Response(), c.Request().Body, maxImportBody),
		rc: http.NewResponseController(c.Response()), idle: s.opts.BodyTimeout}
	file, name, err := importBody(c, body)
	if err != nil {
		return err
	}
	im, err := st.StartImport(ctx, list.ID, name)
	if err != nil {
		return err
	}
	path := s.errorsPath(im.ID)
	rejects, err := createFile(path)
	if err != nil {
		_, err = s.endImport(ctx, st, im, leadimport.Report{}, err)
		return err
	}
	defer rejects.Close() // closed already unless the import stopped before its first row
	prog := &leadimport.Progress{}
	s.importing.add(im.ID, prog, cancel)
	defer s.importing.remove(im.ID)
	stopProgress := s.publishProgress(im, prog)
	out, err := st.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		rep, err := leadimport.Run(ctx, file, leadimport.Config{Campaign: list.Campaign, Mapping: mapping, Country: country}, sink, prog, rejects)
		// The error report is whole before the import commits.
		if cerr := rejects.Close(); err == nil {
			err = cerr
		}
		return rep, err
	})
	stopProgress()
	if err != nil {
		out, err = s.endImport(ctx, st, out, out.Report, err)
		s.publishImport(out)
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() == nil {
			return newHTTPError(http.StatusConflict, fmt.Sprintf("import %d was cancelled: none of its leads were kept", out.ID))
		}
		return err
	}
	s.publishImport(out)
	return c.JSON(http.StatusOK, out)
}

// importProgressEvery paces an import's progress on the event stream.
const importProgressEvery = 500 * time.Millisecond

// publishProgress pushes the import's counts to supervisors' streams
// every importProgressEvery while it runs; the returned func stops it.
func (s *Server) publishProgress(im leadimport.Import, prog *leadimport.Progress) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// A socket-paced ticker, like the stream's pings: the import's
		// progress is reported in wall time.
		t := time.NewTicker(importProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				cur := im
				cur.Report = prog.Snapshot()
				s.publishImport(cur)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (s *Server) publishImport(im leadimport.Import) {
	b, err := json.Marshal(im)
	if err != nil {
		return
	}
	s.engine.PublishImport(b)
}

// endImport records how an import that did not commit ended; it returns
// the record, or the error that ended the import.
func (s *Server) endImport(ctx context.Context, st ImportStore, im leadimport.Import, rep leadimport.Report, err error) (leadimport.Import, error) {
	im.Report = rep
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, context.Canceled):
		im.Status, im.Error = leadimport.RolledBack, "cancelled"
	case errors.As(err, &mbe):
		im.Status, im.Error = leadimport.Failed, "file larger than 1 GiB"
		err = &httpError{code: http.StatusRequestEntityTooLarge, msg: im.Error, field: "file"}
	case errors.Is(err, os.ErrDeadlineExceeded):
		im.Status, im.Error = leadimport.Failed, "file not received in time"
		err = &httpError{code: http.StatusRequestTimeout, msg: im.Error, field: "file"}
	default:
		im.Status, im.Error = leadimport.Failed, err.Error()
	}
	// Recorded even when the client has gone.
	out, ferr := st.FinishImport(context.WithoutCancel(ctx), im)
	if ferr != nil {
		s.log.Error("import record not finished", "import", im.ID, "err", ferr)
	}
	return out, err
}

func createFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
}

// slidingDeadline keeps the connection's read deadline a BodyTimeout
// ahead while the file arrives: a large upload may take minutes, a
// stalled one is still cut.
type slidingDeadline struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	last time.Time
}

func (d *slidingDeadline) Read(p []byte) (int, error) {
	// Socket deadlines are on the kernel's clock, never the service's.
	if now := time.Now(); now.Sub(d.last) > time.Second {
		d.last = now
		_ = d.rc.SetReadDeadline(now.Add(d.idle))
	}
	return d.r.Read(p)
}

// importParam reads the path's import.
func (s *Server) importParam(c echo.Context) (leadimport.Import, error) {
	st, err := s.importStore()
	if err != nil {
		return leadimport.Import{}, err
	}
	id, err := pathID[leadimport.ID](c, "id")
	if err != nil {
		return leadimport.Import{}, err
	}
	return st.Import(c.Request().Context(), id)
}

func (s *Server) getImport(c echo.Context, _ *principal) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	if p := s.importing.get(im.ID); p != nil && im.Status == leadimport.Running {
		im.Report = p.Snapshot()
	}
	return c.JSON(http.StatusOK, im)
}

// cancelImport stops a running import, which then rolls back at its next
// row: 202 with the import as it was. An import that has ended is
// answered as it is, with 200.
func (s *Server) cancelImport(c echo.Context, p *principal) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	if im.Status != leadimport.Running || !s.importing.cancel(im.ID) {
		return c.JSON(http.StatusOK, im)
	}
	ctx := c.Request().Context()
	s.audit(ctx, p, "import.cancel", "import:"+strconv.FormatInt(int64(im.ID), 10), map[string]any{"list": im.List})
	return c.JSON(http.StatusAccepted, im)
}

func (s *Server) importErrors(c echo.Context, _ *principal) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	id := im.ID
	f, err := os.Open(s.errorsPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("error report of import %d: %w", id, dialer.ErrNotFound)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="import-%d-errors.csv"`, id))
	return c.Stream(http.StatusOK, "text/csv; charset=utf-8", f)
}
