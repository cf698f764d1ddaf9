package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// Config describes one simulation run.
type Config struct {
	Nodes     int    // N
	Degree    int    // D: the degree (regular, joined) or mean degree (random)
	Topology  string // one of Topologies
	Messages  int    // M messages in all
	Senders   int    // spread over this many nodes (the first ones)
	Seed      uint64 // makes the graph and the choice of senders repeatable
	TextBytes int    // length of each message text
	Timeout   time.Duration
}

// DefaultConfig is a small ring, enough to see the numbers move.
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

	// Time from Send until every other node delivered a message.
	SpreadP50   time.Duration `json:"-"`
	SpreadP99   time.Duration `json:"-"`
	SpreadMax   time.Duration `json:"-"`
	SpreadP50Ms float64       `json:"spread_p50_ms"`
	SpreadP99Ms float64       `json:"spread_p99_ms"`
	SpreadMaxMs float64       `json:"spread_max_ms"`

	Seconds      float64 `json:"seconds"`       // wall time of the whole run
	SetupSeconds float64 `json:"setup_seconds"` // of which building the network
	PeakRSSBytes uint64  `json:"peak_rss_bytes"`

	// For drawing: the graph's edges and, for the first message, the
	// neighbour each node got its first copy from (-1 for the origin).
	EdgeList  [][2]int `json:"-"`
	FirstFrom []int    `json:"-"`
}

// Run builds the network, floods the messages, waits until every node has
// every message (or Timeout), and tears it down.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := check(cfg); err != nil {
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
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	net := node.NewMemNetwork(64 << 10)
	s := &run{cfg: cfg, firstFrom: make([]int, cfg.Nodes), sendAt: make([]int64, cfg.Messages),
		lastAt: make([]atomic.Int64, cfg.Messages), got: make([]atomic.Int32, cfg.Messages), start: start,
		allDone: make(chan struct{})}
	for i := range s.firstFrom {
		s.firstFrom[i] = -2 // not yet
	}
	defer s.close()
	if err := s.startNodes(net); err != nil {
		return nil, err
	}
	if cfg.Topology == "joined" {
		edges, err = s.join(ctx)
	} else {
		err = s.link(ctx, edges)
	}
	if err != nil {
		return nil, err
	}
	setup := time.Since(start)

	s.send()
	select {
	case <-s.allDone:
	case <-ctx.Done():
		why := fmt.Sprintf("after %v", cfg.Timeout)
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "when interrupted"
		}
		return nil, fmt.Errorf("only %d of %d deliveries %s", s.deliveries.Load(), cfg.Messages*(cfg.Nodes-1), why)
	}
	// Close first: it flushes the copies still in flight, so the
	// duplicate counts are final.
	s.close()
	res := s.result(edges)
	res.SetupSeconds = setup.Seconds()
	res.Seconds = time.Since(start).Seconds()
	res.PeakRSSBytes = peakRSS()
	return res, nil
}

