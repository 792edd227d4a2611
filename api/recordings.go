package api

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

var (
	errNoRecording      = fmt.Errorf("%w: this call has no recording", dialer.ErrNotFound)
	errRecordingMissing = fmt.Errorf("%w: the call's recording file is not in the recordings directory", dialer.ErrNotFound)
	errRecordingsOff    = newHTTPError(http.StatusServiceUnavailable, "recordings are not served: no recordings directory is configured")
)

// getRecording is GET /calls/{id}/recording: the call's recording, with
// range requests so that a player can seek. A record keeps one path: the
// engine records a call, its voicemail included, to a single file.
func (s *Server) getRecording(c echo.Context, p *principal) error {
	download := false
	switch c.QueryParam("download") {
	case "", "0", "false":
	case "1", "true":
		download = true
	default:
		return fieldErr("download", "must be 1 or 0")
	}
	id, _, rec, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	if s.opts.RecordingsDir == "" {
		return errRecordingsOff
	}
	if rec == nil {
		// A live call: the record holds the path as soon as it records.
		r, err := s.calls.Call(c.Request().Context(), id)
		if errors.Is(err, dialer.ErrNotFound) {
			return errNoRecording
		}
		if err != nil {
			return err
		}
		rec = &r
	}
	if rec.RecordingPath == "" {
		return errNoRecording
	}
	f, err := s.openRecording(rec.RecordingPath)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("recording not served", "call", id, "path", rec.RecordingPath, "err", err)
		}
		return errRecordingMissing
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return errRecordingMissing
	}
	disp := "inline"
	if download {
		disp = "attachment"
	}
	// The name is built from the validated call id, never from the path.
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "audio/wav")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType(disp, map[string]string{"filename": "call-" + string(id) + ".wav"}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderCacheControl, "private, no-store")
	http.ServeContent(c.Response(), c.Request(), "", st.ModTime(), f)
	return nil
}

// openRecording opens a recorded path only if it lies inside the
// recordings directory: the path is made relative to the directory
// lexically, then opened through os.Root so that neither ".." nor a
// symbolic link can lead outside it. A relative path is taken as under
// the directory.
func (s *Server) openRecording(path string) (*os.File, error) {
	dir := s.opts.RecordingsDir
	rel := filepath.Clean(path)
	if filepath.IsAbs(rel) {
		r, err := filepath.Rel(dir, rel)
		if err != nil || !filepath.IsLocal(r) {
			// The directory may be named through a link the switch did
			// not use, or the other way round.
			real, rerr := filepath.EvalSymlinks(dir)
			if rerr != nil {
				return nil, fmt.Errorf("recording %s is outside %s", path, dir)
			}
			if r, err = filepath.Rel(real, rel); err != nil || !filepath.IsLocal(r) {
				return nil, fmt.Errorf("recording %s is outside %s", path, dir)
			}
		}
		rel = r
	}
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("recording %s is outside %s", path, dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Open(rel)
}
