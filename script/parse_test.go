package script

import (
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestExpand(t *testing.T) {
	lookup := env(map[string]string{"B": "127.0.0.1:5", "NAME": "bob", "EMPTY": ""})
	for _, tc := range []struct{ in, want, err string }{
		{in: "no vars", want: "no vars"},
		{in: "$B", want: "127.0.0.1:5"},
		{in: "${B}", want: "127.0.0.1:5"},
		{in: "x${NAME}y $NAME.z", want: "xboby bob.z"},
		{in: "[$EMPTY]", want: "[]"},
		{in: "costs $5 and $ alone$", want: "costs $5 and $ alone$"},
		{in: "$$B", want: "$B"},
		{in: "$NOPE", err: "variable $NOPE is not set"},
		{in: "${NOPE}", err: "variable $NOPE is not set"},
		{in: "${B", err: "unclosed ${"},
		{in: "${1x}", err: "bad variable name ${1x}"},
		{in: "${}", err: "bad variable name ${}"},
	} {
		got, err := expand(tc.in, lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expand(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseLine(t *testing.T) {
	lookup := env(map[string]string{"B": "127.0.0.1:5"})
	l, err := parseLine("  connect   $B  ", lookup)
	if err != nil || l.name != "connect" || l.rest != "127.0.0.1:5" || len(l.args) != 1 || l.args[0] != "127.0.0.1:5" {
		t.Fatalf("parseLine = %+v, %v", l, err)
	}
	l, err = parseLine("send  two  spaces\tand tab ", lookup)
	if err != nil || l.rest != "two  spaces\tand tab" || len(l.args) != 4 {
		t.Fatalf("parseLine(send) = %+v, %v", l, err)
	}
	// The command word is not expanded.
	if l, err := parseLine("$B x", lookup); err != nil || l.name != "$B" {
		t.Fatalf("parseLine($B x) = %+v, %v", l, err)
	}
	if _, err := parseLine("   ", lookup); err == nil {
		t.Fatal("parseLine of a blank line: no error")
	}
}

func TestIsBlank(t *testing.T) {
	for s, want := range map[string]bool{"": true, "  ": true, "# c": true, "  #c": true, "echo #": false, "x": false} {
		if got := isBlank(s); got != want {
			t.Errorf("isBlank(%q) = %v", s, got)
		}
	}
}

func TestParseCompare(t *testing.T) {
	for _, tc := range []struct {
		in   string
		v    uint64
		want bool
	}{
		{"3", 3, true}, {"3", 4, false}, {"=3", 3, true}, {"==3", 2, false},
		{">=3", 3, true}, {">=3", 2, false}, {"<=3", 3, true}, {"<=3", 4, false},
		{">3", 4, true}, {">3", 3, false}, {"<3", 2, true}, {"<3", 3, false},
	} {
		c, err := parseCompare(tc.in)
		if err != nil {
			t.Fatalf("parseCompare(%q): %v", tc.in, err)
		}
		if got := c.ok(tc.v); got != tc.want {
			t.Errorf("%q.ok(%d) = %v", tc.in, tc.v, got)
		}
	}
	for _, bad := range []string{"", "x", ">", "-1", ">=x", "3.5"} {
		if _, err := parseCompare(bad); err == nil {
			t.Errorf("parseCompare(%q): no error", bad)
		}
	}
}

func TestTextMatcher(t *testing.T) {
	exact, _ := textMatcher("hello")
	if !exact("hello") || exact("hello!") || exact("say hello") {
		t.Error("exact text matcher")
	}
	re, err := textMatcher("/^m[0-9]+$/")
	if err != nil || !re("m12") || re("xm1") {
		t.Errorf("regexp matcher: %v", err)
	}
	if _, err := textMatcher("/(/"); err == nil {
		t.Error("bad regexp: no error")
	}
	slash, _ := textMatcher("/")
	if !slash("/") {
		t.Error(`"/" should match itself`)
	}
}

func TestEditDistance(t *testing.T) {
	tab := newCommandTable()
	for word, want := range map[string]string{"conect": "connect", "peer": "peers", "stat": "stats", "hello": "", "xy": "",
		"quti": "quit", "sned": "send", "ehco": "echo", "qiut": "quit", "tiuq": ""} {
		if got := tab.near(word); got != want {
			t.Errorf("near(%q) = %q, want %q", word, got, want)
		}
	}
}

// TestHelpColumns: in the command list every summary starts in the same
// column, also after a synopsis too long for its column (wait's).
func TestHelpColumns(t *testing.T) {
	tab := newCommandTable()
	lines := strings.Split(tab.summary(), "\n")
	for _, c := range tab.list {
		found := false
		for _, l := range lines {
			if strings.HasSuffix(l, " "+c.summary) && strings.Index(l, c.summary) == summaryColumn {
				found = true
			}
		}
		if !found {
			t.Errorf("the summary of %s does not start in column %d:\n%s", c.name, summaryColumn, tab.summary())
		}
	}
}
