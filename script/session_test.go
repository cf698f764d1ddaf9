package script

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// syncBuffer is a bytes.Buffer safe for the pump and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testSession(t *testing.T, name string) (*Session, *syncBuffer) {
	t.Helper()
	return newTestSession(t, name, false)
}

// newTestSession starts a session whose output, text or -json, goes to
// the buffer it returns.
func newTestSession(t *testing.T, name string, json bool) (*Session, *syncBuffer) {
	t.Helper()
	var out syncBuffer
	opts := &options{cfg: node.Config{Name: name, ListenAddr: "127.0.0.1:0"}, timeout: 5 * time.Second, maxInputLine: 4096, ephemeral: true}
	o := newOutput(&out, &out, json)
	t.Cleanup(o.close)
	s, err := newSession(opts, o, env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &out
}

func run(t *testing.T, s *Session, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := s.execLine(context.Background(), Pos{}, l, 0); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
}

func TestComplete(t *testing.T) {
	a, _ := testSession(t, "alice")
	b, _ := testSession(t, "bob")
	c, _ := testSession(t, "carol")
	// Alice knows bob and carol; she is connected to carol only.
	run(t, a, "connect "+b.n.Addr(), "connect "+c.n.Addr(), "disconnect bob", "wait peers 1")
	run(t, b, "wait peers 0")

	for _, tc := range []struct {
		before string
		want   []string
		n      int
	}{
		{"", names(a), 0},
		{"co", []string{"nnect "}, 2},
		{"s", []string{"een ", "end ", "leep ", "ource ", "tats "}, 1},
		{"disconnect ", []string{"carol "}, 0},
		{"disconnect c", []string{"arol "}, 1},
		{"disconnect x", nil, 1},
		{"disconnect carol ", nil, 0},
		{"connect ", []string{b.n.Addr() + " "}, 0}, // known, not connected: bob, not carol
		{"join ", []string{b.n.Addr() + " "}, 0},
		{"connect 127.0.0.1:", []string{strings.TrimPrefix(b.n.Addr(), "127.0.0.1:") + " "}, 10},
		{"help qu", []string{"it "}, 2},
		{"wait ", []string{"-t ", "lazy ", "message ", "messages ", "peers ", "synced "}, 0},
		{"wait pe", []string{"ers "}, 2},
		{"peers ", nil, 0},
		{"nosuch ", nil, 0},
	} {
		got, n := a.complete(tc.before)
		if !slices.Equal(got, tc.want) || n != tc.n {
			t.Errorf("complete(%q) = %q, %d; want %q, %d", tc.before, got, n, tc.want, tc.n)
		}
	}
	// The readline adapter works in runes.
	cands, n := completer{a}.Do([]rune("disconnect cö"), len("disconnect cö")-1)
	if len(cands) != 0 || n != 2 {
		t.Errorf("Do with a non-ASCII prefix = %q, %d", cands, n)
	}
}

func names(s *Session) []string {
	var out []string
	for _, c := range s.cmds.list {
		out = append(out, c.name+" ")
	}
	slices.Sort(out)
	return out
}

// TestWaitSeesEarlierMessages: a message delivered before the wait began
// counts, and each wait consumes one.
func TestWaitSeesEarlierMessages(t *testing.T) {
	a, _ := testSession(t, "a")
	b, out := testSession(t, "b")
	run(t, a, "connect "+b.n.Addr(), "send one", "send two", "send one")
	run(t, b, "wait messages 3", "wait message one", "wait message /^t/", "wait message one")
	if _, err := b.execLine(context.Background(), Pos{}, "wait -t 30ms message one", 0); err == nil || !strings.Contains(err.Error(), "timed out after 30ms") {
		t.Fatalf("a fourth wait: %v", err)
	}
	if _, err := b.execLine(context.Background(), Pos{}, "wait messages 2", 0); err == nil || !strings.Contains(err.Error(), "3 messages were delivered, more than 2") {
		t.Fatalf("wait messages 2 after 3: %v", err)
	}
	if c := strings.Count(out.String(), "message from a (1 hop): one\n"); c != 2 {
		t.Errorf("%d lines for one, want 2:\n%s", c, out)
	}
}

func TestHistoryBounded(t *testing.T) {
	tr := newTracker()
	for i := 0; i < historyMax+500; i++ {
		tr.onEvent(node.Event{Kind: node.EventMessage, Message: node.Message{Text: "x"}})
	}
	if n := len(tr.history) - tr.head; n != historyMax || tr.dropped != 500 || tr.delivered != historyMax+500 {
		t.Fatalf("held %d, dropped %d, delivered %d", n, tr.dropped, tr.delivered)
	}
	big := strings.Repeat("y", 1<<20)
	for i := 0; i < 20; i++ {
		tr.onEvent(node.Event{Kind: node.EventMessage, Message: node.Message{Text: big}})
	}
	if tr.bytes > historyMaxBytes {
		t.Fatalf("held %d bytes", tr.bytes)
	}
}

// TestNotATerminal: a pipe is not a terminal, so Run reads plain lines:
// no prompt, no hint, no escape sequences, and a TAB is just a byte.
func TestNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := terminal(r); ok {
		t.Fatal("a pipe is a terminal")
	}
	if _, ok := terminal(strings.NewReader("")); ok {
		t.Fatal("a strings.Reader is a terminal")
	}
	go func() {
		io.WriteString(w, "echo a\tb\x7f\nhelp quit\n")
		w.Close()
	}()
	var out, errOut bytes.Buffer
	hist := t.TempDir() + "/history"
	code := Run(context.Background(), []string{"-listen", "127.0.0.1:0", "-name", "n", "-history", hist}, r, &out, &errOut)
	if code != 0 || errOut.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0], "listening on 127.0.0.1:") || lines[1] != "a\tb\x7f" || !strings.HasPrefix(lines[2], "usage: quit") {
		t.Fatalf("output:\n%q", out.String())
	}
	if strings.Contains(out.String(), "n> ") || strings.Contains(out.String(), "\x1b") {
		t.Fatalf("prompt or escape sequence in piped output: %q", out.String())
	}
	if _, err := os.Stat(hist); !os.IsNotExist(err) {
		t.Fatalf("history file written for piped input: %v", err)
	}
}

