package node

import (
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/store"
	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/secure"
	"github.com/p2p-chat/p2p/node/wire"
)

// Errors that callers test for.
var (
	ErrClosed           = errors.New("node is closed")
	ErrSelf             = errors.New("connection to self")
	ErrAlreadyConnected = errors.New("already connected")
	ErrTooManyPeers     = errors.New("too many peers")
	ErrUnknownPeer      = errors.New("no such peer")
	ErrAmbiguous        = errors.New("ambiguous peer name")
	ErrEmptyText        = wire.ErrEmptyText
	ErrBadText          = wire.ErrBadText
	ErrNoHello          = errors.New("no HELLO") // the other side accepted but did not answer the handshake
)

// Node is one member of a flood-fill chat network. It listens, connects to
// peers, floods messages and reports what happens through Events. All its
// methods are safe for concurrent use.
type Node struct {
	cfg     Config
	id      string        // 16 hex digits: derived from key, or random for an unsigned node
	key     *identity.Key // nil for an unsigned node (Config.Unsigned)
	version int           // the highest protocol this node speaks: 2, or 1 when unsigned
	name    string
	ln      net.Listener
	addr    string // bound listen address

	seen    *seenSet           // messages of this node's protocol: signed ones, or unsigned when it is unsigned
	keys    *identity.KeyCache // origins' keys, expanded for verifying
	plain   *seenSet           // unsigned messages from unsigned neighbours of a signed node; nil unless AllowUnsigned
	recent  *recentLines       // nil when Config.Replay is 0
	join    *joiner
	events  chan Event
	closing chan struct{}   // closed when Close starts
	ctx     context.Context // canceled when Close starts: ends the node's own dials
	cancel  context.CancelFunc
	done    chan struct{} // closed when Close has finished
	once    sync.Once
	wg      sync.WaitGroup // every goroutine the node started

	peers         *peerSet
	rule          rule // how messages travel: flood, or treeRule
	tree          treeCounters
	history       *history // signed messages delivered or sent, for catch-up and the history command
	catchup       catchupCounters
	persist       *persister // the writer to Config.Store; nil without one
	persistFailed atomic.Bool
	unshown       int          // stored messages whose events may not have gone out before the last stop
	knownStore    *store.Store // where the known addresses are saved (with -data)
	penalty       *penaltyBox  // addresses of peers cut for misbehaving
	reports       reporter     // holds back error events of failed handshakes past one a second

	seq        atomic.Uint64 // last message sequence number
	sent       atomic.Uint64
	protoErrs  atomic.Uint64
	slowPeers  atomic.Uint64
	refused    atomic.Uint64 // connections refused before their handshake
	badProofs  atomic.Uint64
	badSigs    atomic.Uint64
	stale      atomic.Uint64
	future     atomic.Uint64
	unverified atomic.Uint64
	ctlDropped atomic.Uint64 // control frames over a peer's budget, ignored
	misbehaved atomic.Uint64 // peers cut for misbehaving
	penalized  atomic.Uint64 // connections refused and dials skipped: the address is in the penalty box

	// mu guards pending, and orders goTracked's wg.Add before Close's
	// wait. Nothing calls the network while holding it.
	mu      sync.Mutex
	pending map[net.Conn]pendingConn // connections still in their handshake
}

