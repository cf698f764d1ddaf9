package node

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// Auto-join: a node told a bootstrap address learns the listen addresses of
// the network from its peers (GETPEERS, answered by PEERS), remembers them
// in a bounded table, and keeps TargetPeers connections: below target it
// dials known addresses at random; when a peer drops it redials or
// replaces it, with exponential backoff and jitter per address; addresses
// that keep failing are forgotten after ForgetAfter. Every shuffleEvery
// join intervals a node at or above target also dials one known address
// it is not connected to, and drops another peer if that puts it above
// target, so two groups that each reached their target find each other.
// See docs/joining.md.

// shuffleEvery is how many join intervals pass between two shuffle dials.
const shuffleEvery = 10

// KnownAddr is one address in the table of known addresses: a copy
// (Node.Known), owned by the caller.
type KnownAddr struct {
	Addr     string
	Name     string // the node's name, once connected
	State    string // "connected", "dialing", "new", "failed", "self"
	Failures int    // dials that failed in a row
	LastSeen time.Time
	NextTry  time.Time // not dialed before this
	Source   string    // who told us: "join", "connect", "inbound", or a peer's name
}

// joiner is the auto-join driver's state; the addresses themselves are
// in book. mu guards on, asked and shuffled.
type joiner struct {
	wake chan struct{} // capacity 1: something changed, act now
	book *addrBook

	mu    sync.Mutex
	on    bool
	asked time.Time
	// shuffled is when the last shuffle dial started (or auto-join did).
	shuffled time.Time
}

func newJoiner(book *addrBook) *joiner {
	return &joiner{wake: make(chan struct{}, 1), book: book}
}

func (j *joiner) poke() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// Join connects to a bootstrap address and turns auto-join on. The
// address is remembered even if the connection fails, and auto-join keeps
// trying it with backoff; the error says why this attempt failed.
func (n *Node) Join(ctx context.Context, addr string) error {
	if n.isClosing() {
		return ErrClosed
	}
	n.learn(addr, "", "", "join")
	if n.peerByAddr(addr) != nil {
		n.startJoining()
		return nil
	}
	// Claim the address before auto-join starts, so its first upkeep does
	// not dial it too; if a dial of it is under way already (an earlier
	// join), that dial's outcome is auto-join's to handle.
	if !n.join.book.claim(addr) {
		n.startJoining()
		return nil
	}
	n.startJoining()
	// Dial on a goroutine the node owns: it emits events, and Close closes
	// the events channel only after its goroutines have ended.
	errc := make(chan error, 1)
	if !n.goTracked(func() {
		_, err := n.dialKnown(ctx, addr, true)
		errc <- err
	}) {
		n.join.book.dialed(addr, Peer{}, ErrClosed, time.Now())
		return ErrClosed
	}
	return <-errc
}

// startJoining turns auto-join on once.
func (n *Node) startJoining() {
	j := n.join
	j.mu.Lock()
	start := !j.on
	j.on = true
	if start {
		j.shuffled = time.Now()
	}
	j.mu.Unlock()
	if start {
		n.goTracked(n.joinLoop)
	}
	j.poke()
}

func (n *Node) joining() bool {
	n.join.mu.Lock()
	defer n.join.mu.Unlock()
	return n.join.on
}

// joinLoop keeps the degree until the node closes.
func (n *Node) joinLoop() {
	for {
		jitter := time.Duration(rand.Int64N(int64(n.cfg.JoinInterval)/5 + 1))
		t := time.NewTimer(n.cfg.JoinInterval - n.cfg.JoinInterval/10 + jitter)
		select {
		case <-n.join.wake:
		case <-t.C:
		case <-n.closing:
			t.Stop()
			return
		}
		t.Stop()
		n.upkeep()
	}
}