// TestSignalClosesPromptly: when ctx ends (SIGINT or SIGTERM in Main), Run
// closes the node and returns 0 within a second, even while its input is
// silent.
func TestSignalClosesPromptly(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	io.WriteString(w, "echo started\n")
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() { done <- Run(ctx, []string{"-listen", "127.0.0.1:0"}, r, out, out) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "started") {
		if time.Now().After(deadline) {
			t.Fatal("no output")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after the signal")
	}
}

func TestStayUntilSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"-listen", "127.0.0.1:0", "-stay"}, strings.NewReader("echo in\n"), out, out)
	}()
	select {
	case <-done:
		t.Fatal("-stay returned at the end of the input")
	case <-time.After(50 * time.Millisecond): // time is the subject here
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestUsageAndVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"-h"}, {"-help"}, {"help"}} {
		out.Reset()
		errOut.Reset()
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 || errOut.Len() != 0 {
			t.Fatalf("%q: exit %d, stderr %q", args, code, errOut.String())
		}
		for _, want := range []string{"connect ADDR", "wait [-t DURATION]", "-addr-file PATH", "-keep-going", "-no-history", "p2p help"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%q does not print %q on stdout", args, want)
			}
		}
	}
	for _, args := range [][]string{{"-version"}, {"version"}} {
		out.Reset()
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "p2p "+Version) {
			t.Fatalf("%q: %d %q", args, code, out.String())
		}
	}
	out.Reset()
	if code := Run(context.Background(), []string{"help", "wait"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "usage: wait ") {
		t.Fatalf("help wait: %d %q", code, out.String())
	}
}

