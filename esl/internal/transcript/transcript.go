// Package transcript loads the ESL traffic captured from a real FreeSWITCH
// (esl/testdata/transcripts/*.jsonl) for tests of the client and the simulator.
package transcript

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// Record is one line of a transcript: a frame written (Dir "out") or received
// (Dir "in") on one of the capture's connections.
type Record struct {
	TMs    float64 `json:"t_ms"`
	Dir    string  `json:"dir"`
	Conn   string  `json:"conn"`
	Data   string  `json:"data"`
	DataB6 string  `json:"data_b64,omitempty"`
	EOF    bool    `json:"eof,omitempty"`
}

// Bytes returns the record's bytes exactly as they crossed the socket.
func (r Record) Bytes() []byte {
	if r.DataB6 != "" {
		b, err := base64.StdEncoding.DecodeString(r.DataB6)
		if err == nil {
			return b
		}
	}
	return []byte(r.Data)
}

// Transcript is one captured scenario.
type Transcript struct {
	Name    string
	Records []Record
}

// Dir is the folder holding the captured transcripts.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "transcripts")
}

// Load reads one transcript file.
func Load(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &Transcript{Name: filepath.Base(path)}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		t.Records = append(t.Records, r)
	}
	return t, sc.Err()
}

// All loads every transcript, sorted by name.
func All() ([]*Transcript, error) {
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Transcript
	for _, p := range paths {
		t, err := Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no transcripts in %s", Dir())
	}
	return out, nil
}

// Stream returns the bytes received on conn, joined: the stream a client read.
func (t *Transcript) Stream(conn string) []byte {
	var b []byte
	for _, r := range t.Records {
		if r.Dir == "in" && r.Conn == conn && !r.EOF {
			b = append(b, r.Bytes()...)
		}
	}
	return b
}

// Conns lists the connection names in order of first appearance.
func (t *Transcript) Conns() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.Records {
		if !seen[r.Conn] {
			seen[r.Conn] = true
			out = append(out, r.Conn)
		}
	}
	return out
}
