package script

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/p2p-chat/p2p/node/sim"
	"github.com/p2p-chat/p2p/node/sim/picture"
)

// runSim is `p2p sim`: many nodes of the real node package in one process,
// over the in-memory transport, and what flooding costs them. It exits 0
// when every node delivered every message, 1 when deliveries are missing
// (after printing what was measured) or the run failed, 2 for bad flags.
func runSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("p2p sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed below, the usage on -h to stdout
	fs.Usage = func() {}
	fs.IntVar(&cfg.Nodes, "n", cfg.Nodes, "number of nodes")
	fs.IntVar(&cfg.Degree, "d", cfg.Degree, "degree (regular), mean degree (random) or target degree (joined)")
	fs.StringVar(&cfg.Topology, "topology", cfg.Topology, "one of "+strings.Join(sim.Topologies, ", "))
	fs.IntVar(&cfg.Messages, "messages", cfg.Messages, "messages to flood, in all")
	fs.IntVar(&cfg.Senders, "senders", cfg.Senders, "nodes that send (the first ones), sharing the messages")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed: the same seed builds the same graph, for every topology")
	fs.IntVar(&cfg.TextBytes, "text-bytes", cfg.TextBytes, "length of each message text")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "give up if the messages have not reached every node by then")
	engine := fs.String("engine", "real", "real: nodes of package node over the in-memory transport; virtual: the flood rule alone on a virtual clock (deterministic, to 100,000 nodes and more)")
	latency := fs.Duration("latency", 10*time.Millisecond, "with -engine virtual: the delay of each link crossing")
	jitter := fs.Duration("jitter", 5*time.Millisecond, "with -engine virtual: up to this much more, drawn from the seed")
	mode := fs.String("mode", "flood", "with -engine virtual: the broadcast rule, flood or tree (Plumtree)")
	warmup := fs.Int("warmup", 5, "with -engine virtual: first messages left out of rmr_after_warmup")
	killFrac := fs.Float64("kill", 0, "with -engine virtual: the fraction of nodes (0 to 0.5, never a sender) that die halfway")
	partition := fs.Bool("partition", false, "with -engine virtual: cut the links between the two halves of the nodes for the middle third of the messages (every other message sent from the second half), then heal them and catch up")
	offline := fs.Float64("offline", 0, "with -engine virtual: the fraction of nodes (0 to 0.5, never a sender) away for the middle third of the messages, then back and catching up")
	loss := fs.Float64("loss", 0, "with -engine virtual: the chance (0 to 0.5) that a frame crossing a link is lost")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	dot := fs.String("dot", "", "write the topology in Graphviz DOT to `FILE`, with the first message's spanning tree marked")
	var pics pictures
	fs.StringVar(&pics.gif, "gif", "", "write an animated GIF of the run's last message to `FILE` (virtual engine; with -mode both, flood beside tree)")
	fs.StringVar(&pics.svg, "svg", "", "write an SVG still of the run's last message to `FILE` (virtual engine; with -mode both, flood beside tree)")
	serve := fs.String("serve", "", "serve a page that replays the run, with play, step, a sender and kills chosen by clicking, at `ADDR` (virtual engine; e.g. 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, simUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "p2p sim: %v (p2p sim -h lists the flags)\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "p2p sim: unexpected argument %q (p2p sim -h lists the flags)\n", fs.Arg(0))
		return exitUsage
	}
	if err := sim.Check(cfg); err != nil {
		fmt.Fprintf(stderr, "p2p sim: %v\n", err)
		return exitUsage
	}
	engineSet := false
	fs.Visit(func(f *flag.Flag) { engineSet = engineSet || f.Name == "engine" })
	if pics.wanted() || *serve != "" {
		if engineSet && *engine != "virtual" {
			fmt.Fprintf(stderr, "p2p sim: -gif, -svg and -serve draw the virtual engine's runs: leave out -engine or say -engine virtual\n")
			return exitUsage
		}
		*engine = "virtual"
		if *serve != "" && (pics.wanted() || *dot != "" || *asJSON) {
			fmt.Fprintf(stderr, "p2p sim: -serve serves the run until interrupted: leave out -gif, -svg, -dot and -json (run them apart)\n")
			return exitUsage
		}
		if err := checkDrawable(cfg, *serve != "", *offline, *partition); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitUsage
		}
	}
	if *engine != "real" && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -engine %q: use real or virtual\n", *engine)
		return exitUsage
	}
	if *mode != "flood" && *mode != "tree" && *mode != "both" {
		fmt.Fprintf(stderr, "p2p sim: -mode %q: use flood, tree or both\n", *mode)
		return exitUsage
	}
	if *mode != "flood" && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -mode %s needs -engine virtual (the real engine floods; real nodes run tree mode with p2p -mode tree)\n", *mode)
		return exitUsage
	}
	if *killFrac < 0 || *killFrac > 0.5 || *killFrac > 0 && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -kill is a fraction from 0 to 0.5, with -engine virtual\n")
		return exitUsage
	}
	if *partition && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -partition needs -engine virtual\n")
		return exitUsage
	}
	if *offline < 0 || *offline > 0.5 || *offline > 0 && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -offline is a fraction from 0 to 0.5, with -engine virtual\n")
		return exitUsage
	}
	if *loss < 0 || *loss > 0.5 || *loss > 0 && *engine != "virtual" {
		fmt.Fprintf(stderr, "p2p sim: -loss is a chance from 0 to 0.5, with -engine virtual\n")
		return exitUsage
	}
	if *latency < 0 || *jitter < 0 || *warmup < 0 {
		fmt.Fprintf(stderr, "p2p sim: -latency and -jitter must not be negative\n")
		return exitUsage
	}
	// Open the -dot file first, so that a path that cannot be written
	// fails before the run rather than after it.
	var dotFile *os.File
	if *dot != "" {
		f, err := os.Create(*dot)
		if err != nil {
			fmt.Fprintf(stderr, "p2p sim: -dot: %v\n", err)
			return exitFail
		}
		dotFile = f
		defer f.Close()
	}
	vcfg := sim.VirtualConfig{Config: cfg, Latency: *latency, Jitter: *jitter, Warmup: *warmup, Kill: *killFrac, Loss: *loss, Offline: *offline, Partition: *partition}
	if *serve != "" {
		return serveSim(ctx, stdout, stderr, *serve, vcfg, *mode)
	}
	var res *sim.Result
	var runErr error
	if *mode == "both" {
		var dotW io.Writer // a nil *os.File would not be a nil io.Writer
		if dotFile != nil {
			dotW = dotFile
		}
		return simBoth(stdout, stderr, vcfg, *asJSON, dotW, pics)
	}
	if *engine == "virtual" {
		vcfg.Mode = *mode
		if pics.wanted() {
			vcfg.Trace = &sim.Trace{}
		}
		res, runErr = sim.RunVirtual(vcfg)
		if res != nil && pics.wanted() {
			if err := pics.write([]picture.Run{{Result: res, Trace: vcfg.Trace}}, []string{*mode}); err != nil {
				fmt.Fprintf(stderr, "p2p sim: %v\n", err)
				return exitFail
			}
		}
	} else {
		prog := &simProgress{w: stderr, tty: isTerminalWriter(stderr)}
		cfg.Progress = prog.update
		res, runErr = sim.Run(ctx, cfg)
		prog.end()
	}
	if res == nil { // the network could not be built
		if dotFile != nil {
			dotFile.Close()
			os.Remove(*dot)
		}
		fmt.Fprintf(stderr, "p2p sim: %v\n", runErr)
		return exitFail
	}
	status := exitOK
	if dotFile != nil {
		err := sim.WriteDOT(dotFile, res)
		if cerr := dotFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "p2p sim: -dot: %v\n", err)
			status = exitFail
		}
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitFail
		}
	} else {
		printSim(stdout, res)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "p2p sim: %v\n", runErr)
		return exitFail
	}
	return status
}

