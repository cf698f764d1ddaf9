package script

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/p2p-chat/p2p/node"
)

// Version is the version -version prints.
const Version = "0.1.0"

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a command failed, or the node could not start
	exitUsage = 2 // bad flags
)

// closeBound is how long a signal may take to shut the node down before
// the process exits anyway.
const closeBound = 900 * time.Millisecond

// options are the parsed flags.
type options struct {
	cfg          node.Config
	json         bool
	addrFile     string
	history      string // "" disables the REPL history
	stay         bool
	keepGoing    bool
	timeout      time.Duration // default for wait
	maxInputLine int
	version      bool
	noHistory    bool
	identityFile string // -identity; "" for the default path
	dataDir      string // -data; "" keeps everything in memory
	ephemeral    bool   // -ephemeral: a throwaway key
	secretFile   string // -secret
	secretEnv    string // -secret-env
	httpAddr     string // -http: the live page's address; "" for none
	httpPages    int    // -http-pages: pages streaming events at once
	quietSent    bool   // -quiet-sent
}

// Main runs p2p with the process's signals: SIGINT and SIGTERM close the
// node gracefully and exit 0. It returns the exit status.
//
// In the REPL, SIGINT while a command runs (a long wait, a connect) stops
// that command instead: the terminal is in cooked mode then, so Ctrl-C
// arrives as a signal rather than as a key for readline.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	defer startProfile(stderr)()
	return runWithSignals(context.Background(), sigs, args, stdin, stdout, stderr)
}

// stopSignal is why p2p stopped: the context's cause after SIGINT or
// SIGTERM.
type stopSignal string

func (s stopSignal) Error() string { return "stopped by " + string(s) }

// subcommands are the words that, as the first argument, run something
// other than a node. Each returns an exit status.
func subcommands() map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int{
		"sim":     runSim,
		"help":    runHelpSub,
		"version": runVersionSub,
	}
}

// runHelpSub is `p2p help [COMMAND|sim]`: the usage, a command's help, or
// p2p sim's flags, on stdout.
func runHelpSub(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		_, fs := newFlagSet(stdout)
		usage(fs, stdout)
		return exitOK
	case len(args) == 1 && args[0] == "sim":
		return runSim(ctx, []string{"-h"}, stdin, stdout, stderr)
	case len(args) == 1:
		t := newCommandTable()
		cmd, err := t.lookup(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "p2p help: %v\n", err)
			return exitUsage
		}
		fmt.Fprintln(stdout, cmd.helpText())
		return exitOK
	}
	fmt.Fprintln(stderr, "p2p help: usage: p2p help [COMMAND]")
	return exitUsage
}

// runVersionSub is `p2p version`, the same as -version.
func runVersionSub(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "p2p version: takes no arguments")
		return exitUsage
	}
	printVersion(stdout)
	return exitOK
}

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "p2p %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Run is Main with a context: when ctx ends (a signal), the node closes
// and Run returns 0. Without file arguments, commands come from stdin: a
// readline REPL if stdin is a terminal, plain lines otherwise.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWithSignals(ctx, nil, args, stdin, stdout, stderr)
}

