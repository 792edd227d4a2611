package esl

import (
	"testing"

	"github.com/percipia/eslgo"
)

// The command connections (eslgo) and the event connection (Reader) must
// refuse the same frames.
func TestCommandPathSharesFrameLimits(t *testing.T) {
	if eslgo.MaxContentLength != maxBody || eslgo.MaxHeaderBytes != maxHeaderBlock {
		t.Fatalf("eslgo caps %d/%d, frame reader %d/%d", eslgo.MaxContentLength, eslgo.MaxHeaderBytes, maxBody, maxHeaderBlock)
	}
}