// New starts a node: it listens at once (so a taken address is reported
// here), and its first event is EventListening.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Secret) > 0 {
		psk, err := secure.KeyFromSecret(cfg.Secret)
		if err != nil {
			return nil, fmt.Errorf("config: Secret: %w", err)
		}
		cfg.Transport = secure.New(cfg.Transport, psk, cfg.HandshakeTimeout)
	}
	n := &Node{
		cfg:     cfg,
		version: wire.Version,
		key:     cfg.Key,
		name:    cfg.Name,
		seen:    newSeenSet(cfg.SeenTTL, cfg.SeenMax, cfg.SeenOrigins),
		keys:    identity.NewKeyCache(cfg.KeyCache),
		recent:  newRecentLines(replayFor(cfg), cfg.SeenTTL/2),
		events:  make(chan Event, cfg.EventBuffer),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		peers:   newPeerSet(),
		penalty: newPenaltyBox(cfg.PenaltyTime, cfg.PenaltyMax),
		history: newHistory(cfg.HistoryMax, cfg.HistoryBytes, cfg.HistoryAge),
		pending: make(map[net.Conn]pendingConn),
	}
	if err := n.makeIdentity(); err != nil {
		return nil, err
	}
	if cfg.Store != nil && !cfg.Unsigned {
		if err := n.loadStore(cfg.Store); err != nil {
			return nil, err
		}
	}
	if cfg.AllowUnsigned && !cfg.Unsigned {
		n.plain = newSeenSet(cfg.SeenTTL, cfg.SeenMax, cfg.SeenOrigins)
	}
	if n.name == "" {
		n.name = "node-" + n.id[:6]
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if cfg.Mode == "tree" {
		n.rule = newTreeRule(n)
	} else {
		n.rule = flood{n}
	}
	n.join = newJoiner(newAddrBook(cfg, n.isOwnAddr, rand.Int64N))
	if cfg.Store != nil && !cfg.Unsigned {
		if err := n.loadKnown(cfg.Store); err != nil {
			n.cancel()
			return nil, err
		}
	}
	if n.ln, err = listen(cfg.Transport, cfg.ListenAddr); err != nil {
		n.cancel()
		return nil, err
	}
	n.addr = n.ln.Addr().String()
	n.events <- Event{Kind: EventListening, Addr: n.addr}
	if n.unshown > 0 {
		ev := Event{Kind: EventError, Err: fmt.Errorf("store %s: the last %d messages stored may not have been shown before the node stopped (they are not delivered again): history -n %d shows them",
			cfg.Store.Dir(), n.unshown, n.unshown)}
		select {
		case n.events <- ev:
		default:
			n.goTracked(func() { n.emit(ev) }) // a buffer of one: after the listening event
		}
	}
	n.wg.Add(3)
	go n.acceptLoop()
	go n.sweepLoop()
	go n.syncLoop()
	for _, addr := range cfg.Join {
		n.learn(addr, "", "", "join")
	}
	if len(cfg.Join) > 0 {
		n.startJoining()
	}
	return n, nil
}

// replayFor is how many recent lines the node keeps to replay: Replay on
// an unsigned node, none on a signed one (it has catch-up instead).
func replayFor(cfg Config) int {
	if cfg.Unsigned {
		return cfg.Replay
	}
	return 0
}

// makeIdentity sets the node's id: derived from its key (a throwaway one
// if Config.Key is nil), or random for an unsigned node. A node with a
// given key (which may be kept across restarts) numbers its messages from
// the time it starts, in microseconds, so that it never reuses a number
// that others remember from an earlier run; one with a throwaway or no
// key numbers them 1, 2, 3, ...
func (n *Node) makeIdentity() error {
	if n.cfg.Unsigned {
		var raw [8]byte
		if _, err := cryptorand.Read(raw[:]); err != nil {
			return fmt.Errorf("node id: %w", err)
		}
		n.id, n.version = hex.EncodeToString(raw[:]), 1
		return nil
	}
	if n.key == nil {
		k, err := identity.Generate()
		if err != nil {
			return err
		}
		n.key = k // a throwaway key: nobody remembers its numbers
	} else {
		n.seq.Store(uint64(time.Now().UnixMicro()))
	}
	n.id = n.key.ID()
	return nil
}

