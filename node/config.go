package node

import (
	"fmt"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/store"
	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/wire"
)

// DefaultListenAddr is where a node listens when Config.ListenAddr is
// empty. If the port is taken the node tries the next ones, up to
// DefaultPortTries ports in all.
const (
	DefaultListenAddr = ":55555"
	DefaultPortTries  = 100
)

// Config sets up a Node. A zero field takes its value from DefaultConfig.
type Config struct {
	// Name is shown to peers and in messages: 1 to 64 of A-Z a-z 0-9 . _ -.
	// Empty means "node-" and the first 6 characters of the node id.
	Name string
	// ListenAddr is the address to listen on. Empty means DefaultListenAddr
	// and the next free port after it; an explicit address that is taken
	// is an error. Port 0 picks a free port.
	ListenAddr string
	// Transport listens and dials. Nil means transport.TCP.
	Transport transport.Transport

	// Secret, when set, makes a private network: only nodes with the same
	// secret (at least 16 bytes) complete a handshake, and every link is
	// encrypted (Noise, package node/transport/secure, around Transport).
	Secret []byte

	// Store, when set, keeps the history of signed messages and what was
	// delivered across restarts (package store; `-data DIR`): a message is
	// written to it before its event goes out, so a restarted node
	// delivers nothing twice. The caller opens and closes it (after
	// Close). Nil keeps them in memory only.
	Store *store.Store

	// Key is the node's identity: its node id is derived from it and it
	// signs the node's messages and handshake proofs. Nil means a
	// throwaway key made at start (package identity loads a key file).
	Key *identity.Key
	// Unsigned makes the node speak protocol 1 only, the tutorial's
	// trusting network: no key, no signatures, every message believed.
	// It implies AllowUnsigned.
	Unsigned bool
	// AllowUnsigned lets protocol 1 (unsigned) peers in, such as a person
	// with netcat. Their messages are shown as unverified, via that
	// neighbour, and reach signed peers only as this node's own signed
	// message saying so.
	AllowUnsigned bool
	// MaxClockSkew: a signed message whose time is further ahead of this
	// node's clock is refused.
	MaxClockSkew time.Duration

	// ControlRate and ControlBurst bound each peer's control frames (PING,
	// GETPEERS, PEERS, ERR, unknown types): ControlRate a second, up to
	// ControlBurst at once. A frame past them is dropped, and spends one of
	// the peer's Patience offences (forgiven at one a second); a peer out
	// of patience is cut for misbehaving, and its address goes to the
	// penalty box for PenaltyTime (at most PenaltyMax addresses).
	ControlRate  int
	ControlBurst int
	Patience     int
	PenaltyTime  time.Duration
	PenaltyMax   int

	// SeenTTL and SeenMax bound the seen set's table of details (origin,
	// first seen, duplicates) of recent ids: an entry is forgotten after
	// SeenTTL, or when SeenMax newer ids have been added. Forgetting an
	// entry never makes its message new again: see SeenOrigins.
	SeenTTL time.Duration
	SeenMax int
	// SeenOrigins bounds the delivered log, which remembers for every
	// origin node which of its messages were delivered (a floor and up to
	// 4096 numbers above it: a few dozen bytes for an origin whose
	// messages arrive in order). Past it the origin heard from least
	// recently is forgotten, and a late copy of one of its messages would
	// be delivered again.
	SeenOrigins int
	// Mode is the broadcast rule: "flood" (the default, the tutorial's) or
	// "tree" (Plumtree: each origin's messages settle on a spanning tree of
	// eager links, the others carry IHAVE; see docs/protocol.md). A tree
	// node treats a flood peer as always eager. Tree mode needs signed
	// messages (not Unsigned); unsigned links are flooded.
	Mode string
	// GraftTimeout: a tree node that hears IHAVE for a message that does
	// not come within it asks the announcer (GRAFT), then the next
	// announcer after half of it. IHaveDelay: IHAVE frames are sent in
	// batches, at most this long after the first id of a batch.
	GraftTimeout time.Duration
	IHaveDelay   time.Duration
	// TreeCache and TreeCacheBytes bound the messages a tree node keeps to
	// answer GRAFT (and, four times TreeCache, the missing messages it
	// waits for); TreeOrigins the origins whose trees it keeps (the least
	// recently used is forgotten, and its next message flooded).
	// GraftRate bounds the messages one peer may ask for by GRAFT, a
	// second (burst the same); past it GRAFT is ignored. A GRAFT refused
	// is a message the asker may never get, so the default is above what
	// a node relays at full speed (about 13,000 signed messages a
	// second): a peer asking for more gets no more than an eager link
	// would carry. (At 1,000 a second a burst of 10,000 on five nodes lost
	// 314 messages.)
	TreeCache      int
	TreeCacheBytes int
	TreeOrigins    int
	GraftRate      int

	// KeyCache is how many origins' public keys are kept expanded for
	// verifying their messages faster (about 1.5 KB each).
	KeyCache int
	// HistoryMax, HistoryBytes and HistoryAge bound the history of signed
	// messages delivered or sent, which catch-up sends to a peer that
	// lacks them and the history command shows: the oldest are forgotten
	// past any of them.
	HistoryMax   int
	HistoryBytes int
	HistoryAge   time.Duration
	// SyncEvery: every so often, and when a link comes up, a node sends
	// each signed peer a summary of what it has delivered, and the peer
	// sends back what it lacks (catch-up, docs/catch-up.md). A peer's
	// summaries are answered at most once per SyncEvery/2.
	SyncEvery time.Duration
	// MaxHops: a message that has crossed this many links is delivered but
	// not forwarded.
	MaxHops int
	// MaxLineBytes is the longest frame accepted or sent, without its
	// newline. A longer line from a peer is a protocol error.
	MaxLineBytes int
	// QueueFrames and QueueBytes bound each peer's send queue softly: past
	// them whoever queues waits for room (see sendQueue); 16 times them is
	// the hard limit, past which everyone waits while bytes move.
	QueueFrames int
	QueueBytes  int
	// SlowPeerTimeout: a peer whose queue is past its bound and whose
	// writer has taken nothing for this long is disconnected as slow.
	SlowPeerTimeout time.Duration
	// WriteTimeout is the deadline for one batch of writes to a socket.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the HELLO exchange.
	HandshakeTimeout time.Duration
	// DialTimeout bounds a Connect's dial.
	DialTimeout time.Duration
	// KeepAlive: a peer that has been sent nothing for this long is sent a
	// PING frame. IdleTimeout: a peer from which nothing has been received
	// for this long is disconnected as dead. IdleTimeout must be more than
	// KeepAlive.
	KeepAlive   time.Duration
	IdleTimeout time.Duration
	// CloseTimeout is how long Close and Disconnect wait for a peer to
	// acknowledge the end of the connection after the queue is flushed.
	CloseTimeout time.Duration
	// Replay, for an unsigned node (protocol 1, which has no catch-up), is
	// how many recent messages (own and relayed, younger than half of
	// SeenTTL) are sent again to every new peer after the handshake, so a link that comes up during a flood gets what passed
	// before it. 0 (the default) turns it off, as in the tutorial. It
	// must not be more than QueueFrames.
	Replay int
	// Join lists bootstrap addresses. When it is not empty (or after
	// Node.Join), the node joins on its own: it learns addresses from its
	// peers (GETPEERS/PEERS) and keeps TargetPeers connections, redialling
	// with backoff when they drop. See docs/joining.md.
	Join []string
	// TargetPeers is the number of connections auto-join keeps.
	TargetPeers int
	// JoinInterval is how often auto-join checks its degree (with 20%
	// jitter); it also acts at once when a peer drops or addresses arrive.
	JoinInterval time.Duration
	// DialBackoff and DialBackoffMax bound the exponential backoff between
	// dials of an address that failed (with 50% jitter).
	DialBackoff    time.Duration
	DialBackoffMax time.Duration
	// ForgetAfter: an address that keeps failing is forgotten when it has
	// not worked for this long.
	ForgetAfter time.Duration
	// MaxKnown bounds the table of known addresses; one peer may fill at
	// most an eighth of it.
	MaxKnown int
	// DialRate bounds auto-join's dials: at most this many a second
	// (burst twice that), all addresses together.
	DialRate int
	// MaxPeers bounds connected peers; it also bounds connections still in
	// their handshake.
	MaxPeers int
	// EventBuffer is the capacity of the Events channel.
	EventBuffer int
	// BufferSize is the size of each connection's read and write buffers.
	BufferSize int
}

