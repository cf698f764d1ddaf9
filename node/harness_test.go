package node

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// waitTimeout bounds every wait in these tests. Waits end on events, not
// clocks; the timeout only turns a hang into a failure. On the fake clock
// of a synctest bubble the bound is fakeWaitTimeout instead: long enough
// for the realistic timeouts those tests wait out (an idle timeout of 90 s,
// a backoff of a minute), and it costs nothing, as no real time passes.
const (
	waitTimeout     = 30 * time.Second
	fakeWaitTimeout = time.Hour
)

// bubbles holds the tests that run in a synctest bubble (see onFakeClock).
var bubbles sync.Map // testing.TB -> struct{}

// onFakeClock runs f in a synctest bubble: time moves only when every
// goroutine of the bubble is blocked, so a test whose subject is a timer
// uses the node's real defaults and takes no real time. Everything f uses
// must be made inside f (the Node, the memnet.Network); TCP cannot be used.
func onFakeClock(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		bubbles.Store(t, struct{}{})
		t.Cleanup(func() { bubbles.Delete(t) })
		f(t)
	})
}

// waitLimit is how long t waits for one event before it fails.
func waitLimit(t testing.TB) time.Duration {
	if _, ok := bubbles.Load(t); ok {
		return fakeWaitTimeout
	}
	return waitTimeout
}

// transports lists the transports every multi-node test runs over. Each
// call of make gives the nodes of one test a shared network.
var transports = []struct {
	name string
	make func() transport.Transport
}{
	{"mem", func() transport.Transport { return memnet.New(0) }},
	{"tcp", func() transport.Transport { return transport.TCP{} }},
}

// recorder drains a node's events and remembers them.
type recorder struct {
	name string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every event
	count    map[string]int
	msgs     []Message
	catchups []Event // EventCatchup
	downs    []Event
	errs     []Event
	dials    []time.Time // when each EventDialing came
	closed   bool
}

func record(n *Node) *recorder {
	r := &recorder{name: n.Name(), changed: make(chan struct{}), count: make(map[string]int)}
	go func() {
		for ev := range n.Events() {
			r.add(ev)
		}
		r.mu.Lock()
		r.closed = true
		r.notifyLocked()
		r.mu.Unlock()
	}()
	return r
}

func (r *recorder) add(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Kind {
	case EventMessage:
		r.count[ev.Message.ID]++
		r.msgs = append(r.msgs, ev.Message)
	case EventPeerDown:
		r.downs = append(r.downs, ev)
	case EventError:
		r.errs = append(r.errs, ev)
	case EventDialing:
		r.dials = append(r.dials, time.Now())
	case EventCatchup:
		r.catchups = append(r.catchups, ev)
	}
	r.notifyLocked()
}

func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitFor waits until cond (called with r.mu held) is true.
func (r *recorder) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	limit := waitLimit(t)
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch, closed := cond(), r.changed, r.closed
		r.mu.Unlock()
		if ok {
			return
		}
		if closed {
			t.Fatalf("%s: events ended before %s", r.name, what)
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%s: timed out after %v waiting for %s", r.name, limit, what)
		}
	}
}

func (r *recorder) waitMessages(t testing.TB, n int) {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("%d messages", n), func() bool { return len(r.msgs) >= n })
}

func (r *recorder) waitDown(t testing.TB, reason string) Event {
	t.Helper()
	var got Event
	r.waitFor(t, "a peer down for "+reason, func() bool {
		for _, ev := range r.downs {
			if strings.Contains(ev.Reason, reason) {
				got = ev
				return true
			}
		}
		return false
	})
	return got
}

// messages returns a copy of the delivered messages.
func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// waitClosed waits until the node's event channel is closed.
func (r *recorder) waitClosed(t testing.TB) {
	t.Helper()
	r.waitFor(t, "events to close", func() bool { return r.closed })
}

// cluster is a set of nodes on one transport.
type cluster struct {
	t     testing.TB
	nodes []*Node
	recs  []*recorder
}

