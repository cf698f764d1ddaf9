package script

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestEveryFlagIsDocumented: every flag p2p takes has a row in the flag
// table of docs/commands.md (a line that starts with "| `-NAME").
func TestEveryFlagIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	_, fs := newFlagSet(io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(string(doc), "\n| `-"+f.Name+"`") && !strings.Contains(string(doc), "\n| `-"+f.Name+" ") {
			t.Errorf("flag -%s has no row in docs/commands.md", f.Name)
		}
	})
}