// TestBadCommandLine: a bad flag, a bad flag value, a zero that would mean
// "the default", and a command given as a file name exit 2 before a node
// starts, with the flag or the word in the message.
func TestBadCommandLine(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag (p2p -h lists the flags)"},
		{[]string{"-max-line", "ten"}, `invalid value "ten" for flag -max-line`},
		{[]string{"-max-line", "10"}, "-max-line 10: must be at least 512"},
		{[]string{"-max-line", "0"}, "-max-line 0: must be at least 512"},
		{[]string{"-max-line", "2000000000"}, "-max-line 2000000000: must be at most 1073741824"},
		{[]string{"-queue", "0"}, "-queue 0: must be more than 0"},
		{[]string{"-queue-bytes", "-1"}, "-queue-bytes -1: must be more than 0"},
		{[]string{"-seen-ttl", "0s"}, "-seen-ttl 0s: must be more than 0"},
		{[]string{"-seen-max", "0"}, "-seen-max 0: must be more than 0"},
		{[]string{"-seen-origins", "0"}, "-seen-origins 0: must be more than 0"},
		{[]string{"-slow-peer", "0s"}, "-slow-peer 0s: must be more than 0"},
		{[]string{"-max-hops", "0"}, "-max-hops 0: must be more than 0"},
		{[]string{"-max-hops", "70000"}, "-max-hops 70000: must be at most 65535"},
		{[]string{"-handshake-timeout", "0s"}, "-handshake-timeout 0s: must be more than 0"},
		{[]string{"-keepalive", "0s"}, "-keepalive 0s: must be more than 0"},
		{[]string{"-idle-timeout", "10s", "-keepalive", "20s"}, "-idle-timeout 10s: must be more than -keepalive (20s)"},
		{[]string{"-replay", "-1"}, "-replay -1: must be at least 0"},
		{[]string{"-replay", "5000"}, "-replay 5000: must be at most -queue (4096)"},
		{[]string{"-replay", "5"}, "-replay 5: replay is for -unsigned nodes"},
		{[]string{"-max-peers", "0"}, "-max-peers 0: must be more than 0"},
		{[]string{"-peers", "0"}, "-peers 0: must be more than 0"},
		{[]string{"-join", "127.0.0.1:1", "-peers", "9", "-max-peers", "4"}, "-peers 9: must be at most -max-peers (4)"},
		{[]string{"-timeout", "0s"}, "-timeout 0s: must be more than 0"},
		{[]string{"connect", "127.0.0.1:1"}, `"connect" is not a script file`},
		{[]string{"-json", "send", "hi"}, `"send" is not a script file`},
		{[]string{"conect", "127.0.0.1:1"}, "echo 'connect ADDR' | p2p"},
		{[]string{"-json", "sim"}, "sim is a subcommand: put it first (p2p sim)"},
		{[]string{"help", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"version", "x"}, "p2p version: takes no arguments"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"-listen", "127.0.0.1:0"}, tc.args...)
		if tc.args[0] == "help" || tc.args[0] == "version" {
			args = tc.args
		}
		code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, and %q", tc.args, code, out.String(), errOut.String(), tc.want)
		}
	}
	// A file that exists runs, whatever its name.
	if err := os.WriteFile("send", []byte("echo from a file named send\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"-listen", "127.0.0.1:0", "send"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "from a file named send") {
		t.Fatalf("a file named send: exit %d, %q %q", code, out.String(), errOut.String())
	}
}

// TestREPLTypo: in the REPL a line whose first word is one edit away from
// a command is refused, whatever follows it; other lines are sent.
func TestREPLTypo(t *testing.T) {
	s, out := testSession(t, "a")
	for _, l := range []string{"conect 127.0.0.1:57102", "quti", "stat now", "  disconect  b "} {
		err := s.replLine(context.Background(), l)
		if err == nil || !strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%q: %v, want a did-you-mean error", l, err)
		}
	}
	if got := s.n.Stats().Sent; got != 0 {
		t.Fatalf("%d typos were sent as messages", got)
	}
	for _, l := range []string{"hello there", "connection is slow", "go"} {
		if err := s.replLine(context.Background(), l); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
	if got := s.n.Stats().Sent; got != 3 {
		t.Fatalf("%d chat lines sent, want 3", got)
	}
	s.out.flush()
	if c := strings.Count(out.String(), "error: unknown command"); c != 4 {
		t.Errorf("%d errors printed, want 4:\n%s", c, out)
	}
}
