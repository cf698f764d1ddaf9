package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// Config describes one simulation run.
type Config struct {
	Nodes     int           // N
	Degree    int           // D: the degree (regular, joined) or mean degree (random)
	Topology  string        // one of Topologies
	Messages  int           // M messages in all
	Senders   int           // spread over this many nodes (the first ones)
	Seed      uint64        // makes the graph and the choice of senders repeatable
	TextBytes int           // length of each message text
	Timeout   time.Duration // for the messages to reach every node, once the network is built

	// Progress, if set, is called with the run's progress at each change
	// of phase and every ProgressEvery (100 ms if zero) meanwhile, never
	// twice at once. It must return quickly.
	Progress      func(Progress)
	ProgressEvery time.Duration

	// afterSetup, if set (by tests), runs once the network is built,
	// before the first message is sent.
	afterSetup func(nodes []*node.Node)
}

// Progress is how far a run has got.
type Progress struct {
	Phase      string // "starting nodes", "linking", "flooding", "closing", "done"
	Nodes      int    // nodes started so far
	Links      int    // links connected so far
	LinksWant  int
	Deliveries int64 // so far
	Expected   int64 // in all: messages times (N-1)
	LinksCut   int   // links that went down, so far
	Elapsed    time.Duration
}

// DefaultConfig is a small random graph, enough to see the numbers move.
func DefaultConfig() Config {
	return Config{Nodes: 10, Degree: 4, Topology: "random", Messages: 10, Senders: 1, Seed: 1, TextBytes: 32, Timeout: 5 * time.Minute}
}

// Result is what a run measured. The JSON names are part of `p2p sim
// -json`.
type Result struct {
	Topology     string  `json:"topology"`
	Nodes        int     `json:"nodes"`
	Edges        int     `json:"edges"`
	Degree       float64 `json:"degree"` // mean degree, 2E/N
	Messages     int     `json:"messages"`
	Senders      int     `json:"senders"`
	Seed         uint64  `json:"seed"`
	Deliveries   uint64  `json:"deliveries"`
	Transmission uint64  `json:"transmissions"`
	Duplicates   uint64  `json:"duplicates"`

	DeliveriesPerMessage    float64 `json:"deliveries_per_message"`
	TransmissionsPerMessage float64 `json:"transmissions_per_message"`
	DuplicatesPerMessage    float64 `json:"duplicates_per_message"`
	// The references, per message: the tutorial's N*D (every node sends
	// to every neighbour), N(D-1)+1 (not back to where it came from) and
	// N-1 (a spanning tree).
	RefTutorial     float64 `json:"ref_tutorial_nd"`
	RefNoSendBack   float64 `json:"ref_no_send_back"`
	RefSpanningTree float64 `json:"ref_spanning_tree"`

	// The virtual engine's (RunVirtual) figures: the rule, the tree's
	// control frames (IHAVE, GRAFT, PRUNE), the relative message
	// redundancy (payload sends a delivery, less one: 0 for a perfect
	// tree, about D-2 for a flood) over all messages and after the
	// warm-up, the most links a delivered message crossed, and over the
	// messages after the warm-up the links its last delivery crossed
	// (median, 99th percentile, most).
	Mode                 string  `json:"mode,omitempty"`
	ControlTransmissions uint64  `json:"control_transmissions,omitempty"`
	Prunes               uint64  `json:"prunes,omitempty"`
	Grafts               uint64  `json:"grafts,omitempty"`
	RMR                  float64 `json:"rmr,omitempty"`
	RMRAfterWarmup       float64 `json:"rmr_after_warmup,omitempty"`
	LastHops             int     `json:"last_hops,omitempty"`
	LastHopsP50          int     `json:"last_hops_p50,omitempty"`
	LastHopsP99          int     `json:"last_hops_p99,omitempty"`
	LastHopsMax          int     `json:"last_hops_max,omitempty"`
	Killed               int     `json:"killed,omitempty"`      // nodes that died halfway (-kill)
	LostFrames           uint64  `json:"lost_frames,omitempty"` // frames lost on links (-loss)
	// -offline: nodes away for the middle third of the messages, the
	// messages their neighbours sent them by catch-up when they came back
	// (also in transmissions), and of those the ones new to them (also in
	// deliveries).
	Offline              int    `json:"offline,omitempty"`
	CutLinks             int    `json:"cut_links,omitempty"` // -partition: links between the halves, cut for the middle third
	CatchupTransmissions uint64 `json:"catchup_transmissions,omitempty"`
	CatchupDeliveries    uint64 `json:"catchup_deliveries,omitempty"`

	// Time from Send until every other node delivered a message.
	SpreadP50   time.Duration `json:"-"`
	SpreadP99   time.Duration `json:"-"`
	SpreadMax   time.Duration `json:"-"`
	SpreadP50Ms float64       `json:"spread_p50_ms"`
	SpreadP99Ms float64       `json:"spread_p99_ms"`
	SpreadMaxMs float64       `json:"spread_max_ms"`

	// What did not go to plan. Deliveries fall short of Expected only when
	// the run timed out or was interrupted; Run then returns an error too.
	Expected          uint64         `json:"deliveries_expected"`
	Missing           uint64         `json:"deliveries_missing"`
	LinksCut          int            `json:"links_cut"`          // links that went down before the run ended
	PeersDisconnected int            `json:"peers_disconnected"` // peer-down events before the end (two per cut link)
	DisconnectReasons map[string]int `json:"disconnect_reasons"` // those events by reason (the text before its first colon)
	SlowPeers         uint64         `json:"slow_peers"`         // peers disconnected as slow (Stats.SlowPeers)

	Seconds      float64 `json:"seconds"`       // wall time of the whole run
	SetupSeconds float64 `json:"setup_seconds"` // of which building the network
	PeakRSSBytes uint64  `json:"peak_rss_bytes"`

	// For drawing: the graph's edges and, for the first message, the
	// neighbour each node got its first copy from (-1 for the origin).
	EdgeList         [][2]int `json:"-"`
	FirstFrom        []int    `json:"-"`
	FirstFromMessage int      `json:"-"` // the message FirstFrom is of (0, or the last one in tree mode)
}