// listen listens on addr, or on DefaultListenAddr and the ports after it
// when addr is empty.
func listen(t transport.Transport, addr string) (net.Listener, error) {
	if addr != "" {
		ln, err := t.Listen(addr)
		if errors.Is(err, transport.ErrAddrInUse) {
			return nil, fmt.Errorf("listen %s: the address is already in use; choose another, or port 0 for any free port", addr)
		}
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		return ln, nil
	}
	host, portStr, _ := net.SplitHostPort(DefaultListenAddr)
	port, _ := strconv.Atoi(portStr)
	for i := 0; i < DefaultPortTries; i++ {
		a := net.JoinHostPort(host, strconv.Itoa(port+i))
		ln, err := t.Listen(a)
		if err == nil {
			return ln, nil
		}
		if !errors.Is(err, transport.ErrAddrInUse) {
			return nil, fmt.Errorf("listen %s: %w", a, err)
		}
	}
	return nil, fmt.Errorf("listen: ports %d to %d are all in use", port, port+DefaultPortTries-1)
}

// ID returns the node's random id. Name returns its name. Addr returns the
// address it listens on.
func (n *Node) ID() string   { return n.id }
func (n *Node) Name() string { return n.name }
func (n *Node) Addr() string { return n.addr }

// Config returns the node's configuration with defaults filled in.
func (n *Node) Config() Config { return n.cfg }

// Events returns the channel of events. It must be drained: when it is
// full the node stops reading from its peers (backpressure) rather than
// drop a message. It is closed when Close has finished.
//
// Connect and Disconnect return only once their peer's up or down event is
// in this channel, so that a consumer sees them before anything done after
// the call. Hence a goroutine that is the only consumer of Events must not
// call Connect or Disconnect while the channel may be full: it would wait
// for itself. Call them from another goroutine, as package script does.
func (n *Node) Events() <-chan Event { return n.events }

func (n *Node) isClosing() bool {
	select {
	case <-n.closing:
		return true
	default:
		return false
	}
}

// Send floods a new message to every peer. It waits while a peer's queue
// is past its bound and moving (backpressure); a peer whose queue does not
// move is disconnected as slow.
func (n *Node) Send(text string) (Sent, error) {
	if n.isClosing() {
		return Sent{}, ErrClosed
	}
	if err := ValidateText(text, n.cfg.MaxTextBytes()); err != nil {
		return Sent{}, err
	}
	msg, m := n.newMessage(text)
	if m.signed != "" {
		now := time.Now()
		n.history.add(m.mid.Origin, m.mid.Seq, m.signed, msg, now)
		n.keep(store.Record{Node: m.mid.Origin, Seq: m.mid.Seq, At: now.UnixNano(), Line: m.signed})
	}
	copies := n.rule.publish(m)
	n.sent.Add(1)
	return Sent{Message: msg, Peers: copies}, nil
}

