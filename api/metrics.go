package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// metrics hands the scrape to the configured handler.
func (s *Server) metrics(c echo.Context, _ *principal) error {
	if s.opts.Metrics == nil {
		return newHTTPError(http.StatusNotFound, "metrics are not enabled")
	}
	s.opts.Metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}