// Run builds the network, floods the messages, waits until every node has
// every message (or Timeout, or ctx ends), and tears it down. When
// deliveries are missing it returns the result so far and an error saying
// how many and what was cut.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := Check(cfg); err != nil {
		return nil, err
	}
	// Thousands of nodes make garbage fast; collecting more often keeps the
	// peak (what -n 10000 must fit in) down at little cost in time.
	defer debug.SetGCPercent(debug.SetGCPercent(40))
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	edges, err := Build(cfg.Topology, cfg.Nodes, cfg.Degree, rng)
	if err != nil {
		return nil, err
	}
	net := memnet.New(64 << 10)
	s := &run{cfg: cfg, firstFrom: make([]int, cfg.Nodes), sendAt: make([]int64, cfg.Messages),
		lastAt: make([]atomic.Int64, cfg.Messages), got: make([]atomic.Int32, cfg.Messages), start: start,
		allDone: make(chan struct{}), cuts: map[[2]int]bool{}, reasons: map[string]int{},
		expected: int64(cfg.Messages * (cfg.Nodes - 1)), linksWant: len(edges)}
	for i := range s.firstFrom {
		s.firstFrom[i] = -2 // not yet
	}
	defer s.close()
	stopReports := s.reportEvery()
	defer stopReports()

	s.setPhase("starting nodes")
	if err := s.startNodes(net); err != nil {
		return nil, err
	}
	s.setPhase("linking")
	if err := s.link(ctx, edges); err != nil {
		return nil, err
	}
	setup := time.Since(start)
	if cfg.afterSetup != nil {
		cfg.afterSetup(s.nodes)
	}

	s.setPhase("flooding")
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	sent := make(chan struct{})
	go func() { defer close(sent); s.send() }()
	var why string
	select {
	case <-s.allDone:
	case <-ctx.Done():
		why = fmt.Sprintf("after %v", cfg.Timeout)
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "when interrupted"
		}
	}
	// Close first: it flushes the copies still in flight, so the
	// duplicate counts are final (and a sender still waiting gives up).
	s.setPhase("closing")
	s.closing.Store(true)
	s.close()
	<-sent
	res := s.result(edges)
	res.SetupSeconds = setup.Seconds()
	res.Seconds = time.Since(start).Seconds()
	res.PeakRSSBytes = peakRSS()
	s.setPhase("done")
	if res.Missing > 0 {
		return res, fmt.Errorf("only %d of %d deliveries %s; %s", res.Deliveries, res.Expected, why, res.CutSummary())
	}
	return res, nil
}