// Peers returns the connected peers, sorted by name.
func (n *Node) Peers() []PeerInfo {
	ps := n.peers.snapshot()
	out := make([]PeerInfo, 0, len(ps))
	tr, _ := n.rule.(*treeRule)
	for _, p := range ps {
		info := p.snapshot()
		if tr != nil && p.info.Tree {
			info.LazyOrigins, info.Origins = tr.lazyFor(p)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return out
}

// Seen returns the remembered message ids, oldest first.
func (n *Node) Seen() []SeenEntry { return n.seen.snapshot() }

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := n.peers.stats()
	s.Seen = n.seen.len()
	s.SeenOrigins = n.seen.originCount()
	s.GapJumps = n.seen.gapJumps()
	s.Sent = n.sent.Load()
	s.ProtocolErrors = n.protoErrs.Load()
	s.SlowPeers = n.slowPeers.Load()
	s.RefusedConns = n.refused.Load()
	s.BadSignatures = n.badSigs.Load()
	s.BadProofs = n.badProofs.Load()
	s.Stale = n.stale.Load()
	s.FromFuture = n.future.Load()
	s.Unverified = n.unverified.Load()
	s.ControlDropped = n.ctlDropped.Load()
	s.Misbehaving = n.misbehaved.Load()
	s.Penalized = n.penalized.Load()
	t := &n.tree
	s.IHavesOut, s.IHaveIDsOut, s.IHaveIDsIn = t.ihavesOut.Load(), t.ihaveIDsOut.Load(), t.ihaveIDsIn.Load()
	s.GraftsOut, s.GraftsIn, s.PrunesOut, s.PrunesIn = t.graftsOut.Load(), t.graftsIn.Load(), t.prunesOut.Load(), t.prunesIn.Load()
	s.GraftAnswers, s.GraftsRefused = t.graftAnswers.Load(), t.graftsRefused.Load()
	s.GraftMisses, s.TreeLost = t.graftMisses.Load(), t.lost.Load()
	c := &n.catchup
	s.SummariesOut, s.SummariesIn = c.summariesOut.Load(), c.summariesIn.Load()
	s.CatchupOut, s.CatchupBytesOut, s.CatchupIn, s.CatchupBytesIn = c.out.Load(), c.bytesOut.Load(), c.in.Load(), c.bytesIn.Load()
	s.CatchupDelivered, s.CatchupRefused = c.delivered.Load(), c.refused.Load()
	s.History = n.history.len()
	if tr, ok := n.rule.(*treeRule); ok {
		tr.mu.Lock()
		s.IHavesIgnored = tr.t.Ignored
		tr.mu.Unlock()
	}
	return s
}

// Disconnect ends the connection to a peer, named by its node id, its
// name, its announced address or its remote address. A name two peers
// share is refused (ErrAmbiguous), naming both ids: give an id. Its queue
// is flushed first. It returns once the peer's down event is in the
// Events channel: see Events for what that means for the consumer of
// events.
func (n *Node) Disconnect(who string) error {
	var found []*peer
	for _, p := range n.peers.snapshot() {
		if p.info.ID == who {
			found = []*peer{p} // an id is unique: it wins
			break
		}
		if p.info.Name == who || p.info.Addr == who || p.info.Remote == who {
			found = append(found, p)
		}
	}
	switch {
	case len(found) == 0:
		return fmt.Errorf("disconnect %s: %w", who, ErrUnknownPeer)
	case len(found) > 1:
		ids := make([]string, len(found))
		for i, p := range found {
			ids[i] = p.info.ID
		}
		slices.Sort(ids)
		return fmt.Errorf("disconnect %s: %w: %d peers answer to it, with ids %s; give the id of the one to cut",
			who, ErrAmbiguous, len(found), strings.Join(ids, ", "))
	}
	found[0].hangUp("disconnected by user")
	found[0].waitDown()
	return nil
}

// Close stops the node: it stops listening, flushes every peer's queue,
// says BYE, closes the connections and returns when every goroutine the
// node started has ended. It is safe to call more than once.
func (n *Node) Close() error {
	n.once.Do(func() {
		n.mu.Lock()
		close(n.closing)
		n.cancel()
		pending := make([]net.Conn, 0, len(n.pending))
		for c := range n.pending {
			pending = append(pending, c)
		}
		n.mu.Unlock()
		for _, c := range pending {
			c.Close()
		}
		n.ln.Close()
		for _, p := range n.peers.close() {
			p.hangUp("node shutting down")
		}
		n.wg.Wait()
		n.peers.wait()
		n.rule.close()
		n.closeStore()
		n.saveKnown()
		close(n.events)
		close(n.done)
	})
	<-n.done
	return nil
}

// sweepLoop forgets old ids until the node closes.
func (n *Node) sweepLoop() {
	defer n.wg.Done()
	period := min(max(n.cfg.SeenTTL/8, 10*time.Millisecond), time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			n.seen.sweep()
		case <-n.closing:
			return
		}
	}
}

// goTracked runs f on a goroutine that Close waits for, unless the node is
// closing (then it reports false and does not run f).
func (n *Node) goTracked(f func()) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.isClosing() {
		return false
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
	return true
}