// runWithSignals is Run with the process's signals on sigs (nil: none):
// SIGTERM shuts down like ctx; SIGINT stops the REPL command that is
// running, or else shuts down too.
func runWithSignals(ctx context.Context, sigs <-chan os.Signal, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, shutdown := context.WithCancelCause(ctx)
	defer shutdown(nil)
	var box sessionBox
	if sigs != nil {
		go func() {
			for {
				var sig os.Signal
				select {
				case sig = <-sigs:
				case <-ctx.Done():
					return
				}
				if sig == syscall.SIGTERM {
					shutdown(stopSignal("SIGTERM"))
				} else if s := box.get(); s == nil || !s.interruptCommand() {
					shutdown(stopSignal("SIGINT"))
				}
			}
		}()
	}
	if len(args) > 0 {
		if sub := subcommands()[args[0]]; sub != nil {
			return sub(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	opts, files, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "p2p: %v\n", err)
		return exitUsage
	}
	if opts.version {
		printVersion(stdout)
		return exitOK
	}
	if err := checkFiles(files); err != nil {
		fmt.Fprintf(stderr, "p2p: %v\n", err)
		return exitUsage
	}
	out := newOutput(stdout, stderr, opts.json)
	out.quietSent = opts.quietSent
	defer out.close()
	s, err := newSession(opts, out, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "p2p: %v\n", err)
		return exitFail
	}
	box.set(s)

	tty, isTTY := terminal(stdin)
	switch {
	case len(files) > 0:
		err = s.runFiles(ctx, files)
	case isTTY:
		err = s.runREPL(ctx, tty, stdout, stderr)
	default:
		err = s.runReader(ctx, "stdin", stdin, 0)
	}
	if err == nil && opts.stay && ctx.Err() == nil {
		<-ctx.Done()
	}
	switch {
	case ctx.Err() != nil:
		s.closeWithin(closeBound)
		if s.failures > 0 {
			return exitFail
		}
		return exitOK
	case errors.Is(err, errQuit), err == nil:
		s.Close()
		if s.failures > 0 {
			return exitFail
		}
		return exitOK
	default:
		s.Close()
		return exitFail
	}
}

// runFiles runs script files in order.
func (s *Session) runFiles(ctx context.Context, files []string) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			s.out.commandError("", Pos{}, err)
			s.failures++
			if s.opts.keepGoing {
				continue
			}
			return errFailed
		}
		err = s.runReader(ctx, name, f, 0)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// terminal returns r as a file and true if it is a terminal, which is when
// the REPL is used; pipes and files are read as plain lines.
func terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// checkFiles refuses a script file argument that does not exist and is a
// command word or a subcommand (p2p connect ADDR, p2p helo): the user
// meant a command, and p2p would otherwise start a node and then fail to
// open the file.
func checkFiles(files []string) error {
	cmds := newCommandTable()
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			continue
		}
		word := f
		if cmds.byName[word] == nil {
			word = cmds.near(f)
		}
		if word != "" {
			return fmt.Errorf("%q is not a script file (there is none of that name) and commands are not arguments: give them on stdin (echo '%s' | p2p) or in a file (p2p FILE); p2p -h lists them", f, cmds.byName[word].usage())
		}
		if _, ok := subcommands()[f]; ok {
			return fmt.Errorf("%s is a subcommand: put it first (p2p %s)", f, f)
		}
	}
	return nil
}

// parseFlags turns the command line into options and the script files to
// run. -h prints the usage on stdout and returns flag.ErrHelp; any other
// error names the flag and is for stderr.
func parseFlags(args []string, stdout, stderr io.Writer) (*options, []string, error) {
	o, fs := newFlagSet(stdout)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, stdout)
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%v (p2p -h lists the flags)", err)
	}
	if o.noHistory {
		o.history = ""
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if !explicit["max-peers"] {
		// With auto-join the maximum is twice the target (see docs/joining.md);
		// a later join command keeps the default so plain connects still work.
		if len(o.cfg.Join) > 0 {
			o.cfg.MaxPeers = 2 * o.cfg.TargetPeers
		}
	}
	if err := checkFlags(o); err != nil {
		return nil, nil, err
	}
	if err := loadSecret(o, os.LookupEnv); err != nil {
		return nil, nil, err
	}
	o.maxInputLine = max(o.cfg.MaxLineBytes, 512)
	// Quitting waits this long for each peer to close its side after BYE,
	// so a signal ends p2p within the second the issue asks for; the flush
	// itself is not cut short by it.
	o.cfg.CloseTimeout = 500 * time.Millisecond
	return o, fs.Args(), nil
}