const simUsage = `usage: p2p sim [flags]

Runs -n nodes in one process over the in-memory transport, floods -messages
messages and reports deliveries, transmissions and duplicates per message next
to the references N*D, N(D-1)+1 and N-1, and the links cut during the run.
Progress goes to stderr (on a terminal, or once a run takes over a second).
Exits 1 when a delivery is missing, 2 for bad flags. See docs/bandwidth.md.

flags:
`

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// simProgress shows a run's progress on stderr: on a terminal, one line
// rewritten in place from the start; elsewhere (a pipe, a log file), a
// line every second once the run has taken more than a second, so that
// short runs print nothing more.
type simProgress struct {
	w   io.Writer
	tty bool

	mu      sync.Mutex // guards the fields below
	last    time.Duration
	showing bool // on a terminal: a progress line is showing
}

func (p *simProgress) update(pr sim.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(pr))
		p.showing = true
	case pr.Elapsed >= time.Second && pr.Elapsed-p.last >= time.Second:
		p.last = pr.Elapsed.Truncate(time.Second)
		fmt.Fprintln(p.w, progressLine(pr))
	}
}

// end clears the terminal line, so that the result starts on a clean line.
func (p *simProgress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.showing {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.showing = false
	}
}

func progressLine(pr sim.Progress) string {
	line := fmt.Sprintf("p2p sim: %.1f s, %s: %d nodes up, %d of %d links", pr.Elapsed.Seconds(), pr.Phase,
		pr.Nodes, pr.Links, pr.LinksWant)
	if pr.Expected > 0 {
		line += fmt.Sprintf(", %d of %d deliveries (%.0f%%)", pr.Deliveries, pr.Expected,
			100*float64(pr.Deliveries)/float64(pr.Expected))
	}
	if pr.LinksCut > 0 {
		line += fmt.Sprintf(", %d links cut", pr.LinksCut)
	}
	return line
}

