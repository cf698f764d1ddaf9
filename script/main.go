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
}

// Main runs p2p with the process's signals: SIGINT and SIGTERM close the
// node gracefully and exit 0. It returns the exit status.
//
// In the REPL, SIGINT while a command runs (a long wait, a connect) stops
// that command instead: the terminal is in cooked mode then, so Ctrl-C
// arrives as a signal rather than as a key for readline.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ints := make(chan os.Signal, 1)
	signal.Notify(ints, os.Interrupt)
	defer signal.Stop(ints)
	return runWithSignals(ctx, ints, args, stdin, stdout, stderr)
}

// subcommands are the words that, as the first argument, run something
// other than a node. Each returns an exit status.
func subcommands() map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int{
		"sim": runSim,
	}
}

// Run is Main with a context: when ctx ends (a signal), the node closes
// and Run returns 0. Without file arguments, commands come from stdin: a
// readline REPL if stdin is a terminal, plain lines otherwise.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWithSignals(ctx, nil, args, stdin, stdout, stderr)
}

// runWithSignals is Run with the process's SIGINTs on ints (nil: none): each one
// stops the REPL command that is running, or else shuts down like ctx.
func runWithSignals(ctx context.Context, ints <-chan os.Signal, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, shutdown := context.WithCancel(ctx)
	defer shutdown()
	var box sessionBox
	if ints != nil {
		go func() {
			for {
				select {
				case <-ints:
				case <-ctx.Done():
					return
				}
				if s := box.get(); s == nil || !s.interruptCommand() {
					shutdown()
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
		return exitUsage
	}
	if opts.version {
		fmt.Fprintf(stdout, "p2p %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	out := newOutput(stdout, stderr, opts.json)
	defer out.close()
	s, err := newSession(opts, out, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "p2p: %v\n", err)
		return exitFail
	}
	box.set(s)

	switch {
	case len(files) > 0:
		err = s.runFiles(ctx, files)
	case isTerminal(stdin):
		err = s.runREPL(ctx, stdin.(*os.File), stdout, stderr)
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

// isTerminal reports whether r is a terminal, which is when the REPL is
// used; pipes and files are read as plain lines.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseFlags turns the command line into options and the script files to
// run.
func parseFlags(args []string, stdout, stderr io.Writer) (*options, []string, error) {
	d := node.DefaultConfig()
	o := &options{cfg: d}
	fs := flag.NewFlagSet("p2p", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.ListenAddr, "listen", "", "listen on `ADDR` (default "+node.DefaultListenAddr+", or the next free port after it); port 0 picks any free port")
	fs.StringVar(&o.cfg.Name, "name", "", "this node's `NAME`: 1 to 64 of A-Z a-z 0-9 . _ - (default node- and 6 characters of its id)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per line for every event and command result")
	fs.StringVar(&o.addrFile, "addr-file", "", "write the bound address to `PATH` (atomically) once listening")
	fs.StringVar(&o.history, "history", defaultHistory(), "REPL history `FILE`; empty disables it")
	noHistory := fs.Bool("no-history", false, "do not read or write a REPL history")
	fs.BoolVar(&o.stay, "stay", false, "at the end of the input keep running (as a relay) until SIGINT or SIGTERM")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "after a failed command carry on with the next; exit 1 at the end")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "default timeout of wait")
	fs.DurationVar(&o.cfg.SeenTTL, "seen-ttl", d.SeenTTL, "forget a message id after this long")
	fs.IntVar(&o.cfg.SeenMax, "seen-max", d.SeenMax, "remember at most this many message ids")
	fs.IntVar(&o.cfg.MaxLineBytes, "max-line", d.MaxLineBytes, "longest frame in bytes, on the wire and in scripts")
	fs.IntVar(&o.cfg.QueueFrames, "queue", d.QueueFrames, "frames queued per peer before the sender waits for room (16 times it: slow peer)")
	fs.IntVar(&o.cfg.QueueBytes, "queue-bytes", d.QueueBytes, "bytes queued per peer before the sender waits for room (16 times it: slow peer)")
	fs.DurationVar(&o.cfg.SlowPeerTimeout, "slow-peer", d.SlowPeerTimeout, "disconnect a peer that takes nothing from its full send queue this long")
	fs.IntVar(&o.cfg.MaxHops, "max-hops", d.MaxHops, "deliver but do not forward a message that crossed this many links")
	fs.DurationVar(&o.cfg.HandshakeTimeout, "handshake-timeout", d.HandshakeTimeout, "drop a connection that says no HELLO within this long")
	fs.DurationVar(&o.cfg.KeepAlive, "keepalive", d.KeepAlive, "send PING to a peer after this long without sending")
	fs.DurationVar(&o.cfg.IdleTimeout, "idle-timeout", d.IdleTimeout, "disconnect a peer silent for this long")
	fs.IntVar(&o.cfg.Replay, "replay", d.Replay, "send this many recent messages to every new peer (0: off)")
	fs.IntVar(&o.cfg.MaxPeers, "max-peers", d.MaxPeers, "most connected peers (default 64, or twice -peers with -join)")
	fs.Func("join", "join the network through the node at `ADDR` and keep -peers connections (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("empty address")
		}
		o.cfg.Join = append(o.cfg.Join, v)
		return nil
	})
	fs.IntVar(&o.cfg.TargetPeers, "peers", d.TargetPeers, "with -join or join: connections to keep")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if *noHistory {
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
	if o.timeout <= 0 {
		fmt.Fprintln(stderr, "p2p: -timeout must be positive")
		return nil, nil, errors.New("bad -timeout")
	}
	o.maxInputLine = max(o.cfg.MaxLineBytes, 512)
	// Quitting waits this long for each peer to close its side after BYE,
	// so a signal ends p2p within the second the issue asks for; the flush
	// itself is not cut short by it.
	o.cfg.CloseTimeout = 500 * time.Millisecond
	return o, fs.Args(), nil
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `p2p is a flood-fill peer-to-peer chat node.

usage:
  p2p [flags]               commands from the terminal (a REPL), or from a pipe
  p2p [flags] FILE...       commands from script files, in order
  p2p sim [flags]           simulate many nodes in one process (p2p sim -h)

In the REPL a line that is not a command is sent as a message. In pipes and
files every line is a command; # starts a comment. A failed command prints
FILE:LINE: error on stderr and p2p exits 1 (see -keep-going). At the end of
the input p2p flushes and exits 0 (see -stay). SIGINT/SIGTERM close it.

commands:
`)
	fmt.Fprint(w, newCommandTable().summary())
	fmt.Fprint(w, "\nflags:\n")
	fs.PrintDefaults()
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
