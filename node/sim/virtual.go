package sim

import (
	"math/bits"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
)

// VirtualConfig adds to Config what the virtual clock needs: the delay of
// each link crossing, Latency plus a uniform jitter of up to Jitter, drawn
// from the seed.
type VirtualConfig struct {
	Config
	Latency time.Duration
	Jitter  time.Duration
	// Mode is the broadcast rule: "flood" (the default) or "tree"
	// (Plumtree). Warmup is how many first messages RMRAfterWarmup leaves
	// out (the tree settles during them).
	Mode   string
	Warmup int
	// Kill is the fraction of nodes (0 to 0.5, never a sender) that die
	// halfway through the run, just before message Messages/2: their
	// neighbours drop them at once, and copies on their way to them are
	// lost. Deliveries are then expected at the survivors the sender can
	// still reach.
	Kill float64
	// Offline is the fraction of nodes (0 to 0.5, never a sender) that
	// are away from message Messages/3 to 2*Messages/3 (their links down),
	// then come back and catch up: each neighbour sends what the returning
	// node's summary lacks (counted in CatchupTransmissions), and the
	// returning node floods on what was new to it, as a node does.
	Offline float64
	// Partition cuts the links between the two halves of the nodes (by
	// number) from message Messages/3 to 2*Messages/3, and every other
	// message is sent from the second half (node N/2 + k%Senders); when
	// the links come back the two ends of each catch up as nodes do, and
	// flood on what was new to them.
	Partition bool
	// Loss is the chance (0 to 0.5) that a frame crossing a link is lost,
	// drawn from the seed; lost frames are counted in LostFrames.
	Loss float64
	// GraftTimeout and Threshold set the tree rule's first graft timeout
	// (the second is half of it) and its optimisation threshold (-1 for
	// none); 0 means the defaults of package broadcast.
	GraftTimeout time.Duration
	Threshold    int
	// Steps, if set, script the run instead of Messages, Senders and
	// Kill: each step sends a message from a node or kills one.
	Steps []Step
	// Trace, if set, gets every frame of the run.
	Trace *Trace
}

