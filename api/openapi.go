package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openapiYAML describes every route; a test holds it equal to the router.
//
//go:embed openapi.yaml
var openapiYAML []byte

func (s *Server) openapi(c echo.Context, _ *principal) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/yaml", openapiYAML)
}
