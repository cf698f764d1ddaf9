package node

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// addrBook is the table of known addresses and every rule about it: what
// is learned (bounded by MaxKnown; a full table evicts the address that
// failed most, never a bootstrap address), when an address may be dialed
// again (exponential backoff with jitter after each failure), what a
// dial's outcome means, and when an address that keeps failing is
// forgotten. It does no I/O, starts no goroutine and reads no clock: the
// caller passes the time, and the jitter comes from an injected source,
// so it is tested alone on a fake clock. join.go drives it.
//
// mu guards known and dialing.
type addrBook struct {
	maxKnown    int
	backoffBase time.Duration
	backoffMax  time.Duration
	forgetAfter time.Duration
	isOwn       func(addr string) bool // this node's own address: never learned
	jitter      func(n int64) int64    // a random number in [0, n)

	mu        sync.Mutex
	known     map[string]*knownAddr
	dialing   int            // dials in flight
	perSource map[string]int // addresses in the table by the peer that first told us
	hostDials map[string]*bucket
	allDials  bucket
}

// Peer exchange bounds that are not in Config: what one peer may put in
// the table is an eighth of it, but at least one PEERS frame's worth
// (Bitcoin caps what one source can add in the same spirit), and a host that is not this machine is dialled at most
// hostDialsPerMinute times a minute (burst hostDialBurst), whatever its
// ports; dials of all addresses together are bounded by Config.DialRate.
const (
	perSourceShare     = 8
	hostDialsPerMinute = 10
	hostDialBurst      = 3
	maxTold            = 4 // distinct sources remembered per address
)

// knownAddr is one row of an addrBook. The book's mu guards its fields;
// nothing outside addrbook.go holds one.
type knownAddr struct {
	addr     string
	nodeID   string
	name     string
	source   string
	told     []string // the peers that told us, at most maxTold (the first is source)
	vouched  bool     // a bootstrap node told us
	failures int
	learned  time.Time
	lastOK   time.Time // connected at some point (zero if never)
	nextTry  time.Time
	dialing  bool
	self     bool
}

// lastWorked is when the address last connected, or was learned if never.
func (k *knownAddr) lastWorked() time.Time {
	if k.lastOK.After(k.learned) {
		return k.lastOK
	}
	return k.learned
}

func newAddrBook(cfg Config, isOwn func(string) bool, jitter func(int64) int64) *addrBook {
	return &addrBook{
		maxKnown:    cfg.MaxKnown,
		backoffBase: cfg.DialBackoff,
		backoffMax:  cfg.DialBackoffMax,
		forgetAfter: cfg.ForgetAfter,
		isOwn:       isOwn,
		jitter:      jitter,
		known:       make(map[string]*knownAddr),
		perSource:   make(map[string]int),
		hostDials:   make(map[string]*bucket),
		allDials:    newBucket(float64(cfg.DialRate), float64(2*cfg.DialRate), time.Time{}),
	}
}

// fromPeer reports whether a source is a peer (a PEERS frame), not the
// user or a connection.
func fromPeer(source string) bool {
	return source != "join" && source != "connect" && source != "inbound"
}

// learn adds an address to the table, or refreshes it. A node that is
// connected (nodeID set) is recorded as working.
func (b *addrBook) learn(addr, nodeID, name, source string, now time.Time) {
	if addr == "" || b.isOwn(addr) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	if k == nil {
		if fromPeer(source) && b.perSource[source] >= max(wire.MaxPeerAddrs, b.maxKnown/perSourceShare) {
			return // this peer has told us its share
		}
		if len(b.known) >= b.maxKnown && !b.evictLocked() {
			return
		}
		k = &knownAddr{addr: addr, source: source, learned: now}
		b.known[addr] = k
		b.perSource[source]++
	}
	if fromPeer(source) && len(k.told) < maxTold && !slices.Contains(k.told, source) {
		k.told = append(k.told, source)
	}
	if nodeID != "" {
		k.nodeID, k.name, k.failures, k.lastOK = nodeID, name, 0, now
	}
}

// evictLocked makes room by forgetting the address that failed most, or
// else the one that worked longest ago. Bootstrap addresses and addresses
// being dialed stay. It reports whether it made room.
func (b *addrBook) evictLocked() bool {
	var worst *knownAddr
	for _, k := range b.known {
		if k.dialing || k.source == "join" {
			continue
		}
		if worst == nil || k.failures > worst.failures ||
			(k.failures == worst.failures && k.lastOK.Before(worst.lastOK)) {
			worst = k
		}
	}
	if worst == nil {
		return false
	}
	b.forgetLocked(worst)
	return true
}

func (b *addrBook) forgetLocked(k *knownAddr) {
	delete(b.known, k.addr)
	if b.perSource[k.source]--; b.perSource[k.source] <= 0 {
		delete(b.perSource, k.source)
	}
}

// allowDial spends the dial budgets for addr: the budget of all dials,
// and the host's when it is not a loopback address (everyone on one
// machine shares 127.0.0.1; the address's own backoff still holds). It
// reports false, spending nothing, when either is empty.
func (b *addrBook) allowDial(addr string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	var hb *bucket
	if host := hostKey(addr); host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			if hb = b.hostDials[host]; hb == nil {
				if len(b.hostDials) >= b.maxKnown {
					clear(b.hostDials)
				}
				nb := newBucket(hostDialsPerMinute/60.0, hostDialBurst, now)
				hb = &nb
				b.hostDials[host] = hb
			}
		}
	}
	if hb != nil {
		hb.refill(now)
		if hb.tokens < 1 {
			return false
		}
	}
	if !b.allDials.take(now) {
		return false
	}
	if hb != nil {
		hb.tokens--
	}
	return true
}