// RunVirtual runs the flood rule of package broadcast, the same state
// machine a node drives, for every node of the topology on a virtual clock:
// a discrete-event engine with no goroutines, sockets or real time, so it
// is deterministic for a seed (same seed, same numbers) and scales to
// hundreds of thousands of nodes. Messages go one after another, each
// once the one before has stopped moving; each copy is one event in a
// queue ordered by its arrival time. The graph is the one Run builds for
// the same seed.
func RunVirtual(cfg VirtualConfig) (*Result, error) {
	var steps *script
	if len(cfg.Steps) > 0 {
		s, err := checkSteps(cfg.Steps, cfg.Nodes)
		if err != nil {
			return nil, err
		}
		steps, cfg.Messages, cfg.Kill = s, len(s.senders), 0
	}
	if err := Check(cfg.Config); err != nil {
		return nil, err
	}
	defer debug.SetGCPercent(debug.SetGCPercent(40))
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	edges, err := Build(cfg.Topology, cfg.Nodes, cfg.Degree, rng)
	if err != nil {
		return nil, err
	}
	n, m := cfg.Nodes, cfg.Messages
	words := (m + 63) / 64
	seen := make([]uint64, n*words) // one bitset of messages per node
	rules := make([]broadcast.Rule[int32], n)
	for i := range rules {
		if cfg.Mode == "tree" {
			t := broadcast.NewTree[int32](bitSeen(seen[i*words : (i+1)*words]))
			// Messages go one at a time, so GRAFT only ever asks for the
			// current one: a small cache answers it (and 100,000 nodes'
			// caches fit).
			t.CacheSize = 16
			if cfg.GraftTimeout > 0 {
				t.GraftTimeout, t.SecondTimeout = cfg.GraftTimeout, cfg.GraftTimeout/2
			}
			if cfg.Threshold != 0 {
				t.Threshold = max(cfg.Threshold, 0)
			}
			rules[i] = t
		} else {
			rules[i] = broadcast.NewFlood[int32](bitSeen(seen[i*words:(i+1)*words]), 0)
		}
	}
	for _, e := range edges {
		rules[e[0]].PeerUp(int32(e[1]))
		rules[e[1]].PeerUp(int32(e[0]))
	}
	setup := time.Since(start)

	r := &Result{Topology: cfg.Topology, Nodes: n, Edges: len(edges), Messages: m, Senders: cfg.Senders,
		Seed: cfg.Seed, EdgeList: edges}
	r.Degree = 2 * float64(len(edges)) / float64(n)
	r.FirstFrom = make([]int, n)
	delay := func() int64 {
		d := int64(cfg.Latency)
		if cfg.Jitter > 0 {
			d += rng.Int64N(int64(cfg.Jitter) + 1)
		}
		return d
	}
	dead := make([]bool, n)
	killAt := m / 2
	reach := n - 1               // nodes a message is expected at, the sender's component less the sender
	reachFrom := map[int32]int{} // while the dead stay the same
	var payloadAfter uint64
	var (
		q      events
		out    []broadcast.Action[int32]
		spread []time.Duration
		hops   []int // of each message after the warm-up, its last delivery's
		now    int64
		order  uint64
	)
	var away []int   // offline nodes while they are away
	var cut [][2]int // links between the halves while partitioned
	for k := range m {
		sender := int32(k % cfg.Senders)
		if cfg.Partition && k%2 == 1 {
			sender = int32(n/2 + k%cfg.Senders)
		}
		if steps != nil {
			sender = int32(steps.senders[k])
			if victims := steps.kills[k]; len(victims) > 0 {
				killNodes(rules, edges, dead, victims)
				r.Killed += len(victims)
				clear(reachFrom)
			}
		}
		if cfg.Partition && k == m/3 {
			cut = partition(rules, edges, n)
			r.CutLinks = len(cut)
		}
		if cfg.Partition && k == 2*m/3 {
			for _, e := range heal(rules, cut, seen, words) {
				order++
				r.CatchupTransmissions++
				q.push(event{at: now + delay(), sent: now, order: order, from: int32(e.from), to: int32(e.to), hops: 1, frame: broadcast.Gossip,
					origin: int32(e.origin(cfg, n)), seq: uint32(e.seq)})
			}
			cut = nil
		}
		if cfg.Offline > 0 && k == m/3 {
			away = goOffline(rules, edges, dead, cfg.Senders, cfg.Offline, rng)
			r.Offline = len(away)
		}
		if cfg.Offline > 0 && k == 2*m/3 && len(away) > 0 {
			catchUp(r, rules, edges, dead, away, seen, words)
			away = nil
		}
		var killed []int // just before this message
		if k == killAt && cfg.Kill > 0 {
			killed = kill(rules, edges, dead, cfg.Senders, cfg.Kill, rng)
			r.Killed = len(killed)
		}
		if r.Killed > 0 {
			if _, ok := reachFrom[sender]; !ok {
				reachFrom[sender] = reachable(edges, dead, int(sender)) - 1
			}
			reach = reachFrom[sender]
		}
		r.Expected += uint64(reach)
		id := broadcast.MsgID{Origin: uint64(sender), Seq: uint64(k + 1)}
		sentAt, last, got, lastHops := now, now, 0, 0
		// The tree to draw: the first message's for a flood, the last one's
		// (the eager tree, settled) for the tree rule.
		drawn := k == 0 || cfg.Mode == "tree" && k == m-1
		if drawn {
			clear(r.FirstFrom)
			r.FirstFrom[sender] = -1
			r.FirstFromMessage = k
		}
		if tr := cfg.Trace; tr != nil {
			if steps != nil {
				killed = steps.kills[k]
			}
			tr.Messages = append(tr.Messages, TraceMessage{Sender: int(sender), Start: now, Killed: killed})
		}
		out = rules[sender].Publish(id, out[:0])
		schedule := func(from int32, acts []broadcast.Action[int32]) {
			for _, a := range acts {
				order++
				switch a.Kind {
				case broadcast.Send:
					if cfg.Loss > 0 && rng.Float64() < cfg.Loss {
						r.LostFrames++
						if cfg.Trace != nil {
							cfg.Trace.Frames = append(cfg.Trace.Frames, TraceFrame{Msg: int32(k), From: from, To: a.To,
								Sent: now, At: now + int64(cfg.Latency), Kind: uint8(a.Frame), Fate: Lost})
						}
						continue
					}
					q.push(event{at: now + delay(), sent: now, order: order, from: from, to: a.To, hops: int32(a.Hops), frame: a.Frame,
						origin: int32(a.ID.Origin), seq: uint32(a.ID.Seq)})
				case broadcast.SetTimer:
					q.push(event{at: now + int64(a.After), order: order, to: from, timer: true,
						origin: int32(a.ID.Origin), seq: uint32(a.ID.Seq)})
				}
			}
		}
		schedule(sender, out)
		for q.Len() > 0 {
			ev := q.pop()
			now = ev.at
			if dead[ev.to] {
				if cfg.Trace != nil && !ev.timer {
					cfg.Trace.Frames = append(cfg.Trace.Frames, TraceFrame{Msg: int32(k), From: ev.from, To: ev.to,
						Sent: ev.sent, At: ev.at, Kind: uint8(ev.frame), Fate: Lost})
				}
				continue // lost with the node
			}
			about := broadcast.MsgID{Origin: uint64(ev.origin), Seq: uint64(ev.seq)}
			current := about.Seq == id.Seq
			if ev.timer {
				out = rules[ev.to].TimerFired(about, out[:0])
			} else {
				switch ev.frame {
				case broadcast.Gossip:
					r.Transmission++
					if k >= cfg.Warmup && current {
						payloadAfter++
					}
				case broadcast.Prune:
					r.Prunes++
					r.ControlTransmissions++
				case broadcast.Graft:
					r.Grafts++
					r.ControlTransmissions++
				default:
					r.ControlTransmissions++
				}
				out = rules[ev.to].Received(ev.from, ev.frame, about, int(ev.hops), out[:0])
				if cfg.Trace != nil {
					cfg.Trace.Frames = append(cfg.Trace.Frames, traceFrame(k, ev, out))
				}
			}
			for _, a := range out {
				if a.Kind == broadcast.Deliver && !current {
					// An earlier message, brought by catch-up and flooded on.
					r.Deliveries++
					r.CatchupDeliveries++
					continue
				}
				if a.Kind == broadcast.Deliver {
					r.Deliveries++
					got++
					last, lastHops = now, a.Hops
					r.LastHops = max(r.LastHops, a.Hops)
					if drawn {
						r.FirstFrom[ev.to] = int(ev.from)
					}
				}
			}
			schedule(ev.to, out)
		}
		if got == reach {
			spread = append(spread, time.Duration(last-sentAt))
		}
		if k >= cfg.Warmup || m <= cfg.Warmup {
			hops = append(hops, lastHops)
		}
	}
	r.Duplicates = r.Transmission - r.Deliveries
	r.Mode = cfg.Mode
	if r.Mode == "" {
		r.Mode = "flood"
	}
	r.RMR = float64(r.Transmission)/float64(m*(n-1)) - 1
	if after := m - min(cfg.Warmup, m); after > 0 {
		r.RMRAfterWarmup = float64(payloadAfter)/float64(after*(n-1)) - 1
	}
	r.Missing = r.Expected - min(r.Expected, r.Deliveries)
	fm := float64(m)
	r.DeliveriesPerMessage = float64(r.Deliveries) / fm
	r.TransmissionsPerMessage = float64(r.Transmission) / fm
	r.DuplicatesPerMessage = float64(r.Duplicates) / fm
	r.RefTutorial = float64(n) * r.Degree
	r.RefNoSendBack = float64(n)*(r.Degree-1) + 1
	r.RefSpanningTree = float64(n - 1)
	slices.Sort(spread)
	if len(spread) > 0 {
		pick := func(q float64) time.Duration { return spread[min(len(spread)-1, int(q*float64(len(spread))))] }
		r.SpreadP50, r.SpreadP99, r.SpreadMax = pick(0.50), pick(0.99), spread[len(spread)-1]
	}
	r.SpreadP50Ms, r.SpreadP99Ms, r.SpreadMaxMs = ms(r.SpreadP50), ms(r.SpreadP99), ms(r.SpreadMax)
	slices.Sort(hops)
	if len(hops) > 0 {
		pick := func(q float64) int { return hops[min(len(hops)-1, int(q*float64(len(hops))))] }
		r.LastHopsP50, r.LastHopsP99, r.LastHopsMax = pick(0.50), pick(0.99), hops[len(hops)-1]
	}
	r.SetupSeconds = setup.Seconds()
	r.Seconds = time.Since(start).Seconds()
	r.PeakRSSBytes = peakRSS()
	return r, nil
}

