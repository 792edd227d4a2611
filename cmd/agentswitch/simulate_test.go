package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSimulateFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"-mode", "fast"}, "-mode"},
		{[]string{"-ceiling", "0.5"}, "-ceiling"},
		{[]string{"-min-agents", "-1"}, "-min-agents"},
		{[]string{"-campaigns", "-1"}, "-campaigns"},
		{[]string{"-agents", "0"}, "-agents"},
		{[]string{"-agents-from", "50", "-agents-to", "20"}, "-agents-from"},
		{[]string{"-live", "1.2"}, "-live"},
		{[]string{"-machine", "-0.1"}, "-machine"},
		{[]string{"-failed", "1"}, "-failed"},
		{[]string{"-live", "0.5", "-machine", "0.4", "-failed", "0.2"}, "add up"},
		{[]string{"-talk", "0s"}, "-talk"},
		{[]string{"-wrap", "-1s"}, "-wrap"},
		{[]string{"-talk-sigma", "9"}, "-talk-sigma"},
		{[]string{"-wrap-sigma", "-1"}, "-wrap-sigma"},
		{[]string{"-duration", "10s"}, "-duration"},
		{[]string{"-duration", "1h", "-step-at", "2h"}, "-step-at"},
		{[]string{"-step-at", "1h", "-step-live", "0"}, "-step-live"},
		{[]string{"-every", "1s"}, "-every"},
		{[]string{"-parallel", "0"}, "-parallel"},
		{[]string{"-plot", "x.gif"}, "-plot"},
		{[]string{"-campaigns", "3", "-plot", "x.png"}, "-plot"},
		{[]string{"-agents", "many"}, "-agents"},
		{[]string{"extra"}, "unexpected"},
	} {
		_, _, err := runCLI(nil, append([]string{"simulate"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%v: got %v, want an error naming %s", c.args, err, c.flag)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSimulateOneCampaign(t *testing.T) {
	dir := t.TempDir()
	csvPath, png, svg := filepath.Join(dir, "m.csv"), filepath.Join(dir, "m.png"), filepath.Join(dir, "m.svg")
	out, _, err := runCLI(nil, "simulate", "-agents", "30", "-duration", "40m", "-step-at", "20m", "-every", "10m", "-csv", csvPath, "-plot", png)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"campaign: seed 1, 30 agents", "pacer:", "progressive:", "gain:", "step to 40% live at 20m0s"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 1+2*40 || rows[0][0] != "minute" || rows[1][1] != "pacer" || rows[len(rows)-1][1] != "progressive" {
		t.Errorf("CSV: %d rows, first %v", len(rows), rows[:2])
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("PNG: %v, %d bytes", err, len(b))
	}
	if _, _, err := runCLI(nil, "simulate", "-agents", "20", "-duration", "5m", "-plot", svg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("Dial level")) {
		t.Errorf("SVG: %v, %d bytes", err, len(b))
	}
}

func TestSimulateSweep(t *testing.T) {
	csvPath := filepath.Join(t.TempDir(), "s.csv")
	out, _, err := runCLI(nil, "simulate", "-campaigns", "3", "-duration", "20m", "-agents-to", "40", "-live", "0.25", "-csv", csvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"3 campaigns of 20m0s, mode strict", "worst rolling 24 h abandon window"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 4 || rows[0][1] != "agents" {
		t.Fatalf("CSV: %v", rows)
	}
	for _, r := range rows[1:] {
		if n, err := strconv.Atoi(r[1]); err != nil || n < 20 || n > 40 || r[2] != "0.2500" {
			t.Errorf("row %v: live not 0.25 or more than 40 agents", r)
		}
	}
}
