package script

import (
	"context"
	"strings"
	"testing"
)

// Input lines as a script reads them: a line over -max-line is an error
// that names the limit and the rest of it is skipped (the next line runs),
// and a last line without a newline still runs.
func TestInputLinesTooLongAndLast(t *testing.T) {
	s, out := testSession(t, "reader")
	s.opts.keepGoing = true
	in := "send one\n" + "send " + strings.Repeat("x", 5000) + "\nsend two\nsend last"
	if err := s.runReader(context.Background(), "in", strings.NewReader(in), 1); err != nil {
		t.Fatalf("runReader: %v", err)
	}
	if got := s.n.Stats().Sent; got != 3 {
		t.Errorf("sent %d messages, want 3 (one, two, last)", got)
	}
	if !strings.Contains(out.String(), "in:2: line longer than 4096 bytes") {
		t.Errorf("output does not report line 2 as too long:\n%s", out.String())
	}
}