// rank is how much the node trusts an address to lead to the honest
// network: 2 if a bootstrap node told us (or it is one), plus 1 if more
// than one peer told us. Auto-join dials the best ranked first, and drops
// the worst ranked first when it has too many peers.
func (b *addrBook) rank(addr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	if k == nil {
		return 0
	}
	r := 0
	if k.vouched || k.source == "join" {
		r += 2
	}
	if len(k.told) > 1 {
		r++
	}
	return r
}

// vouch marks addr as told by a bootstrap node; vouched reports it.
func (b *addrBook) vouch(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.known[addr]; k != nil {
		k.vouched = true
	}
}

func (b *addrBook) vouched(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	return k != nil && k.vouched
}

// bootstrap reports whether addr was given by the user to join through.
func (b *addrBook) bootstrap(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	return k != nil && k.source == "join"
}

// multiSource reports whether more than one peer told us addr: such
// addresses are dialled first, so one liar cannot fill a node's
// outbound links with its own.
func (b *addrBook) multiSource(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	return k != nil && len(k.told) > 1
}

// due forgets the addresses that kept failing for ForgetAfter and returns
// the ones that may be dialed now: not this node, not being dialed, not
// connected (connected holds the node ids and addresses of the peers),
// past their backoff. The order is the map's: random.
func (b *addrBook) due(connected map[string]bool, now time.Time) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for addr, k := range b.known {
		switch {
		case k.self || k.dialing || connected[addr] || (k.nodeID != "" && connected[k.nodeID]):
		case k.failures > 0 && now.Sub(k.lastWorked()) > b.forgetAfter:
			b.forgetLocked(k)
		case !k.nextTry.After(now):
			out = append(out, addr)
		}
	}
	return out
}

// claim marks a known address as being dialed. It reports false if a dial
// of it is under way already. An address not in the table can be dialed
// (and is not tracked).
func (b *addrBook) claim(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	if k == nil {
		return true
	}
	if k.dialing {
		return false
	}
	k.dialing = true
	b.dialing++
	return true
}

// inFlight is the number of dials under way.
func (b *addrBook) inFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dialing
}

// dialed records how a claimed dial went, and reports whether the
// outcome is a failure worth telling the user: success, this node itself,
// an address of a node already connected (it dialed us first, or it has
// two addresses) and this node closing are not.
func (b *addrBook) dialed(addr string, p Peer, err error, now time.Time) (report bool) {
	report = err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrAlreadyConnected)
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.known[addr]
	if k == nil || !k.dialing {
		return report
	}
	k.dialing = false
	b.dialing--
	switch {
	case err == nil:
		k.failures, k.lastOK, k.nodeID, k.name = 0, now, p.ID, p.Name
	case errors.Is(err, ErrSelf):
		k.self = true
	case errors.Is(err, ErrAlreadyConnected):
		k.nextTry = now.Add(b.backoffMax)
	case errors.Is(err, ErrClosed):
		// This node is closing (Connect says ErrClosed only then).
	default:
		k.failures++
		k.nextTry = now.Add(b.backoff(k.failures))
	}
	return report
}

// peerDown schedules a redial of a dropped peer's address after one
// backoff period.
func (b *addrBook) peerDown(addr string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.known[addr]; k != nil {
		k.nextTry = now.Add(b.backoff(1))
	}
}

// backoff is DialBackoff doubled per failure, at most DialBackoffMax, plus
// up to 50% jitter so that nodes that lost the same peer do not redial in
// step.
func (b *addrBook) backoff(failures int) time.Duration {
	d := b.backoffBase
	for i := 1; i < failures && d < b.backoffMax; i++ {
		d *= 2
	}
	d = min(d, b.backoffMax)
	return d + time.Duration(b.jitter(int64(d)/2+1))
}

// working appends to addrs, up to limit in all, the known addresses that
// connected at some point, but not skip's and not ones already in addrs.
func (b *addrBook) working(addrs []string, skip string, limit int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for addr, k := range b.known {
		if len(addrs) >= limit {
			break
		}
		if !k.lastOK.IsZero() && !k.self && addr != skip && !slices.Contains(addrs, addr) {
			addrs = append(addrs, addr)
		}
	}
	return addrs
}

// snapshot returns the table sorted by address; connected maps the node
// ids and addresses of the peers to their names.
func (b *addrBook) snapshot(connected map[string]string, now time.Time) []KnownAddr {
	b.mu.Lock()
	out := make([]KnownAddr, 0, len(b.known))
	for addr, k := range b.known {
		ka := KnownAddr{Addr: addr, Name: k.name, Failures: k.failures, NextTry: k.nextTry, Source: k.source,
			LastSeen: k.lastOK}
		name, isConn := connected[addr]
		if !isConn && k.nodeID != "" {
			name, isConn = connected[k.nodeID]
		}
		switch {
		case k.self:
			ka.State = "self"
		case isConn:
			ka.State, ka.Name, ka.LastSeen = "connected", name, now
		case k.dialing:
			ka.State = "dialing"
		case k.failures > 0:
			ka.State = "failed"
		default:
			ka.State = "new"
		}
		out = append(out, ka)
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y KnownAddr) int { return strings.Compare(x.Addr, y.Addr) })
	return out
}