// upkeep dials known addresses while below target, asks for more when it
// knows none, forgets addresses that keep failing, and now and then, at or
// above target, dials one known address it is not connected to (shuffle).
func (n *Node) upkeep() {
	now := time.Now()
	peers := n.peers.snapshot()
	connected := make(map[string]bool, len(peers))
	for _, p := range peers {
		connected[p.info.ID] = true
		connected[p.info.Addr] = true
	}
	j := n.join
	candidates := j.book.due(connected, now)
	target := min(n.cfg.TargetPeers, n.cfg.MaxPeers)
	deficit := target - len(peers) - j.book.inFlight()
	// Part of the degree is links this node chose itself: with fewer than a
	// quarter of its target outbound (inbound peers filling its slots), it
	// dials out anyway, and makes room by evicting an inbound peer.
	outbound := 0
	for _, p := range peers {
		if !p.info.Inbound {
			outbound++
		}
	}
	want := max(deficit, (target+3)/4-outbound-j.book.inFlight()) // dials to make now
	var dial []string
	shuffle, shed := "", false
	j.mu.Lock()
	if deficit <= 0 && now.Sub(j.shuffled) >= shuffleEvery*n.cfg.JoinInterval {
		j.shuffled = now
		switch {
		case len(peers) > target:
			shed = true
		case j.book.inFlight() == 0 && len(candidates) > 0:
			// A random one of the best ranked (see rank).
			best := bestRanked(candidates, j.book.rank, true)
			if a := best[rand.IntN(len(best))]; j.book.allowDial(a, now) && j.book.claim(a) {
				shuffle = a
			}
		}
	}
	if want > 0 {
		// Addresses a bootstrap node told us first, then ones more than one
		// peer told us, then the others, each group in random order; within
		// the dial budgets.
		rand.Shuffle(len(candidates), func(a, b int) { candidates[a], candidates[b] = candidates[b], candidates[a] })
		slices.SortStableFunc(candidates, func(a, b string) int { return cmp.Compare(j.book.rank(b), j.book.rank(a)) })
		for _, a := range candidates {
			if len(dial) == want {
				break
			}
			if j.book.allowDial(a, now) && j.book.claim(a) {
				dial = append(dial, a)
			}
		}
	}
	ask := deficit > len(dial) && len(peers) > 0 && now.Sub(j.asked) >= n.cfg.JoinInterval
	if ask {
		j.asked = now
	}
	j.mu.Unlock()

	if ask {
		peers[rand.IntN(len(peers))].sendControl(wire.GetPeersLine)
	}
	for _, addr := range dial {
		n.goTracked(func() { n.dialKnown(n.ctx, addr, true) })
	}
	if shed {
		// Keep the newest link: it may be a bridge a shuffle just made.
		var newest *peer
		for _, p := range peers {
			if newest == nil || p.since.After(newest.since) {
				newest = p
			}
		}
		n.trim(newest.info.ID, target)
	}
	if shuffle != "" {
		n.goTracked(func() {
			if p, err := n.dialKnown(n.ctx, shuffle, true); err == nil {
				n.trim(p.ID, target)
			}
		})
	}
}

// trim hangs up on one random peer other than keep (and never the link to
// a bootstrap address, the entry the user chose) when the node has more
// than target peers: after a shuffle dial (keep is the new peer), so that
// it does not raise the degree, and once a shuffle period when the node is
// above target (keep is the newest peer), so that the degree comes back
// to the target instead of drifting up to MaxPeers.
func (n *Node) trim(keep string, target int) {
	peers := n.peers.snapshot()
	var others, inbound []*peer
	for _, p := range peers {
		if p.info.ID != keep && !n.join.book.bootstrap(p.info.Addr) {
			others = append(others, p)
			if p.info.Inbound {
				inbound = append(inbound, p)
			}
		}
	}
	if len(peers) <= target || len(others) == 0 {
		return
	}
	if len(inbound) > 0 {
		others = inbound // keep the links this node chose itself
	}
	// A random one of the worst ranked: what no bootstrap node and no
	// second peer vouched for goes first.
	addrs := make([]string, len(others))
	for i, p := range others {
		addrs[i] = p.info.Addr
	}
	worst := bestRanked(addrs, n.join.book.rank, false)
	drop := worst[rand.IntN(len(worst))]
	for _, p := range others {
		if p.info.Addr == drop {
			p.hangUp(fmt.Sprintf("shuffle: dropped to keep %d peers", target))
			return
		}
	}
}

// bestRanked returns the addresses of the highest rank (or the lowest,
// when best is false). addrs is not empty.
func bestRanked(addrs []string, rank func(string) int, best bool) []string {
	top := rank(addrs[0])
	for _, a := range addrs[1:] {
		if r := rank(a); best && r > top || !best && r < top {
			top = r
		}
	}
	var out []string
	for _, a := range addrs {
		if rank(a) == top {
			out = append(out, a)
		}
	}
	return out
}

// dialKnown connects to a known address and records how it went. claimed
// says the caller (upkeep) already claimed the address in the book.
func (n *Node) dialKnown(ctx context.Context, addr string, claimed bool) (Peer, error) {
	if !claimed && !n.join.book.claim(addr) {
		return Peer{}, fmt.Errorf("connect %s: a dial of this address is already under way", addr)
	}
	var p Peer
	var err error
	if n.penalty.boxed(addr, time.Now()) {
		// Cut for misbehaving: not dialled until its penalty ends; the book
		// backs off as for any failure.
		n.penalized.Add(1)
		err = fmt.Errorf("connect %s: %w: cut for misbehaving; not dialled for a while", addr, ErrPenalized)
	} else {
		n.emit(Event{Kind: EventDialing, Addr: addr})
		p, err = n.Connect(ctx, addr)
	}
	if n.join.book.dialed(addr, p, err, time.Now()) && ctx.Err() == nil {
		n.emit(Event{Kind: EventDialFailed, Addr: addr, Err: err})
	}
	n.join.poke()
	return p, err
}

