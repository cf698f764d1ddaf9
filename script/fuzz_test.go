package script

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCommandLine feeds arbitrary lines to the command parser: the word
// lookup, $VAR expansion, argument checks and the argument parsers of wait.
// It must never panic; a line it accepts must have a known command word
// and arguments without spaces. Seeds are in testdata/fuzz/FuzzCommandLine;
// CI runs them as ordinary tests.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"connect 127.0.0.1:55555", "connect", "send hello world", "send $NAME says ${GREETING}",
		"wait -t 2s peers >=2", "wait message /^h(e|a)llo$/", "wait messages 10", "wait message /[/",
		"sleep 10ms", "disconnect bob", "join $ADDR", "# comment", "   ", "help wait",
		"send ${", "send ${1x}", "send $$5", "peers extra", "stat", "conect x",
	} {
		f.Add(s)
	}
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"NAME": "alice", "GREETING": "hi", "ADDR": "127.0.0.1:1", "EMPTY": ""}[name]
		return v, ok
	}
	cmds := newCommandTable()
	f.Fuzz(func(t *testing.T, text string) {
		if isBlank(text) {
			return
		}
		word, _ := splitWord(text)
		cmd, err := cmds.lookup(word)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		l, err := parseLine(text, env, cmd.text)
		if err != nil {
			return
		}
		if l.name != word || strings.ContainsAny(l.name, " \t") {
			t.Fatalf("parsed word %q from %q", l.name, text)
		}
		for _, a := range l.args {
			if a == "" || strings.ContainsAny(a, " \t\n") {
				t.Fatalf("argument %q from %q", a, text)
			}
		}
		if l.rest != strings.TrimSpace(l.rest) {
			t.Fatalf("rest %q is not trimmed", l.rest)
		}
		if err := cmd.check(l); err != nil {
			return
		}
		if cmd.name == "wait" && len(l.args) >= 2 {
			switch l.args[len(l.args)-2] {
			case "peers", "messages":
				parseCompare(l.args[len(l.args)-1])
			case "message":
				if m, err := textMatcher(l.args[len(l.args)-1]); err == nil && utf8.ValidString(text) {
					m("hello")
				}
			}
		}
	})
}