// traceFrame is how a trace records ev, given the actions its receiver
// took.
func traceFrame(k int, ev event, acts []broadcast.Action[int32]) TraceFrame {
	f := TraceFrame{Msg: int32(k), From: ev.from, To: ev.to, Sent: ev.sent, At: ev.at, Kind: uint8(ev.frame), Fate: Control}
	if ev.frame == broadcast.Gossip {
		f.Fate = Duplicate
		for _, a := range acts {
			if a.Kind == broadcast.Deliver {
				f.Fate = First
			}
		}
	}
	return f
}

// kill marks a fraction of the nodes dead (never one of the first
// senders), chosen with rng, and has their neighbours drop them. It
// returns them.
func kill(rules []broadcast.Rule[int32], edges [][2]int, dead []bool, senders int, frac float64, rng *rand.Rand) []int {
	n := len(rules)
	count := min(int(frac*float64(n)), n-senders)
	victims := rng.Perm(n - senders)[:count]
	for i := range victims {
		victims[i] += senders
	}
	killNodes(rules, edges, dead, victims)
	return victims
}

// killNodes marks the victims dead and has their live neighbours drop
// them.
func killNodes(rules []broadcast.Rule[int32], edges [][2]int, dead []bool, victims []int) {
	fresh := make(map[int]bool, len(victims))
	for _, v := range victims {
		dead[v], fresh[v] = true, true
	}
	for _, e := range edges {
		a, b := e[0], e[1]
		switch {
		case fresh[a] && !dead[b]:
			rules[b].PeerDown(int32(a))
		case fresh[b] && !dead[a]:
			rules[a].PeerDown(int32(b))
		}
	}
}