// newFlagSet returns the flags, set to their defaults, and the options
// they fill. Parse errors are not printed (the caller does).
func newFlagSet(stdout io.Writer) (*options, *flag.FlagSet) {
	d := node.DefaultConfig()
	o := &options{cfg: d}
	fs := flag.NewFlagSet("p2p", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.cfg.ListenAddr, "listen", "", "listen on `ADDR` (default "+node.DefaultListenAddr+", or the next free port after it); port 0 picks any free port")
	fs.StringVar(&o.cfg.Name, "name", "", "this node's `NAME`: 1 to 64 of A-Z a-z 0-9 . _ - (default node- and 6 characters of its id)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per line for every event and command result")
	fs.StringVar(&o.addrFile, "addr-file", "", "write the bound address to `PATH` (atomically) once listening")
	fs.StringVar(&o.history, "history", defaultHistory(), "REPL history `FILE`; empty disables it")
	fs.BoolVar(&o.noHistory, "no-history", false, "do not read or write a REPL history")
	fs.BoolVar(&o.stay, "stay", false, "at the end of the input keep running (as a relay) until SIGINT or SIGTERM")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "after a failed command carry on with the next; exit 1 at the end")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "default timeout of wait (more than 0)")
	fs.DurationVar(&o.cfg.SeenTTL, "seen-ttl", d.SeenTTL, "forget a message id's details (the seen command) after this long; it stays delivered (more than 0)")
	fs.IntVar(&o.cfg.SeenMax, "seen-max", d.SeenMax, "keep the details of at most this many message ids; forgotten ones stay delivered (at least 1)")
	fs.IntVar(&o.cfg.SeenOrigins, "seen-origins", d.SeenOrigins, "remember which messages were delivered for at most this many origin nodes; past it the one heard from least recently is forgotten, and a late copy of its messages would be delivered again (at least 1)")
	fs.IntVar(&o.cfg.MaxLineBytes, "max-line", d.MaxLineBytes, "longest frame in bytes, on the wire and in scripts (512 to 1073741824)")
	fs.IntVar(&o.cfg.QueueFrames, "queue", d.QueueFrames, "frames queued per peer before the sender waits for room (16 times it: the hard limit; at least 1)")
	fs.IntVar(&o.cfg.QueueBytes, "queue-bytes", d.QueueBytes, "bytes queued per peer before the sender waits for room (16 times it: the hard limit; at least 1)")
	fs.DurationVar(&o.cfg.SlowPeerTimeout, "slow-peer", d.SlowPeerTimeout, "disconnect a peer that takes nothing from its full send queue this long (more than 0)")
	fs.IntVar(&o.cfg.MaxHops, "max-hops", d.MaxHops, "deliver but do not forward a message that crossed this many links (1 to 65535)")
	fs.DurationVar(&o.cfg.HandshakeTimeout, "handshake-timeout", d.HandshakeTimeout, "drop a connection that says no HELLO within this long (more than 0)")
	fs.DurationVar(&o.cfg.KeepAlive, "keepalive", d.KeepAlive, "send PING to a peer after this long without sending (more than 0)")
	fs.DurationVar(&o.cfg.IdleTimeout, "idle-timeout", d.IdleTimeout, "disconnect a peer silent for this long (more than -keepalive)")
	fs.IntVar(&o.cfg.Replay, "replay", d.Replay, "unsigned nodes (-unsigned): send this many recent messages to every new peer (0: off; at most -queue); signed nodes have catch-up instead")
	fs.IntVar(&o.cfg.MaxPeers, "max-peers", d.MaxPeers, "most connected peers (default 64, or twice -peers with -join; at least 1)")
	fs.Func("join", "join the network through the node at `ADDR` and keep -peers connections (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("empty address")
		}
		o.cfg.Join = append(o.cfg.Join, v)
		return nil
	})
	fs.IntVar(&o.cfg.TargetPeers, "peers", d.TargetPeers, "with -join or join: connections to keep (at least 1, at most -max-peers)")
	fs.StringVar(&o.dataDir, "data", "", "keep the history, what was delivered and the node's key (DIR/key.pem, unless -identity) in `DIR` across restarts (an embedded database, DIR/p2p.db)")
	fs.StringVar(&o.identityFile, "identity", "", "the node's key `FILE` (ed25519, PEM, mode 0600; made if missing) (default <config dir>/p2p/keys/NAME.pem)")
	fs.StringVar(&o.secretFile, "secret", "", "a private network: only nodes with the secret in `FILE` (at least 16 bytes, mode 0600) connect, encrypted")
	fs.StringVar(&o.secretEnv, "secret-env", "", "the same, with the secret in environment variable `VAR`")
	fs.BoolVar(&o.ephemeral, "ephemeral", false, "run with a throwaway key: a new node id every start, no key file")
	fs.BoolVar(&o.cfg.Unsigned, "unsigned", false, "speak protocol 1 only: no key, no signatures, every message believed (the tutorial's network; for lessons and benchmarks)")
	fs.BoolVar(&o.cfg.AllowUnsigned, "allow-unsigned", false, "let unsigned (protocol 1) peers in, such as netcat; their messages are shown as unverified, via that peer")
	fs.DurationVar(&o.cfg.MaxClockSkew, "max-clock-skew", d.MaxClockSkew, "refuse a signed message whose time is further ahead of this node's clock (more than 0)")
	fs.IntVar(&o.cfg.ControlRate, "control-rate", d.ControlRate, "control frames (PING, GETPEERS, PEERS, ERR, unknown) a peer may send a second; past it they are dropped (at least 1)")
	fs.IntVar(&o.cfg.ControlBurst, "control-burst", d.ControlBurst, "control frames a peer may send at once (at least 1)")
	fs.IntVar(&o.cfg.Patience, "patience", d.Patience, "dropped control frames a peer may send (one forgiven a second) before it is cut for misbehaving (at least 1)")
	fs.IntVar(&o.cfg.DialRate, "dial-rate", d.DialRate, "auto-join dials a second at most, all addresses together (burst twice that; at least 1)")
	fs.DurationVar(&o.cfg.PenaltyTime, "penalty", d.PenaltyTime, "how long the address of a peer cut for misbehaving is not dialled or let in (more than 0)")
	fs.IntVar(&o.cfg.HistoryMax, "history-max", d.HistoryMax, "keep at most this many signed messages in the history, for catch-up and the history command (at least 1)")
	fs.IntVar(&o.cfg.HistoryBytes, "history-bytes", d.HistoryBytes, "keep at most this many bytes of messages in the history (at least 1)")
	fs.DurationVar(&o.cfg.HistoryAge, "history-age", d.HistoryAge, "forget a message from the history after this long (more than 0)")
	fs.DurationVar(&o.cfg.SyncEvery, "sync-every", d.SyncEvery, "send every peer a summary of what this node has, for catch-up, this often (and when a link comes up; more than 0)")
	fs.StringVar(&o.cfg.Mode, "mode", d.Mode, "how messages spread: flood (the tutorial's: every peer gets every message) or tree (Plumtree: a spanning tree per origin, IHAVE on the other links)")
	fs.DurationVar(&o.cfg.GraftTimeout, "graft-timeout", d.GraftTimeout, "tree mode: ask for a message announced by IHAVE that did not come within this long (GRAFT), the next announcer after half of it (more than 0)")
	fs.DurationVar(&o.cfg.IHaveDelay, "ihave-delay", d.IHaveDelay, "tree mode: send IHAVE in batches, at most this long after a batch's first id (more than 0)")
	fs.IntVar(&o.cfg.TreeCache, "tree-cache", d.TreeCache, "tree mode: messages kept to answer GRAFT; four times as many missing messages are waited for (at least 1)")
	fs.IntVar(&o.cfg.TreeCacheBytes, "tree-cache-bytes", d.TreeCacheBytes, "tree mode: bytes of messages kept to answer GRAFT (at least 1)")
	fs.IntVar(&o.cfg.KeyCache, "key-cache", d.KeyCache, "signed messages: origins whose public keys are kept expanded, for verifying their messages faster (about 1.5 KB each; at least 1)")
	fs.IntVar(&o.cfg.TreeOrigins, "tree-origins", d.TreeOrigins, "tree mode: origins whose trees are kept; past it the least recently used is forgotten and its next message flooded (at least 1)")
	fs.IntVar(&o.cfg.GraftRate, "graft-rate", d.GraftRate, "tree mode: messages a peer may ask for by GRAFT a second (burst the same); past it GRAFT is ignored (at least 1)")
	fs.StringVar(&o.httpAddr, "http", "", "serve a page of what this node sees (peers, known addresses, counters, messages as they arrive) with a send box at `ADDR`, e.g. 127.0.0.1:8080 (anyone who can reach ADDR can read it all and send as this node: keep it on loopback)")
	fs.IntVar(&o.httpPages, "http-pages", 8, "with -http: pages streaming events at once (at least 1)")
	fs.BoolVar(&o.quietSent, "quiet-sent", false, "with -json, print no sent line for each send (bulk sends; errors are still printed)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return o, fs
}

