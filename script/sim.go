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
	"text/tabwriter"
	"time"

	"github.com/p2p-chat/p2p/node/sim"
)

// runSim is `p2p sim`: many nodes of the real node package in one process,
// over the in-memory transport, and what flooding costs them.
func runSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("p2p sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Nodes, "n", cfg.Nodes, "number of nodes")
	fs.IntVar(&cfg.Degree, "d", cfg.Degree, "degree (regular, joined) or mean degree (random)")
	fs.StringVar(&cfg.Topology, "topology", cfg.Topology, "one of "+strings.Join(sim.Topologies, ", "))
	fs.IntVar(&cfg.Messages, "messages", cfg.Messages, "messages to flood, in all")
	fs.IntVar(&cfg.Senders, "senders", cfg.Senders, "nodes that send (the first ones), sharing the messages")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed: the same seed builds the same graph")
	fs.IntVar(&cfg.TextBytes, "text-bytes", cfg.TextBytes, "length of each message text")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "give up if the messages have not reached every node by then")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	dot := fs.String("dot", "", "write the topology in Graphviz DOT to `FILE`, with the first message's spanning tree marked")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: p2p sim [flags]\n\nRuns -n nodes in one process over the in-memory transport, floods -messages\nmessages and reports deliveries, transmissions and duplicates per message next\nto the references N*D, N(D-1)+1 and N-1. See docs/bandwidth.md.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "p2p sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	res, err := sim.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "p2p sim: %v\n", err)
		return exitFail
	}
	if *dot != "" {
		if err := writeDOT(*dot, res); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitFail
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "p2p sim: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	printSim(stdout, res)
	return exitOK
}

func writeDOT(path string, res *sim.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("dot: %w", err)
	}
	if err := sim.WriteDOT(f, res); err != nil {
		f.Close()
		return fmt.Errorf("dot: %w", err)
	}
	return f.Close()
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
	fmt.Fprintf(w, "time until every node has a message: p50 %v, p99 %v, max %v\n",
		r.SpreadP50.Round(time.Microsecond), r.SpreadP99.Round(time.Microsecond), r.SpreadMax.Round(time.Microsecond))
	fmt.Fprintf(w, "wall time %.2f s (building the network %.2f s), peak memory %.0f MB\n",
		r.Seconds, r.SetupSeconds, float64(r.PeakRSSBytes)/(1<<20))
}
