package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// command is one entry of the command table: everything the runners, the
// help and the completer know about a command.
type command struct {
	name    string
	args    string // argument synopsis, as in "ADDR"
	summary string // one line for the command list
	help    string // more, for `help NAME`
	text    bool   // takes the rest of the line as one text argument
	min     int    // fewest words after the name (for text: 1 if the text may not be empty)
	max     int    // most words (-1: any); ignored for text commands
	// complete returns candidates for argument number i (from 0) that
	// start with prefix; nil means no completion.
	complete func(s *Session, i int, prefix string) []string
	run      func(ctx context.Context, s *Session, c *call) error
}

// call is one invocation of a command.
type call struct {
	cmd   *command
	line  line
	pos   Pos
	depth int // source nesting
}

// commandTable is the table of commands, by name.
type commandTable struct {
	list   []*command // in the order help shows them
	byName map[string]*command
}

// errQuit is returned by quit and exit to stop the runner that ran them.
var errQuit = errors.New("quit")

// maxSourceDepth bounds nested `source` commands.
const maxSourceDepth = 16

func newCommandTable() *commandTable {
	list := []*command{
		{name: "connect", args: "ADDR", min: 1, max: 1, run: runConnect, complete: completeAddr,
			summary: "connect to the node listening at ADDR",
			help:    "Dials ADDR (host:port, e.g. 127.0.0.1:55555), exchanges HELLO and adds the node as a peer. Fails if nothing listens there, if it is this node, or if it is already a peer."},
		{name: "join", args: "ADDR", min: 1, max: 1, run: runJoin, complete: completeAddr,
			summary: "join the network through ADDR and keep -peers connections on your own",
			help:    "Connects to ADDR like connect, then turns auto-join on: the node asks its peers for addresses (GETPEERS) and dials them until it has -peers connections, and replaces peers that drop, with backoff. ADDR is retried in the background if it does not answer. See docs/joining.md."},
		{name: "known", run: runKnown, summary: "list the known addresses and their state",
			help: "One line per address: address, node name, state (connected, dialing, new, failed, self), failures in a row, who told us, and when a failed address is tried next."},
		{name: "disconnect", args: "PEER", min: 1, max: 1, run: runDisconnect, complete: completePeer,
			summary: "end the connection to PEER (a name, node id or address)",
			help:    "Flushes what is queued for PEER, says BYE and closes the connection."},
		{name: "send", args: "TEXT", text: true, min: 1, run: runSend,
			summary: "send TEXT to every peer; it floods the network",
			help:    "The rest of the line, spaces included, is the message. In the REPL a line that is not a command is sent the same way."},
		{name: "peers", run: runPeers, summary: "list the connected peers",
			help: "One line per peer: name, announced address, inbound or outbound, messages delivered from it, duplicates from it and copies sent to it; in tree mode the link's kind (link=eager, lazy, lazy:L/O for L of O origins, or flood)."},
		{name: "history", args: "[-n N] [-from NAME] [-since DURATION]", max: 6, run: runHistory,
			summary: "list the stored messages (what catch-up sends a peer that missed them)",
			help:    "One line per message, oldest first: when this node got it (UTC), its origin, its text. -n shows the last N, -from those of one origin, -since those of the last DURATION (e.g. 10m). The history keeps signed messages delivered or sent, at most -history-max messages, -history-bytes bytes and -history-age old."},
		{name: "seen", run: runSeen, summary: "list the remembered message ids",
			help: "One line per id, oldest first: id, origin, copies that arrived after the first. Details are forgotten after -seen-ttl or past -seen-max; a forgotten id stays delivered (the delivered log remembers it)."},
		{name: "stats", run: runStats, summary: "show the node's counters",
			help: "One counter per line: peers, seen, sent, delivered, duplicates, forwarded, frames and bytes in and out, transmissions, protocol errors, slow peers, refused connections, messages too long for a peer, origins in the delivered log (seen_origins) and times an origin's missing messages were given up (gap_jumps)."},
		{name: "wait", args: "[-t DURATION] peers N | message TEXT | message /REGEXP/ | messages N | lazy N | synced", min: 1, max: -1,
			run: runWait, complete: completeWait,
			summary: "wait for peers, a message or a count of messages",
			help: `wait peers N          until exactly N peers are connected (also >=N, <=N, >N, <N)
wait message TEXT     until a message with exactly TEXT is delivered
wait message /RE/     until a message whose text matches the regexp RE is delivered
wait messages N       until N messages have been delivered since the start (also >=N ...);
                      with an exact N it fails as soon as more than N have arrived
wait lazy N           (tree mode) until N links are lazy for at least one origin (also >=N ...)
wait synced           until every signed peer has answered a summary (catch-up): what it had is here
A message delivered before the wait counts, unless an earlier wait took it.
-t sets the timeout (default: the -timeout flag); a timeout is a failure.`},
		{name: "sleep", args: "DURATION", min: 1, max: 1, run: runSleep,
			summary: "pause, e.g. sleep 500ms (not for synchronising: use wait)"},
		{name: "echo", args: "[TEXT]", text: true, run: runEcho,
			summary: "print TEXT (after the events so far)"},
		{name: "source", args: "FILE", min: 1, max: 1, run: runSource, complete: completeFile,
			summary: "run the commands in FILE"},
		{name: "help", args: "[COMMAND]", max: 1, run: runHelp, complete: completeCommand,
			summary: "list the commands, or explain one"},
		{name: "quit", run: runQuit, summary: "close the node and leave (also: exit)"},
		{name: "exit", run: runQuit, summary: "close the node and leave (also: quit)"},
	}
	t := &commandTable{list: list, byName: make(map[string]*command, len(list))}
	for _, c := range list {
		t.byName[c.name] = c
	}
	return t
}