// learn adds an address to the book, or refreshes it.
func (n *Node) learn(addr, nodeID, name, source string) {
	n.join.book.learn(addr, nodeID, name, source, time.Now())
}

// peerUp records a new peer's address and, with auto-join on, asks it for
// more.
func (n *Node) peerUp(p *peer) {
	if p.info.Inbound && hostKey(p.info.Addr) != hostKey(p.info.Remote) {
		// An inbound peer that announces an address on another host than
		// the one it connects from is not believed until this node reaches
		// that address itself: it is not advertised before.
		n.learn(p.info.Addr, "", "", "inbound")
	} else if p.info.Inbound {
		n.learn(p.info.Addr, p.info.ID, p.info.Name, "inbound")
	} else {
		n.learn(p.info.Addr, p.info.ID, p.info.Name, "connect")
	}
	if n.joining() {
		p.sendControl(wire.GetPeersLine)
	}
}

// peerDown schedules a redial of a dropped peer's address after a backoff,
// and wakes the upkeep so it can replace it at once from other addresses.
func (n *Node) peerDown(p *peer) {
	if !n.joining() || p.info.Addr == "" {
		return
	}
	n.join.book.peerDown(p.info.Addr, time.Now())
	n.join.poke()
}

// answerPeers tells a peer a random sample of at most 32 addresses this
// node reached itself: its outbound peers' and known ones that connected
// before. An inbound peer's announced address is not passed on until this
// node has dialled it.
func (n *Node) answerPeers(to *peer) {
	to.sendControl(wire.EncodePeers(n.sampleAddrs(to.info.Addr)))
}

// sampleAddrs is a random sample of at most MaxPeerAddrs addresses this
// node reached itself (or that a peer announced on the very host it
// connected from), but skip.
func (n *Node) sampleAddrs(skip string) []string {
	var addrs []string
	for _, p := range n.peers.snapshot() {
		if p.info.Addr != "" && p.info.Addr != skip && (!p.info.Inbound || hostKey(p.info.Addr) == hostKey(p.info.Remote)) {
			addrs = append(addrs, p.info.Addr)
		}
	}
	addrs = n.join.book.working(addrs, skip, n.cfg.MaxKnown)
	rand.Shuffle(len(addrs), func(a, b int) { addrs[a], addrs[b] = addrs[b], addrs[a] })
	return addrs[:min(len(addrs), wire.MaxPeerAddrs)]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// heardPeers learns the addresses in a PEERS frame, each in its one
// spelling (normalizeAddr); host names and other spellings that are not
// one host are dropped. What a bootstrap node (an address the user gave
// to join through) tells is marked so: it is dialled first.
func (n *Node) heardPeers(from *peer, addrs [][]byte) {
	fromBoot := n.join.book.bootstrap(from.info.Addr)
	for _, a := range addrs {
		if addr, err := normalizeAddr(string(a)); err == nil {
			n.learn(addr, "", "", from.info.Name)
			if fromBoot {
				n.join.book.vouch(addr)
			}
		}
	}
	if len(addrs) > 0 && n.joining() {
		n.join.poke()
	}
}

// Known returns the table of known addresses, sorted by address.
func (n *Node) Known() []KnownAddr {
	connected := map[string]string{}
	for _, p := range n.peers.snapshot() {
		connected[p.info.ID] = p.info.Name
		connected[p.info.Addr] = p.info.Name
	}
	return n.join.book.snapshot(connected, time.Now())
}

// advertisedAddr turns the listen address a peer announced into one we can
// dial: an unspecified host (":55555", "[::]:55555") becomes the address
// the connection came from.
//
// The result is normalized (normalizeAddr); an announced host name, which
// could be any host, is replaced by the address the connection came from.
func advertisedAddr(announced string, remote net.Addr) string {
	if announced == "" || announced == "-" {
		return ""
	}
	host, port, err := net.SplitHostPort(announced)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() {
		rhost, _, err := net.SplitHostPort(remote.String())
		if err != nil {
			return ""
		}
		announced = net.JoinHostPort(rhost, port)
	}
	addr, err := normalizeAddr(announced)
	if err != nil {
		return ""
	}
	return addr
}

// isOwnAddr reports whether addr is surely this node's listen address:
// the same string, or the same port on a loopback address when we listen
// on a loopback or unspecified one. Other spellings are caught by the
// handshake (connection to self) and marked "self".
func (n *Node) isOwnAddr(addr string) bool {
	if addr == n.addr {
		return true
	}
	host, port, err := net.SplitHostPort(addr)
	ownHost, ownPort, err2 := net.SplitHostPort(n.addr)
	if err != nil || err2 != nil || port != ownPort {
		return false
	}
	ip, own := net.ParseIP(host), net.ParseIP(ownHost)
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	return ownHost == "" || (own != nil && (own.IsUnspecified() || own.IsLoopback()))
}