// CutSummary says what was cut during the run, for a person.
func (r *Result) CutSummary() string {
	if r.LinksCut == 0 && r.PeersDisconnected == 0 {
		return "no link was cut"
	}
	return fmt.Sprintf("%d links cut, %d peers disconnected (%s)", r.LinksCut, r.PeersDisconnected, r.Reasons())
}

// Reasons lists the peer-down events by reason, most frequent first:
// "37 closed by peer, 37 slow peer".
func (r *Result) Reasons() string {
	whys := slices.Collect(maps.Keys(r.DisconnectReasons))
	slices.SortFunc(whys, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.DisconnectReasons[b], r.DisconnectReasons[a]), strings.Compare(a, b))
	})
	list := make([]string, len(whys))
	for i, why := range whys {
		list[i] = fmt.Sprintf("%d %s", r.DisconnectReasons[why], why)
	}
	return strings.Join(list, ", ")
}

// Check reports a configuration Run would refuse, naming the p2p sim flag
// to change.
func Check(cfg Config) error {
	n, d := cfg.Nodes, cfg.Degree
	switch {
	case n < 2:
		return fmt.Errorf("-n must be at least 2, got %d", n)
	case cfg.Messages < 1:
		return fmt.Errorf("-messages must be at least 1, got %d", cfg.Messages)
	case cfg.Senders < 1 || cfg.Senders > n:
		return fmt.Errorf("-senders must be from 1 to the number of nodes (%d), got %d", n, cfg.Senders)
	case cfg.TextBytes < 8:
		return fmt.Errorf("-text-bytes must be at least 8, got %d", cfg.TextBytes)
	case cfg.Timeout <= 0:
		return fmt.Errorf("-timeout must be positive, got %v", cfg.Timeout)
	case !slices.Contains(Topologies, cfg.Topology):
		return fmt.Errorf("-topology %q is unknown; use one of %s", cfg.Topology, strings.Join(Topologies, ", "))
	case cfg.Topology == "ring" && n < 3:
		return fmt.Errorf("-topology ring needs -n 3 or more, got %d", n)
	case cfg.Topology == "regular" && (d < 2 || d >= n || n*d%2 != 0):
		return fmt.Errorf("-topology regular needs -d from 2 to -n minus 1 with -n times -d even, got -n %d -d %d", n, d)
	case cfg.Topology == "random" && (d < 2 || d >= n):
		return fmt.Errorf("-topology random needs -d from 2 to -n minus 1, got -n %d -d %d", n, d)
	case cfg.Topology == "joined" && d < 1:
		return fmt.Errorf("-topology joined needs -d 1 or more, got %d", d)
	}
	return nil
}

// run is the state of one simulation.
type run struct {
	cfg   Config
	start time.Time
	nodes []*node.Node
	index map[string]int // node name -> index
	wg    sync.WaitGroup // event consumers

	sendAt     []int64        // nanoseconds since start, per message
	lastAt     []atomic.Int64 // last delivery, per message
	got        []atomic.Int32 // deliveries, per message
	deliveries atomic.Int64
	allDone    chan struct{}
	doneOnce   sync.Once

	phase     atomic.Pointer[string]
	nodesUp   atomic.Int64
	linksUp   atomic.Int64
	linksWant int
	expected  int64
	closing   atomic.Bool // set before the nodes close: later peer downs are not cuts
	reportMu  sync.Mutex  // one Progress call at a time

	mu        sync.Mutex // guards the fields below
	firstFrom []int
	cuts      map[[2]int]bool // links that went down, as node index pairs
	downs     int             // peer-down events
	reasons   map[string]int  // peer-down events by reason
}