// Bounds that node.Config checks too; p2p checks them first so that the
// error names the flag (node's errors name Config fields).
const (
	minMaxLine = 512 // node's least line limit
	maxMaxLine = 1 << 30
	maxHops    = 65535 // the most a hop count on the wire may be
)

// checkFlags refuses flag values the node would refuse or would replace
// by its default (a zero), naming the flag.
func checkFlags(o *options) error {
	c := &o.cfg
	type bound struct {
		flag     string
		val, min int64
	}
	for _, b := range []bound{
		{"timeout", int64(o.timeout), 1},
		{"seen-ttl", int64(c.SeenTTL), 1},
		{"seen-max", int64(c.SeenMax), 1},
		{"seen-origins", int64(c.SeenOrigins), 1},
		{"queue", int64(c.QueueFrames), 1},
		{"queue-bytes", int64(c.QueueBytes), 1},
		{"slow-peer", int64(c.SlowPeerTimeout), 1},
		{"max-hops", int64(c.MaxHops), 1},
		{"handshake-timeout", int64(c.HandshakeTimeout), 1},
		{"keepalive", int64(c.KeepAlive), 1},
		{"idle-timeout", int64(c.IdleTimeout), 1},
		{"replay", int64(c.Replay), 0},
		{"max-peers", int64(c.MaxPeers), 1},
		{"peers", int64(c.TargetPeers), 1},
		{"max-line", int64(c.MaxLineBytes), minMaxLine},
		{"max-clock-skew", int64(c.MaxClockSkew), 1},
		{"control-rate", int64(c.ControlRate), 1},
		{"control-burst", int64(c.ControlBurst), 1},
		{"patience", int64(c.Patience), 1},
		{"penalty", int64(c.PenaltyTime), 1},
		{"dial-rate", int64(c.DialRate), 1},
		{"graft-timeout", int64(c.GraftTimeout), 1},
		{"ihave-delay", int64(c.IHaveDelay), 1},
		{"tree-cache", int64(c.TreeCache), 1},
		{"tree-cache-bytes", int64(c.TreeCacheBytes), 1},
		{"tree-origins", int64(c.TreeOrigins), 1},
		{"key-cache", int64(c.KeyCache), 1},
		{"graft-rate", int64(c.GraftRate), 1},
		{"history-max", int64(c.HistoryMax), 1},
		{"history-bytes", int64(c.HistoryBytes), 1},
		{"history-age", int64(c.HistoryAge), 1},
		{"sync-every", int64(c.SyncEvery), 1},
		{"http-pages", int64(o.httpPages), 1},
	} {
		if b.val < b.min {
			if b.min == 1 {
				return fmt.Errorf("-%s %s: must be more than 0", b.flag, flagValue(b.flag, b.val))
			}
			return fmt.Errorf("-%s %s: must be at least %d", b.flag, flagValue(b.flag, b.val), b.min)
		}
	}
	switch {
	case c.Mode != "flood" && c.Mode != "tree":
		return fmt.Errorf("-mode %q: it is flood or tree", c.Mode)
	case c.Mode == "tree" && c.Unsigned:
		return fmt.Errorf("-mode tree: tree mode needs signed messages; leave out -unsigned")
	case c.Unsigned && (o.identityFile != "" || o.ephemeral):
		return fmt.Errorf("-unsigned: an unsigned node has no key; leave out -identity and -ephemeral")
	case o.secretFile != "" && o.secretEnv != "":
		return fmt.Errorf("-secret and -secret-env: give the secret one way")
	case o.ephemeral && o.identityFile != "":
		return fmt.Errorf("-ephemeral: a throwaway key has no file; leave out -identity")
	case c.MaxLineBytes > maxMaxLine:
		return fmt.Errorf("-max-line %d: must be at most %d", c.MaxLineBytes, maxMaxLine)
	case c.MaxHops > maxHops:
		return fmt.Errorf("-max-hops %d: must be at most %d", c.MaxHops, maxHops)
	case c.IdleTimeout <= c.KeepAlive:
		return fmt.Errorf("-idle-timeout %v: must be more than -keepalive (%v)", c.IdleTimeout, c.KeepAlive)
	case c.Replay > c.QueueFrames:
		return fmt.Errorf("-replay %d: must be at most -queue (%d)", c.Replay, c.QueueFrames)
	case c.Replay > 0 && !c.Unsigned:
		return fmt.Errorf("-replay %d: replay is for -unsigned nodes; a signed node sends a new peer what it missed by itself (catch-up)", c.Replay)
	case len(c.Join) > 0 && c.TargetPeers > c.MaxPeers:
		return fmt.Errorf("-peers %d: must be at most -max-peers (%d)", c.TargetPeers, c.MaxPeers)
	}
	return nil
}