// usage is a command's synopsis.
func (c *command) usage() string {
	if c.args == "" {
		return c.name
	}
	return c.name + " " + c.args
}

// check verifies the number of arguments and says what is expected.
func (c *command) check(l line) error {
	if c.text {
		if c.min > 0 && l.rest == "" {
			return fmt.Errorf("%s needs %s (usage: %s)", c.name, c.args, c.usage())
		}
		return nil
	}
	n := len(l.args)
	switch {
	case n < c.min:
		return fmt.Errorf("%s needs %s (usage: %s)", c.name, c.args, c.usage())
	case c.max >= 0 && n > c.max:
		if c.max == 0 {
			return fmt.Errorf("%s takes no arguments (usage: %s)", c.name, c.usage())
		}
		return fmt.Errorf("%s takes at most %d argument(s), got %d (usage: %s)", c.name, c.max, n, c.usage())
	}
	return nil
}

// lookup finds a command, or says what the word is not.
func (t *commandTable) lookup(word string) (*command, error) {
	if c := t.byName[word]; c != nil {
		return c, nil
	}
	if near := t.near(word); near != "" {
		return nil, fmt.Errorf("unknown command %q: did you mean %s? (help lists the commands)", word, near)
	}
	return nil, fmt.Errorf("unknown command %q (help lists the commands; to send text, use: send TEXT)", word)
}

// near returns a command name one edit away from word, if there is one.
func (t *commandTable) near(word string) string {
	if len(word) < 3 || len(word) > 12 { // no command name is longer than 11
		return ""
	}
	for _, c := range t.list {
		if editDistance(word, c.name) <= 1 {
			return c.name
		}
	}
	return ""
}

// editDistance is the number of edits that turn a into b: inserting,
// deleting or changing a byte, or swapping two adjacent ones ("quti").
func editDistance(a, b string) int {
	// Three rows of the optimal string alignment table.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func runConnect(ctx context.Context, s *Session, c *call) error {
	addr := c.line.args[0]
	before := s.t.now()
	p, err := s.n.Connect(ctx, addr)
	if err != nil {
		return err
	}
	// Connect returns once the peer-up event is queued; wait until the pump
	// has handled it, so what follows is printed after "connected to".
	if err := s.t.wait(ctx, s.opts.timeout, func() (bool, error) { return s.t.upSinceLocked(p.ID, before), nil }); err != nil {
		// The peer is connected; only the wait for its line was cut short
		// (an interrupt, or an event pump stuck past the timeout).
		return fmt.Errorf("connect %s: connected to %s, but %w", addr, p.Name, err)
	}
	s.out.done("connect", newPeerLine(p))
	return nil
}

func runJoin(ctx context.Context, s *Session, c *call) error {
	addr := c.line.args[0]
	err := s.n.Join(ctx, addr)
	s.sync()
	if err != nil {
		return fmt.Errorf("join: %w (auto-join is on and will retry)", err)
	}
	s.out.done("join", addrLine{addr})
	return nil
}

func runKnown(ctx context.Context, s *Session, c *call) error {
	s.sync()
	s.out.known(s.n.Known())
	return nil
}

func runDisconnect(ctx context.Context, s *Session, c *call) error {
	who := c.line.args[0]
	if err := s.n.Disconnect(who); err != nil {
		return fmt.Errorf("%w (peers lists them)", err)
	}
	s.sync()
	s.out.done("disconnect", peerNameLine{who})
	return nil
}