func (s *run) setPhase(phase string) {
	s.phase.Store(&phase)
	s.report()
}

// report calls cfg.Progress with where the run is.
func (s *run) report() {
	if s.cfg.Progress == nil {
		return
	}
	p := Progress{Nodes: int(s.nodesUp.Load()), Links: int(s.linksUp.Load()), LinksWant: s.linksWant,
		Deliveries: s.deliveries.Load(), Expected: s.expected, Elapsed: time.Since(s.start)}
	if ph := s.phase.Load(); ph != nil {
		p.Phase = *ph
	}
	s.mu.Lock()
	p.LinksCut = len(s.cuts)
	s.mu.Unlock()
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	s.cfg.Progress(p)
}

// reportEvery reports progress every ProgressEvery until the returned
// function is called.
func (s *run) reportEvery() (stop func()) {
	if s.cfg.Progress == nil {
		return func() {}
	}
	every := s.cfg.ProgressEvery
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.report()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-ended }
}

// nodeConfig keeps per-node memory small, so 10,000 nodes fit in a few
// hundred MB: small buffers, a short events channel, a small table of
// seen-id details (whether a message is new is decided by the delivered
// log, which needs no room per message), no keepalive traffic. Send
// queues keep the node's defaults: they take memory only while full, and
// a saturated network needs their room.
func (s *run) nodeConfig(i int) node.Config {
	return node.Config{
		Name:        "n" + strconv.Itoa(i),
		ListenAddr:  "sim:0",
		EventBuffer: 16,
		BufferSize:  1024,
		SeenMax:     1024,
		MaxPeers:    s.maxPeers(),
		KeepAlive:   time.Hour,
		IdleTimeout: 2 * time.Hour,
	}
}

// maxPeers leaves room for any degree: every topology, "joined" too, is
// built by Build and then linked with Connect.
func (s *run) maxPeers() int { return max(64, s.cfg.Nodes) }

func (s *run) startNodes(net *memnet.Network) error {
	s.index = make(map[string]int, s.cfg.Nodes)
	for i := 0; i < s.cfg.Nodes; i++ {
		cfg := s.nodeConfig(i)
		cfg.Transport = net
		nd, err := node.New(cfg)
		if err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		s.nodes = append(s.nodes, nd)
		s.index[cfg.Name] = i
		s.nodesUp.Add(1)
	}
	// Consumers start once index is complete: they read it.
	for i, nd := range s.nodes {
		s.wg.Add(1)
		go s.consume(i, nd)
	}
	return nil
}

// consume drains one node's events and records deliveries.
func (s *run) consume(i int, nd *node.Node) {
	defer s.wg.Done()
	for ev := range nd.Events() {
		if ev.Kind == node.EventPeerDown && !s.closing.Load() {
			s.peerDown(i, ev)
		}
		if ev.Kind != node.EventMessage {
			continue
		}
		now := time.Since(s.start).Nanoseconds()
		m := messageIndex(ev.Message.Text)
		if m < 0 || m >= len(s.got) {
			continue
		}
		for {
			last := s.lastAt[m].Load()
			if now <= last || s.lastAt[m].CompareAndSwap(last, now) {
				break
			}
		}
		if m == 0 {
			s.mu.Lock()
			if s.firstFrom[i] == -2 {
				s.firstFrom[i] = s.index[ev.Message.From]
			}
			s.mu.Unlock()
		}
		s.got[m].Add(1)
		if s.deliveries.Add(1) == int64(s.cfg.Messages*(s.cfg.Nodes-1)) {
			s.doneOnce.Do(func() { close(s.allDone) })
		}
	}
}

// peerDown records a link cut before the end of the run.
func (s *run) peerDown(i int, ev node.Event) {
	j, ok := s.index[ev.Peer.Name]
	if !ok {
		return
	}
	why, _, _ := strings.Cut(ev.Reason, ":")
	s.mu.Lock()
	s.cuts[[2]int{min(i, j), max(i, j)}] = true
	s.downs++
	s.reasons[why]++
	s.mu.Unlock()
}

