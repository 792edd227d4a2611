// Package api is agentswitch's HTTP interface: JSON routes, the event
// stream and the embedded web UI, on echo.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Check reports one dependency's health: details to show, or an error.
type Check func(ctx context.Context) (map[string]any, error)

// Options configure the server.
type Options struct {
	Version string
	Logger  *slog.Logger
	// Checks are reported by /healthz under their names ("database",
	// "redis", "switch"); any error makes it answer 503.
	Checks map[string]Check
}

// Server is the HTTP server.
type Server struct {
	e    *echo.Echo
	opts Options
	log  *slog.Logger

	mu  sync.Mutex
	srv *http.Server
}

// New builds the router.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{e: e, opts: opts, log: opts.Logger}
	e.HTTPErrorHandler = s.errorHandler
	e.GET("/healthz", s.healthz)
	return s
}

// Echo exposes the router so other parts can register their routes.
func (s *Server) Echo() *echo.Echo { return s.e }

// Serve answers on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// healthz reports each dependency; 503 if any is down.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	type result struct {
		name   string
		detail map[string]any
	}
	results := make(chan result, len(s.opts.Checks))
	for name, check := range s.opts.Checks {
		go func() {
			d, err := check(ctx)
			if d == nil {
				d = map[string]any{}
			}
			if err != nil {
				d["status"] = "down"
				d["error"] = err.Error()
			} else {
				d["status"] = "up"
			}
			results <- result{name, d}
		}()
	}
	body := map[string]any{"version": s.opts.Version}
	status, code := "ok", http.StatusOK
	for range s.opts.Checks {
		r := <-results
		body[r.name] = r.detail
		if r.detail["status"] != "up" {
			status, code = "degraded", http.StatusServiceUnavailable
		}
	}
	body["status"] = status
	return c.JSON(code, body)
}

// errorHandler answers every error as JSON.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	} else {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	_ = c.JSON(code, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
