package browser

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestWallPacingTile: a predictive campaign with one agent warms up on
// three lines; two of the three answers are abandoned and the wall's tile
// for the campaign shows it fall back to progressive, with the 24 h
// abandon rate the API gives, and the campaign's abandon alert.
func TestWallPacingTile(t *testing.T) {
	res, _, p := wallCampaign(t, "predictive", "Spring predictive", map[string]any{"min_agents": 1}, 400)
	// The wall rounds to a tenth of a percent, with no trailing zero.
	want := strconv.FormatFloat(math.Round(1000*p.Abandon.Day)/10, 'f', -1, 64) + "%"
	if p.State != "fallback" || res.Day != want || !strings.Contains(res.Reason, "24 h abandon rate") || res.Alert == "" {
		t.Errorf("wall %+v, API %+v (want %s)", res, p, want)
	}
}