// messageIndex reads the index from a text "m<index> ...".
func messageIndex(text string) int {
	if !strings.HasPrefix(text, "m") {
		return -1
	}
	end := strings.IndexByte(text, ' ')
	if end < 0 {
		end = len(text)
	}
	i, err := strconv.Atoi(text[1:end])
	if err != nil {
		return -1
	}
	return i
}

// link connects the edges, a few at a time.
func (s *run) link(ctx context.Context, edges [][2]int) error {
	work := make(chan [2]int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				if _, err := s.nodes[e[0]].Connect(ctx, s.nodes[e[1]].Addr()); err != nil {
					select {
					case errs <- fmt.Errorf("link n%d-n%d: %w", e[0], e[1], err):
					default:
					}
					continue
				}
				s.linksUp.Add(1)
			}
		}()
	}
	for _, e := range edges {
		work <- e
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// send floods the messages, each sender sending its share in turn.
func (s *run) send() {
	pad := strings.Repeat("x", s.cfg.TextBytes)
	var wg sync.WaitGroup
	for k := 0; k < s.cfg.Senders; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := k; m < s.cfg.Messages; m += s.cfg.Senders {
				text := "m" + strconv.Itoa(m) + " "
				text += pad[:max(0, s.cfg.TextBytes-len(text))]
				s.sendAt[m] = time.Since(s.start).Nanoseconds()
				s.nodes[k].Send(text)
			}
		}()
	}
	wg.Wait()
	s.mu.Lock()
	s.firstFrom[0] = -1 // message 0 is sent by node 0
	s.mu.Unlock()
}

func (s *run) result(edges [][2]int) *Result {
	n, m := s.cfg.Nodes, s.cfg.Messages
	r := &Result{Topology: s.cfg.Topology, Nodes: n, Edges: len(edges), Messages: m, Senders: s.cfg.Senders,
		Seed: s.cfg.Seed, EdgeList: edges, Expected: uint64(s.expected)}
	r.Degree = 2 * float64(len(edges)) / float64(n)
	for _, nd := range s.nodes {
		st := nd.Stats()
		r.Deliveries += st.Delivered
		r.Transmission += st.MsgsOut
		r.Duplicates += st.Duplicates
		r.SlowPeers += st.SlowPeers
	}
	r.Missing = r.Expected - min(r.Expected, r.Deliveries)
	s.mu.Lock()
	r.LinksCut, r.PeersDisconnected, r.DisconnectReasons = len(s.cuts), s.downs, maps.Clone(s.reasons)
	s.mu.Unlock()
	fm := float64(m)
	r.DeliveriesPerMessage = float64(r.Deliveries) / fm
	r.TransmissionsPerMessage = float64(r.Transmission) / fm
	r.DuplicatesPerMessage = float64(r.Duplicates) / fm
	r.RefTutorial = float64(n) * r.Degree
	r.RefNoSendBack = float64(n)*(r.Degree-1) + 1
	r.RefSpanningTree = float64(n - 1)

	// Spread counts the messages that reached every node.
	var spread []time.Duration
	for i := range m {
		if int(s.got[i].Load()) == n-1 {
			spread = append(spread, time.Duration(s.lastAt[i].Load()-s.sendAt[i]))
		}
	}
	slices.Sort(spread)
	if len(spread) > 0 {
		pick := func(q float64) time.Duration { return spread[min(len(spread)-1, int(q*float64(len(spread))))] }
		r.SpreadP50, r.SpreadP99, r.SpreadMax = pick(0.50), pick(0.99), spread[len(spread)-1]
	}
	r.SpreadP50Ms, r.SpreadP99Ms, r.SpreadMaxMs = ms(r.SpreadP50), ms(r.SpreadP99), ms(r.SpreadMax)
	s.mu.Lock()
	r.FirstFrom = append([]int(nil), s.firstFrom...)
	s.mu.Unlock()
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// close stops every node, in parallel, and waits for the consumers.
func (s *run) close() {
	var wg sync.WaitGroup
	for _, nd := range s.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); nd.Close() }()
	}
	wg.Wait()
	s.wg.Wait()
}

// peakRSS is the process's peak resident set size (VmHWM), or the Go
// runtime's view of memory obtained from the system where /proc is absent.
func peakRSS() uint64 {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}