// durationFlags are the flags whose values are durations, for messages.
var durationFlags = map[string]bool{"timeout": true, "seen-ttl": true, "slow-peer": true,
	"handshake-timeout": true, "keepalive": true, "idle-timeout": true, "max-clock-skew": true, "penalty": true,
	"graft-timeout": true, "ihave-delay": true, "history-age": true, "sync-every": true}

func flagValue(name string, v int64) string {
	if durationFlags[name] {
		return time.Duration(v).String()
	}
	return fmt.Sprint(v)
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `p2p is a flood-fill peer-to-peer chat node.

usage:
  p2p [flags]               commands from the terminal (a REPL), or from a pipe
  p2p [flags] FILE...       commands from script files, in order
  p2p sim [flags]           simulate many nodes in one process (p2p sim -h)
  p2p help [COMMAND]        this text, or a command's help
  p2p version               the version

In the REPL a line that is not a command is sent as a message. In pipes and
files every line is a command; # starts a comment. A failed command prints
FILE:LINE: error on stderr and p2p exits 1 (see -keep-going). At the end of
the input p2p flushes and exits 0 (see -stay). SIGINT/SIGTERM close it.

commands:
`)
	fmt.Fprint(w, newCommandTable().summary())
	fmt.Fprint(w, "\nflags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, "\nSee docs/commands.md for the output lines and JSON fields.\n")
}

// defaultHistory is the REPL history file: in $XDG_STATE_HOME/p2p if set,
// else in the user's config directory; "" if neither is known.
func defaultHistory() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "p2p", "history")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "p2p", "history")
	}
	return ""
}