// printSim prints the result as a table.
func printSim(w io.Writer, r *sim.Result) {
	fmt.Fprintf(w, "p2p sim: %s, %d nodes, %d edges (mean degree D = %.2f), %d messages from %d sender(s), seed %d\n\n",
		r.Topology, r.Nodes, r.Edges, r.Degree, r.Messages, r.Senders, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\ttotal\tper message\t\n")
	fmt.Fprintf(tw, "deliveries\t%d\t%.1f\t\n", r.Deliveries, r.DeliveriesPerMessage)
	fmt.Fprintf(tw, "transmissions\t%d\t%.1f\t\n", r.Transmission, r.TransmissionsPerMessage)
	fmt.Fprintf(tw, "duplicates\t%d\t%.1f\t\n", r.Duplicates, r.DuplicatesPerMessage)
	tw.Flush()
	fmt.Fprintf(w, "\nreferences per message: N*D = %.0f (the tutorial), N(D-1)+1 = %.0f (not back to the sender), N-1 = %.0f (a spanning tree)\n",
		r.RefTutorial, r.RefNoSendBack, r.RefSpanningTree)
	if r.RefSpanningTree > 0 {
		fmt.Fprintf(w, "waste: %.0f%% more transmissions than a spanning tree\n",
			100*(r.TransmissionsPerMessage-r.RefSpanningTree)/r.RefSpanningTree)
	}
	if r.Mode != "" {
		fmt.Fprintf(w, "rule %s, virtual clock: RMR %.3f (%.3f after the warm-up); %d control frames (IHAVE, GRAFT, PRUNE: %d PRUNE, %d GRAFT); at most %d hops\n",
			r.Mode, r.RMR, r.RMRAfterWarmup, r.ControlTransmissions, r.Prunes, r.Grafts, r.LastHops)
		fmt.Fprintf(w, "hops of each message's last delivery, after the warm-up: p50 %d, p99 %d, max %d\n", r.LastHopsP50, r.LastHopsP99, r.LastHopsMax)
	}
	fmt.Fprintf(w, "time until every node has a message: p50 %v, p99 %v, max %v\n",
		r.SpreadP50.Round(time.Microsecond), r.SpreadP99.Round(time.Microsecond), r.SpreadMax.Round(time.Microsecond))
	if r.Killed > 0 {
		fmt.Fprintf(w, "nodes killed halfway: %d (deliveries expected at the survivors)\n", r.Killed)
	}
	if r.LostFrames > 0 {
		fmt.Fprintf(w, "frames lost on links (-loss): %d\n", r.LostFrames)
	}
	if r.CutLinks > 0 {
		fmt.Fprintf(w, "links cut between the halves for the middle third (-partition): %d; catch-up when they healed: %d messages sent, %d new (the ends', and what they flooded on)\n",
			r.CutLinks, r.CatchupTransmissions, r.CatchupDeliveries)
	}
	if r.Offline > 0 {
		fmt.Fprintf(w, "nodes away for the middle third (-offline): %d; catch-up when they came back: %d messages sent, %d new to them\n",
			r.Offline, r.CatchupTransmissions, r.CatchupDeliveries)
	}
	fmt.Fprintf(w, "links cut during the run: %d", r.LinksCut)
	if r.PeersDisconnected > 0 {
		fmt.Fprintf(w, "; peers disconnected: %d (%s); slow peers: %d", r.PeersDisconnected, r.Reasons(), r.SlowPeers)
	}
	fmt.Fprintln(w)
	if r.Missing > 0 {
		fmt.Fprintf(w, "missing: %d of %d deliveries\n", r.Missing, r.Expected)
	}
	fmt.Fprintf(w, "wall time %.2f s (building the network %.2f s), peak memory %.0f MB\n",
		r.Seconds, r.SetupSeconds, float64(r.PeakRSSBytes)/(1<<20))
}

// simBoth is `p2p sim -engine virtual -mode both`: flood and tree on the
// same graph, seed and latencies, side by side with the references.
func simBoth(stdout, stderr io.Writer, cfg sim.VirtualConfig, asJSON bool, dot io.Writer, pics pictures) int {
	var res [2]*sim.Result
	var runs []picture.Run
	for i, mode := range []string{"flood", "tree"} {
		c := cfg
		c.Mode = mode
		if pics.wanted() {
			c.Trace = &sim.Trace{}
		}
		r, err := sim.RunVirtual(c)
		if err != nil {
			fmt.Fprintf(stderr, "p2p sim: %s: %v\n", mode, err)
			return exitFail
		}
		res[i] = r
		runs = append(runs, picture.Run{Result: r, Trace: c.Trace})
	}
	if pics.wanted() {
		if err := pics.write(runs, []string{"flood", "tree"}); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitFail
		}
	}
	if dot != nil {
		if err := sim.WriteDOTBoth(dot, res[0], res[1]); err != nil {
			fmt.Fprintf(stderr, "p2p sim: -dot: %v\n", err)
			return exitFail
		}
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(map[string]*sim.Result{"flood": res[0], "tree": res[1]}); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitFail
		}
	} else {
		f, t := res[0], res[1]
		fmt.Fprintf(stdout, "p2p sim: %s, %d nodes, %d edges (mean degree D = %.2f), %d messages from %d sender(s), seed %d, virtual clock\n\n",
			f.Topology, f.Nodes, f.Edges, f.Degree, f.Messages, f.Senders, f.Seed)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "per message\tflood\ttree\t\n")
		fmt.Fprintf(tw, "payload transmissions\t%.1f\t%.1f\t\n", f.TransmissionsPerMessage, t.TransmissionsPerMessage)
		fmt.Fprintf(tw, "control frames\t%.1f\t%.1f\t\n", float64(f.ControlTransmissions)/float64(f.Messages), float64(t.ControlTransmissions)/float64(t.Messages))
		fmt.Fprintf(tw, "deliveries\t%.1f\t%.1f\t\n", f.DeliveriesPerMessage, t.DeliveriesPerMessage)
		fmt.Fprintf(tw, "RMR\t%.3f\t%.3f\t\n", f.RMR, t.RMR)
		fmt.Fprintf(tw, "RMR after the warm-up\t%.3f\t%.3f\t\n", f.RMRAfterWarmup, t.RMRAfterWarmup)
		fmt.Fprintf(tw, "PRUNE, GRAFT\t%d, %d\t%d, %d\t\n", f.Prunes, f.Grafts, t.Prunes, t.Grafts)
		fmt.Fprintf(tw, "most hops\t%d\t%d\t\n", f.LastHops, t.LastHops)
		fmt.Fprintf(tw, "last delivery's hops p50\t%d\t%d\t\n", f.LastHopsP50, t.LastHopsP50)
		fmt.Fprintf(tw, "last delivery's hops max\t%d\t%d\t\n", f.LastHopsMax, t.LastHopsMax)
		fmt.Fprintf(tw, "spread p50\t%v\t%v\t\n", f.SpreadP50.Round(time.Microsecond), t.SpreadP50.Round(time.Microsecond))
		fmt.Fprintf(tw, "spread max\t%v\t%v\t\n", f.SpreadMax.Round(time.Microsecond), t.SpreadMax.Round(time.Microsecond))
		fmt.Fprintf(tw, "frames lost on links\t%d\t%d\t\n", f.LostFrames, t.LostFrames)
		fmt.Fprintf(tw, "catch-up sent, new\t%d, %d\t%d, %d\t\n", f.CatchupTransmissions, f.CatchupDeliveries, t.CatchupTransmissions, t.CatchupDeliveries)
		fmt.Fprintf(tw, "missing deliveries\t%d\t%d\t\n", f.Missing, t.Missing)
		tw.Flush()
		fmt.Fprintf(stdout, "\nreferences per message: N*D = %.0f (the tutorial), N(D-1)+1 = %.0f (not back to the sender), N-1 = %.0f (a spanning tree)\n",
			f.RefTutorial, f.RefNoSendBack, f.RefSpanningTree)
	}
	if res[0].Missing > 0 || res[1].Missing > 0 {
		return exitFail
	}
	return exitOK
}