func check(cfg Config) error {
	switch {
	case cfg.Nodes < 2:
		return fmt.Errorf("-n must be at least 2")
	case cfg.Messages < 1:
		return fmt.Errorf("-messages must be at least 1")
	case cfg.Senders < 1 || cfg.Senders > cfg.Nodes:
		return fmt.Errorf("-senders must be from 1 to the number of nodes (%d)", cfg.Nodes)
	case cfg.TextBytes < 8:
		return fmt.Errorf("message texts must be at least 8 bytes")
	case cfg.Timeout <= 0:
		return fmt.Errorf("timeout must be positive")
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

	mu        sync.Mutex // guards firstFrom
	firstFrom []int
}

// nodeConfig keeps per-node memory small, so 10,000 nodes fit in a few
// hundred MB: small buffers, a short events channel, no keepalive traffic.
func (s *run) nodeConfig(i int) node.Config {
	return node.Config{
		Name:         "n" + strconv.Itoa(i),
		ListenAddr:   "sim:0",
		EventBuffer:  16,
		BufferSize:   1024,
		QueueFrames:  1024,
		QueueBytes:   1 << 20,
		SeenMax:      max(4*s.cfg.Messages, 1024),
		MaxPeers:     s.maxPeers(),
		KeepAlive:    time.Hour,
		IdleTimeout:  2 * time.Hour,
		TargetPeers:  max(1, min(s.cfg.Degree, s.cfg.Nodes-1)),
		JoinInterval: 100 * time.Millisecond,
		DialBackoff:  50 * time.Millisecond,
	}
}

// maxPeers is what p2p -join would use (twice the target) for "joined",
// and room for any degree otherwise.
func (s *run) maxPeers() int {
	if s.cfg.Topology == "joined" {
		return max(2, 2*s.cfg.Degree)
	}
	return max(64, s.cfg.Nodes)
}

func (s *run) startNodes(net *node.MemNetwork) error {
	s.index = make(map[string]int, s.cfg.Nodes)
	for i := 0; i < s.cfg.Nodes; i++ {
		cfg := s.nodeConfig(i)
		cfg.Transport = net
		if s.cfg.Topology == "joined" && i > 0 {
			cfg.Join = []string{s.nodes[0].Addr()}
		}
		nd, err := node.New(cfg)
		if err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		s.nodes = append(s.nodes, nd)
		s.index[cfg.Name] = i
		s.wg.Add(1)
		go s.consume(i, nd)
	}
	return nil
}

// consume drains one node's events and records deliveries.
func (s *run) consume(i int, nd *node.Node) {
	defer s.wg.Done()
	for ev := range nd.Events() {
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
				}
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

// join waits until every node reached its target degree through auto-join
// and returns the resulting edges.
func (s *run) join(ctx context.Context) ([][2]int, error) {
	want := min(s.cfg.Degree, s.cfg.Nodes-1)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ready := 0
		for _, nd := range s.nodes[1:] {
			if len(nd.Peers()) >= want {
				ready++
			}
		}
		if ready == len(s.nodes)-1 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("joining: %d of %d nodes reached %d peers", ready, len(s.nodes)-1, want)
		}
	}
	seen := map[[2]int]bool{}
	var edges [][2]int
	for i, nd := range s.nodes {
		for _, p := range nd.Peers() {
			j := s.index[p.Name]
			e := [2]int{min(i, j), max(i, j)}
			if !seen[e] {
				seen[e] = true
				edges = append(edges, e)
			}
		}
	}
	sort.Slice(edges, func(a, b int) bool {
		return edges[a][0] < edges[b][0] || edges[a][0] == edges[b][0] && edges[a][1] < edges[b][1]
	})
	return edges, nil
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
		Seed: s.cfg.Seed, EdgeList: edges}
	r.Degree = 2 * float64(len(edges)) / float64(n)
	for _, nd := range s.nodes {
		st := nd.Stats()
		r.Deliveries += st.Delivered
		r.Transmission += st.MsgsOut
		r.Duplicates += st.Duplicates
	}
	fm := float64(m)
	r.DeliveriesPerMessage = float64(r.Deliveries) / fm
	r.TransmissionsPerMessage = float64(r.Transmission) / fm
	r.DuplicatesPerMessage = float64(r.Duplicates) / fm
	r.RefTutorial = float64(n) * r.Degree
	r.RefNoSendBack = float64(n)*(r.Degree-1) + 1
	r.RefSpanningTree = float64(n - 1)

	spread := make([]time.Duration, m)
	for i := range spread {
		spread[i] = time.Duration(s.lastAt[i].Load() - s.sendAt[i])
	}
	sort.Slice(spread, func(a, b int) bool { return spread[a] < spread[b] })
	pick := func(q float64) time.Duration { return spread[min(len(spread)-1, int(q*float64(len(spread))))] }
	r.SpreadP50, r.SpreadP99, r.SpreadMax = pick(0.50), pick(0.99), spread[len(spread)-1]
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