// DefaultConfig returns the defaults documented in docs/protocol.md.
func DefaultConfig() Config {
	return Config{
		MaxClockSkew:     time.Minute,
		ControlRate:      10,
		ControlBurst:     50,
		Patience:         100,
		PenaltyTime:      10 * time.Minute,
		PenaltyMax:       1024,
		SeenTTL:          2 * time.Minute,
		SeenMax:          100_000,
		SeenOrigins:      10_000,
		HistoryMax:       100_000,
		HistoryBytes:     64 << 20,
		HistoryAge:       24 * time.Hour,
		SyncEvery:        30 * time.Second,
		Mode:             "flood",
		GraftTimeout:     broadcast.DefaultGraftTimeout,
		IHaveDelay:       5 * time.Millisecond,
		TreeCache:        broadcast.DefaultCacheSize,
		TreeCacheBytes:   8 << 20,
		TreeOrigins:      broadcast.DefaultMaxOrigins,
		KeyCache:         1024,
		GraftRate:        20_000,
		MaxHops:          1000,
		MaxLineBytes:     64 << 10,
		QueueFrames:      4096,
		QueueBytes:       4 << 20,
		SlowPeerTimeout:  5 * time.Second,
		WriteTimeout:     10 * time.Second,
		HandshakeTimeout: 5 * time.Second,
		DialTimeout:      5 * time.Second,
		CloseTimeout:     2 * time.Second,
		KeepAlive:        30 * time.Second,
		IdleTimeout:      90 * time.Second,
		TargetPeers:      4,
		JoinInterval:     time.Second,
		DialBackoff:      time.Second,
		DialBackoffMax:   time.Minute,
		ForgetAfter:      10 * time.Minute,
		MaxKnown:         1000,
		DialRate:         5,
		MaxPeers:         64,
		EventBuffer:      1024,
		BufferSize:       16 << 10,
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.SeenTTL, d.SeenTTL)
	setDur(&c.MaxClockSkew, d.MaxClockSkew)
	setInt(&c.ControlRate, d.ControlRate)
	setInt(&c.ControlBurst, d.ControlBurst)
	setInt(&c.Patience, d.Patience)
	setDur(&c.PenaltyTime, d.PenaltyTime)
	setInt(&c.PenaltyMax, d.PenaltyMax)
	if c.Unsigned {
		if c.Key != nil {
			return c, fmt.Errorf("config: Unsigned and a Key: an unsigned node has no identity to sign with")
		}
		c.AllowUnsigned = true
	}
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.Mode != "flood" && c.Mode != "tree" {
		return c, fmt.Errorf("config: Mode %q: it is flood or tree", c.Mode)
	}
	if c.Mode == "tree" && c.Unsigned {
		return c, fmt.Errorf("config: tree mode needs signed messages: an unsigned node (protocol 1) floods")
	}
	setDur(&c.GraftTimeout, d.GraftTimeout)
	setDur(&c.IHaveDelay, d.IHaveDelay)
	setInt(&c.TreeCache, d.TreeCache)
	setInt(&c.TreeCacheBytes, d.TreeCacheBytes)
	setInt(&c.TreeOrigins, d.TreeOrigins)
	setInt(&c.KeyCache, d.KeyCache)
	setInt(&c.GraftRate, d.GraftRate)
	setInt(&c.HistoryMax, d.HistoryMax)
	setInt(&c.HistoryBytes, d.HistoryBytes)
	setDur(&c.HistoryAge, d.HistoryAge)
	setDur(&c.SyncEvery, d.SyncEvery)
	setInt(&c.SeenMax, d.SeenMax)
	setInt(&c.SeenOrigins, d.SeenOrigins)
	setInt(&c.MaxHops, d.MaxHops)
	setInt(&c.MaxLineBytes, d.MaxLineBytes)
	setInt(&c.QueueFrames, d.QueueFrames)
	setInt(&c.QueueBytes, d.QueueBytes)
	setDur(&c.SlowPeerTimeout, d.SlowPeerTimeout)
	setDur(&c.WriteTimeout, d.WriteTimeout)
	setDur(&c.HandshakeTimeout, d.HandshakeTimeout)
	setDur(&c.DialTimeout, d.DialTimeout)
	setDur(&c.CloseTimeout, d.CloseTimeout)
	setDur(&c.KeepAlive, d.KeepAlive)
	setDur(&c.IdleTimeout, d.IdleTimeout)
	setInt(&c.MaxPeers, d.MaxPeers)
	setInt(&c.TargetPeers, d.TargetPeers)
	setDur(&c.JoinInterval, d.JoinInterval)
	setDur(&c.DialBackoff, d.DialBackoff)
	setDur(&c.DialBackoffMax, d.DialBackoffMax)
	setDur(&c.ForgetAfter, d.ForgetAfter)
	setInt(&c.MaxKnown, d.MaxKnown)
	setInt(&c.DialRate, d.DialRate)
	setInt(&c.EventBuffer, d.EventBuffer)
	setInt(&c.BufferSize, d.BufferSize)
	if c.Transport == nil {
		c.Transport = transport.TCP{}
	}
	if c.Name != "" {
		if err := ValidateName(c.Name); err != nil {
			return c, err
		}
	}
	for _, v := range []struct {
		name string
		val  int64
	}{
		{"SeenTTL", int64(c.SeenTTL)}, {"SeenMax", int64(c.SeenMax)},
		{"SeenOrigins", int64(c.SeenOrigins)}, {"MaxHops", int64(c.MaxHops)},
		{"QueueFrames", int64(c.QueueFrames)}, {"QueueBytes", int64(c.QueueBytes)},
		{"SlowPeerTimeout", int64(c.SlowPeerTimeout)}, {"WriteTimeout", int64(c.WriteTimeout)},
		{"HandshakeTimeout", int64(c.HandshakeTimeout)}, {"DialTimeout", int64(c.DialTimeout)},
		{"CloseTimeout", int64(c.CloseTimeout)}, {"MaxPeers", int64(c.MaxPeers)},
		{"KeepAlive", int64(c.KeepAlive)}, {"IdleTimeout", int64(c.IdleTimeout)},
		{"TargetPeers", int64(c.TargetPeers)}, {"JoinInterval", int64(c.JoinInterval)},
		{"DialBackoff", int64(c.DialBackoff)}, {"DialBackoffMax", int64(c.DialBackoffMax)},
		{"ForgetAfter", int64(c.ForgetAfter)}, {"MaxKnown", int64(c.MaxKnown)}, {"DialRate", int64(c.DialRate)},
		{"EventBuffer", int64(c.EventBuffer)}, {"BufferSize", int64(c.BufferSize)},
		{"MaxClockSkew", int64(c.MaxClockSkew)}, {"ControlRate", int64(c.ControlRate)},
		{"ControlBurst", int64(c.ControlBurst)}, {"Patience", int64(c.Patience)},
		{"PenaltyTime", int64(c.PenaltyTime)}, {"PenaltyMax", int64(c.PenaltyMax)},
		{"GraftTimeout", int64(c.GraftTimeout)}, {"IHaveDelay", int64(c.IHaveDelay)},
		{"TreeCache", int64(c.TreeCache)}, {"TreeCacheBytes", int64(c.TreeCacheBytes)},
		{"TreeOrigins", int64(c.TreeOrigins)}, {"KeyCache", int64(c.KeyCache)}, {"GraftRate", int64(c.GraftRate)},
		{"HistoryMax", int64(c.HistoryMax)}, {"HistoryBytes", int64(c.HistoryBytes)},
		{"HistoryAge", int64(c.HistoryAge)}, {"SyncEvery", int64(c.SyncEvery)},
	} {
		if v.val < 0 {
			return c, fmt.Errorf("config: %s must not be negative", v.name)
		}
	}
	if c.Replay < 0 || c.Replay > c.QueueFrames {
		return c, fmt.Errorf("config: Replay is %d, it must be from 0 to QueueFrames (%d)", c.Replay, c.QueueFrames)
	}
	if len(c.Join) > 0 && c.TargetPeers > c.MaxPeers {
		return c, fmt.Errorf("config: TargetPeers (%d) is more than MaxPeers (%d)", c.TargetPeers, c.MaxPeers)
	}
	if c.IdleTimeout <= c.KeepAlive {
		return c, fmt.Errorf("config: IdleTimeout (%v) must be more than KeepAlive (%v)", c.IdleTimeout, c.KeepAlive)
	}
	if c.MaxLineBytes < wire.MinMaxLine || c.MaxLineBytes > 1<<30 {
		return c, fmt.Errorf("config: MaxLineBytes is %d, it must be from %d to %d", c.MaxLineBytes, wire.MinMaxLine, 1<<30)
	}
	if c.MaxHops > wire.MaxHops {
		return c, fmt.Errorf("config: MaxHops is %d, the most is %d", c.MaxHops, wire.MaxHops)
	}
	if c.BufferSize < 64 {
		c.BufferSize = 64
	}
	return c, nil
}

// MaxTextBytes is the longest message text this node can send: the line
// limit less the MSG frame's other fields at their longest.
func (c Config) MaxTextBytes() int {
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultConfig().MaxLineBytes
	}
	return wire.MaxText(c.MaxLineBytes)
}
