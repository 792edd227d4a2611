package procmem

import (
	"runtime"
	"testing"
	"time"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	// A test binary is more than 1 MB resident and less than 10 GB.
	if r := RSS(); r < 1<<20 || r > 10<<30 {
		t.Fatalf("RSS %d bytes", r)
	}
}

// TestCPU: spinning shows up in CPU within a few seconds of wall time.
func TestCPU(t *testing.T) {
	before := CPU()
	if before <= 0 {
		t.Fatalf("CPU = %v before any work", before)
	}
	deadline := time.Now().Add(5 * time.Second) // wall time bounds the spin
	for CPU()-before < 10*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("CPU moved %v in 5 s of spinning", CPU()-before)
		}
	}
}