func runSend(ctx context.Context, s *Session, c *call) error {
	sent, err := s.n.Send(c.line.rest)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	s.out.sent(sent)
	return nil
}

func runPeers(ctx context.Context, s *Session, c *call) error {
	s.sync()
	s.out.peers(s.n.Peers())
	return nil
}

func runSeen(ctx context.Context, s *Session, c *call) error {
	s.sync()
	s.out.seen(s.n.Seen())
	return nil
}

func runStats(ctx context.Context, s *Session, c *call) error {
	s.sync()
	s.out.stats(s.n.Stats())
	return nil
}

func runSleep(ctx context.Context, s *Session, c *call) error {
	d, err := time.ParseDuration(c.line.args[0])
	if err != nil || d < 0 {
		return fmt.Errorf("sleep: expected a duration such as 500ms or 2s, got %q", c.line.args[0])
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	s.out.done("sleep", durationLine{d.String()})
	return nil
}

func runEcho(ctx context.Context, s *Session, c *call) error {
	s.sync()
	s.out.notice("echo", c.line.rest)
	return nil
}

func runSource(ctx context.Context, s *Session, c *call) error {
	if c.depth >= maxSourceDepth {
		return fmt.Errorf("source: nested more than %d deep", maxSourceDepth)
	}
	name := sourcePath(c.pos.File, c.line.args[0])
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer f.Close()
	if err := s.runReader(ctx, name, f, c.depth+1); err != nil {
		return err
	}
	s.out.done("source", fileLine{name})
	return nil
}

// sourcePath resolves the FILE of `source FILE` run from the file from: a
// relative FILE is taken from from's directory, so a script finds the
// files next to it wherever p2p runs. From stdin ("stdin") or the REPL
// ("") that is the working directory.
func sourcePath(from, file string) string {
	if filepath.IsAbs(file) || from == "" || from == "stdin" {
		return file
	}
	return filepath.Join(filepath.Dir(from), file)
}

func runHelp(ctx context.Context, s *Session, c *call) error {
	if len(c.line.args) == 0 {
		s.out.notice("help", s.cmds.summary())
		return nil
	}
	cmd, err := s.cmds.lookup(c.line.args[0])
	if err != nil {
		return err
	}
	s.out.notice("help", cmd.helpText())
	return nil
}

// helpText is what `help NAME` prints.
func (c *command) helpText() string {
	text := "usage: " + c.usage() + "\n" + c.summary
	if c.help != "" {
		text += "\n" + c.help
	}
	return text
}

// summaryColumn is where the command list's summaries start; a synopsis
// too long for its column is on a line of its own, above its summary.
const summaryColumn = 31

// summary lists every command with its synopsis.
func (t *commandTable) summary() string {
	var b strings.Builder
	w := summaryColumn - 3
	for _, c := range t.list {
		if u := c.usage(); len(u) > w {
			fmt.Fprintf(&b, "  %s\n  %-*s %s\n", u, w, "", c.summary)
		} else {
			fmt.Fprintf(&b, "  %-*s %s\n", w, u, c.summary)
		}
	}
	b.WriteString("  (a command's arguments may use $VAR and ${VAR} from the environment)\n")
	return b.String()
}

func runQuit(ctx context.Context, s *Session, c *call) error {
	s.out.done("quit", nil)
	return errQuit
}

// Completion of arguments.

func completePeer(s *Session, i int, prefix string) []string {
	if i != 0 {
		return nil
	}
	var out []string
	for _, p := range s.n.Peers() {
		out = append(out, p.Name)
	}
	return out
}

// completeAddr offers the known addresses (node.Known: from connect, join,
// inbound peers and peer exchange) that are not connected now, nor this
// node's own.
func completeAddr(s *Session, i int, prefix string) []string {
	if i != 0 {
		return nil
	}
	var out []string
	for _, k := range s.n.Known() {
		if k.State != "connected" && k.State != "self" && k.Addr != s.n.Addr() {
			out = append(out, k.Addr)
		}
	}
	return out
}

func completeWait(s *Session, i int, prefix string) []string {
	if i == 0 {
		return []string{"peers", "message", "messages", "lazy", "synced", "-t"}
	}
	return nil
}

func completeCommand(s *Session, i int, prefix string) []string {
	if i != 0 {
		return nil
	}
	var out []string
	for _, c := range s.cmds.list {
		out = append(out, c.name)
	}
	return out
}

func completeFile(s *Session, i int, prefix string) []string {
	if i != 0 {
		return nil
	}
	matches, _ := filepath.Glob(globEscape(prefix) + "*")
	slices.Sort(matches)
	if len(matches) > 100 {
		matches = matches[:100]
	}
	return matches
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