// newCluster starts n nodes named n0, n1, ...; tune may change each config.
func newCluster(t testing.TB, tr transport.Transport, n int, tune func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t}
	for i := 0; i < n; i++ {
		cfg := Config{Name: fmt.Sprintf("n%d", i), ListenAddr: "127.0.0.1:0", Transport: tr}
		if tune != nil {
			tune(&cfg)
		}
		nd, err := New(cfg)
		if err != nil {
			t.Fatalf("New %s: %v", cfg.Name, err)
		}
		c.nodes = append(c.nodes, nd)
		c.recs = append(c.recs, record(nd))
	}
	t.Cleanup(c.close)
	return c
}

// unsignedNodes makes a cluster's nodes speak protocol 1 (Config.Unsigned),
// for tests that play a peer by hand with unsigned frames: the framing,
// queue and lifecycle they test are the same for both protocols.
func unsignedNodes(cfg *Config) { cfg.Unsigned = true }

// link connects the given pairs (i dials j) and checks that every node
// gained the peers the edges give it.
func (c *cluster) link(edges [][2]int) {
	c.t.Helper()
	want := make([]int, len(c.nodes))
	for i, nd := range c.nodes {
		want[i] = len(nd.Peers())
	}
	for _, e := range edges {
		if _, err := c.nodes[e[0]].Connect(context.Background(), c.nodes[e[1]].Addr()); err != nil {
			c.t.Fatalf("connect n%d to n%d: %v", e[0], e[1], err)
		}
		want[e[0]]++
		want[e[1]]++
	}
	// Connect returns after the other side registered us, so the counts
	// are already final; check them.
	for i, nd := range c.nodes {
		if got := len(nd.Peers()); got != want[i] {
			c.t.Fatalf("n%d has %d peers after linking, want %d", i, got, want[i])
		}
	}
}

// close closes every node and waits for their events to end.
func (c *cluster) close() {
	var wg sync.WaitGroup
	for _, nd := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); nd.Close() }()
	}
	wg.Wait()
	for _, r := range c.recs {
		r.waitClosed(c.t)
	}
}

// topologies used by the flood tests.
func chain(n int) [][2]int {
	var e [][2]int
	for i := 0; i+1 < n; i++ {
		e = append(e, [2]int{i, i + 1})
	}
	return e
}

func ring(n int) [][2]int { return append(chain(n), [2]int{n - 1, 0}) }

func complete(n int) [][2]int {
	var e [][2]int
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			e = append(e, [2]int{i, j})
		}
	}
	return e
}

// rawPeer is a hand-driven connection speaking the wire protocol, for
// tests that play a misbehaving or half-finished peer.
type rawPeer struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, tr transport.Transport, addr string) *rawPeer {
	t.Helper()
	conn, err := tr.Dial(context.Background(), addr)
	if err != nil {
		t.Fatalf("raw dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawPeer{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (p *rawPeer) send(line string) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(waitLimit(p.t)))
	if _, err := p.conn.Write([]byte(line + "\n")); err != nil {
		p.t.Fatalf("raw write %q: %v", line, err)
	}
}

// readLine returns the next line, or "" and the error.
// readLine reads the next line, skipping catch-up's summaries (a node
// sends one to every signed peer when the link comes up; a raw peer plays
// no part in catch-up).
func (p *rawPeer) readLine() (string, error) {
	for {
		p.conn.SetReadDeadline(time.Now().Add(waitLimit(p.t)))
		s, err := p.r.ReadString('\n')
		if err != nil || !strings.HasPrefix(s, "SUMMARY") {
			return strings.TrimSuffix(s, "\n"), err
		}
	}
}

func (p *rawPeer) expect(prefix string) string {
	p.t.Helper()
	line, err := p.readLine()
	if err != nil {
		p.t.Fatalf("raw read, want %q...: %v", prefix, err)
	}
	if !strings.HasPrefix(line, prefix) {
		p.t.Fatalf("raw read %q, want %q...", line, prefix)
	}
	return line
}

// handshake says HELLO as a node named name and reads the answer.
func (p *rawPeer) handshake(id, name string) {
	p.t.Helper()
	p.send("HELLO 1 " + id + " " + name + " -")
	p.expect("HELLO ")
}
func b(s string) []byte { return []byte(s) }
