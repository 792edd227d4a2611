package procmem

import (
	"runtime"
	"testing"
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