// reachable counts the live nodes connected to from through live nodes.
func reachable(edges [][2]int, dead []bool, from int) int {
	adj := make([][]int32, len(dead))
	for _, e := range edges {
		if !dead[e[0]] && !dead[e[1]] {
			adj[e[0]] = append(adj[e[0]], int32(e[1]))
			adj[e[1]] = append(adj[e[1]], int32(e[0]))
		}
	}
	seen := make([]bool, len(dead))
	seen[from] = true
	stack, count := []int32{int32(from)}, 1
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range adj[v] {
			if !seen[w] {
				seen[w] = true
				count++
				stack = append(stack, w)
			}
		}
	}
	return count
}

// bitSeen is a node's set of messages seen, one bit each (the message's
// sequence number is its place in the run, from 1).
type bitSeen []uint64

func (b bitSeen) Add(id broadcast.MsgID) bool {
	w, bit := (id.Seq-1)/64, uint64(1)<<((id.Seq-1)%64)
	if b[w]&bit != 0 {
		return false
	}
	b[w] |= bit
	return true
}

func (b bitSeen) Has(id broadcast.MsgID) bool {
	w, bit := (id.Seq-1)/64, uint64(1)<<((id.Seq-1)%64)
	return b[w]&bit != 0
}

// event is one copy of a message arriving at node to, at virtual time at
// (ns); order breaks ties in the order events were made, so a run is the
// same every time.
type event struct {
	at    int64
	sent  int64 // when the frame was sent (for a trace)
	order uint64
	from  int32
	to    int32
	hops  int32
	frame broadcast.Frame
	timer bool // a timer of node to, not a frame
	// The message the frame or timer is about: its origin and sequence
	// number (0: none, a GRAFT that asks for no message).
	origin int32
	seq    uint32
}

// events is a binary min-heap of events by (at, order), typed so that
// pushing and popping tens of millions of them allocates nothing.
type events []event

func (e events) Len() int { return len(e) }

func (e events) less(i, j int) bool {
	return e[i].at < e[j].at || e[i].at == e[j].at && e[i].order < e[j].order
}

