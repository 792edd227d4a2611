package main

import (
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/agentswitch/agentswitch/dialer/pacing/pacesim"
)

var (
	pacerColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	baseColor  = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	dayColor   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	limitColor = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// series is one line of a panel: a figure of each minute.
type series struct {
	name  string
	r     *pacesim.Result
	value func(pacesim.Minute) float64
	color color.Color
	dash  bool
}

// plotRun draws the four panels of a run, the pacer beside the baseline,
// as PNG or SVG by the file name's extension.
func plotRun(w io.Writer, name string, p pair, ceiling float64) error {
	pct := func(f func(pacesim.Minute) float64) func(pacesim.Minute) float64 {
		return func(m pacesim.Minute) float64 { return 100 * f(m) }
	}
	minutes := float64(len(p.pacer.Minutes))
	panels := []struct {
		title, y string
		lines    []series
		limit    float64
	}{
		{"Dial level", "lines in flight per agent", []series{
			{"pacer", p.pacer, func(m pacesim.Minute) float64 { return m.Level }, pacerColor, false},
			{"progressive", p.base, func(m pacesim.Minute) float64 { return m.Level }, baseColor, false},
		}, 0},
		{"Live-answer rate", "% of attempts ended", []series{
			{"pacer", p.pacer, pct(func(m pacesim.Minute) float64 { return m.AnswerRate }), pacerColor, false},
		}, 0},
		{"Abandon rate (pacer)", "% of live answers", []series{
			{"1 minute", p.pacer, pct(func(m pacesim.Minute) float64 { return m.Abandon1m }), pacerColor, false},
			{"rolling 24 h", p.pacer, pct(func(m pacesim.Minute) float64 { return m.Abandon24h }), dayColor, false},
		}, 100 * ceiling},
		{"Talk time", "talk min per agent-hour", []series{
			{"pacer", p.pacer, func(m pacesim.Minute) float64 { return m.TalkPerAgentHour }, pacerColor, false},
			{"progressive", p.base, func(m pacesim.Minute) float64 { return m.TalkPerAgentHour }, baseColor, false},
		}, 0},
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		pl := plot.New()
		pl.Title.Text = pn.title
		pl.X.Label.Text = "minute"
		pl.Y.Label.Text = pn.y
		// The talk-time lines run along the top: its legend goes below.
		pl.Legend.Top = pn.title != "Talk time"
		pl.X.Max = minutes
		for _, s := range pn.lines {
			pts := make(plotter.XYs, len(s.r.Minutes))
			for j, m := range s.r.Minutes {
				pts[j] = plotter.XY{X: float64(m.Minute), Y: s.value(m)}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color = s.color
			l.Width = vg.Points(0.8)
			pl.Add(l)
			pl.Legend.Add(s.name, l)
		}
		if pn.limit > 0 {
			l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: pn.limit}, {X: minutes, Y: pn.limit}})
			if err != nil {
				return err
			}
			l.Color, l.Dashes = limitColor, []vg.Length{vg.Points(4), vg.Points(3)}
			pl.Add(l)
			pl.Legend.Add("ceiling", l)
			// The 1-minute rate can spike far above; the ceiling is what
			// matters to read.
			pl.Y.Min, pl.Y.Max = 0, 4*pn.limit
		}
		plots[i] = []*plot.Plot{pl}
	}
	width, height := 8*vg.Inch, 10*vg.Inch
	var c vg.CanvasWriterTo
	if strings.EqualFold(filepath.Ext(name), ".svg") {
		c = vgsvg.New(width, height)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))}
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := c.WriteTo(w)
	return err
}
