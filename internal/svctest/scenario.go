package svctest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// RunScenario runs a browser scenario (a node script), answering the
// requests it makes of the Go side ("@@ask {json}" lines on its standard
// output, one JSON line back on its standard input) with act. It answers
// the script's output and how it exited.
func RunScenario(cmd *exec.Cmd, act func(map[string]string) (map[string]string, error)) (string, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var out SyncBuffer
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		before, q, ok := strings.Cut(line, "@@ask ")
		if !ok {
			fmt.Fprintln(&out, line)
			continue
		}
		fmt.Fprint(&out, before)
		var req map[string]string
		reply := map[string]string{}
		if err := json.Unmarshal([]byte(q), &req); err != nil {
			reply["error"] = err.Error()
		} else if r, err := act(req); err != nil {
			reply["error"] = err.Error()
		} else {
			reply = r
		}
		b, _ := json.Marshal(reply)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			fmt.Fprintln(&out, "reply not delivered:", err)
		}
	}
	stdin.Close()
	return out.String(), cmd.Wait()
}

// SyncBuffer is a buffer written and read from several goroutines (a
// scenario's output and errors, a service's log).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *SyncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *SyncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WriteToneWAV writes 2 s of a steady sine at hz (a whole number of
// periods, so that Chromium's loop of the file as a fake microphone is
// seamless): 48 kHz, 16-bit mono PCM.
func WriteToneWAV(path string, hz float64) error {
	return WritePulsedToneWAV(path, hz, 0)
}

// WritePulsedToneWAV is WriteToneWAV with the tone cut for gap out of
// every 500 ms. As a browser's microphone, a steady tone faded from a
// conference's mix after some seconds of a call (the browser's audio
// processing); one with silences between did not.
func WritePulsedToneWAV(path string, hz float64, gap time.Duration) error {
	const rate, seconds = 48000, 2
	n := rate * seconds
	period, off := rate/2, int(gap.Seconds()*rate)
	data := make([]byte, 2*n)
	for i := range n {
		if i%period >= period-off {
			continue
		}
		v := int16(0.5 * math.MaxInt16 * math.Sin(2*math.Pi*hz*float64(i)/rate))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+len(data)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, 1) // mono
	h = binary.LittleEndian.AppendUint32(h, rate)
	h = binary.LittleEndian.AppendUint32(h, rate*2)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	return os.WriteFile(path, append(h, data...), 0o644)
}