func (e *events) push(ev event) {
	*e = append(*e, ev)
	h := *e
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (e *events) pop() event {
	h := *e
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h.less(l, small) {
			small = l
		}
		if r < len(h) && h.less(r, small) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	*e = h
	return top
}

// goOffline takes a fraction of the nodes (never a sender) away: marked
// dead (copies to them are lost) and dropped by their neighbours, and
// they drop their neighbours. It returns them.
func goOffline(rules []broadcast.Rule[int32], edges [][2]int, dead []bool, senders int, frac float64, rng *rand.Rand) []int {
	n := len(rules)
	count := min(int(frac*float64(n)), n-senders)
	var away []int
	for _, v := range rng.Perm(n - senders)[:count] {
		away = append(away, v+senders)
		dead[v+senders] = true
	}
	for _, e := range edges {
		a, b := e[0], e[1]
		if dead[a] || dead[b] {
			rules[a].PeerDown(int32(b))
			rules[b].PeerDown(int32(a))
		}
	}
	return away
}

// catchUp brings the away nodes back: their links come up again, each
// sends its summary (what it has), each live neighbour answers with what
// it has that the summary lacks (every neighbour answers: the returning
// node gets a missed message from each, once per link), and the
// returning node floods on what was new to it, to its other neighbours.
func catchUp(r *Result, rules []broadcast.Rule[int32], edges [][2]int, dead []bool, away []int, seen []uint64, words int) {
	back := make([]bool, len(dead))
	for _, v := range away {
		dead[v] = false
		back[v] = true
	}
	adj := make(map[int][]int, len(away))
	for _, e := range edges {
		a, b := e[0], e[1]
		if back[a] || back[b] {
			rules[a].PeerUp(int32(b))
			rules[b].PeerUp(int32(a))
		}
		if back[a] {
			adj[a] = append(adj[a], b)
		}
		if back[b] {
			adj[b] = append(adj[b], a)
		}
	}
	summary := make([]uint64, words)
	for _, v := range away {
		mine := seen[v*words : (v+1)*words]
		copy(summary, mine)
		for _, w := range adj[v] {
			if back[w] {
				continue // it was away too: it has nothing v lacks from then
			}
			theirs := seen[w*words : (w+1)*words]
			for i := range words {
				missing := theirs[i] &^ summary[i]
				sent := uint64(bits.OnesCount64(missing))
				r.CatchupTransmissions += sent
				r.Transmission += sent
				fresh := uint64(bits.OnesCount64(missing &^ mine[i]))
				r.CatchupDeliveries += fresh
				r.Deliveries += fresh
				// Each new one is flooded on to v's other neighbours.
				r.Transmission += fresh * uint64(len(adj[v])-1)
				mine[i] |= missing
			}
		}
	}
}

// partition cuts the links between nodes below N/2 and the others, and
// returns them.
func partition(rules []broadcast.Rule[int32], edges [][2]int, n int) [][2]int {
	var cut [][2]int
	for _, e := range edges {
		if (e[0] < n/2) != (e[1] < n/2) {
			rules[e[0]].PeerDown(int32(e[1]))
			rules[e[1]].PeerDown(int32(e[0]))
			cut = append(cut, e)
		}
	}
	return cut
}

// catchupCopy is one message sent by catch-up over a healed link.
type catchupCopy struct {
	from, to int
	seq      uint64
}

// origin is the sender of message seq (as RunVirtual chooses it).
func (c catchupCopy) origin(cfg VirtualConfig, n int) int {
	k := int(c.seq - 1)
	if cfg.Partition && k%2 == 1 {
		return n/2 + k%cfg.Senders
	}
	return k % cfg.Senders
}

// heal brings the cut links back and returns what each end sends the
// other by catch-up: what it has that the other's summary (taken now)
// lacks, oldest first.
func heal(rules []broadcast.Rule[int32], cut [][2]int, seen []uint64, words int) []catchupCopy {
	summaries := map[int][]uint64{}
	for _, e := range cut {
		for _, v := range e {
			if summaries[v] == nil {
				summaries[v] = slices.Clone(seen[v*words : (v+1)*words])
			}
		}
	}
	var out []catchupCopy
	for _, e := range cut {
		rules[e[0]].PeerUp(int32(e[1]))
		rules[e[1]].PeerUp(int32(e[0]))
		for _, d := range [][2]int{{e[0], e[1]}, {e[1], e[0]}} {
			from, to := d[0], d[1]
			for i := range words {
				missing := summaries[from][i] &^ summaries[to][i]
				for missing != 0 {
					b := bits.TrailingZeros64(missing)
					missing &^= 1 << b
					out = append(out, catchupCopy{from: from, to: to, seq: uint64(i*64+b) + 1})
				}
			}
		}
	}
	return out
}
