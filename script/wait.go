package script

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node"
	"github.com/p2p-chat/p2p/node/notify"
)

// History bounds: how many delivered messages `wait message` can still
// find, and how many bytes of text they may hold. Older ones are dropped.
const (
	historyMax      = 10_000
	historyMaxBytes = 8 << 20
)

// tracker follows the events the pump has printed, so that `wait` sees
// exactly what the output shows. A message delivered before the wait began
// still counts, unless an earlier wait consumed it.
type tracker struct {
	// mu guards every field below.
	mu        sync.Mutex
	peers     int    // connected now, from connected/disconnected events
	delivered uint64 // messages delivered since the node started
	history   []held // delivered messages, oldest first; history[head:] live
	head      int
	bytes     int               // text bytes held in history[head:]
	dropped   uint64            // messages dropped from history unconsumed
	changed   notify.Signal     // broadcast when an event was handled
	seq       uint64            // events handled
	lastUp    map[string]uint64 // peer id -> seq of its latest connected event
}

// maxLastUp bounds lastUp; when it is full, it is emptied before the next
// entry goes in. An entry matters only from a connect to the wait for its
// connected event, which the entry added last answers.
const maxLastUp = 4096

type held struct {
	msg      node.Message
	consumed bool
}

func newTracker() *tracker {
	return &tracker{lastUp: make(map[string]uint64)}
}

// onEvent updates the state after the pump printed ev.
func (t *tracker) onEvent(ev node.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	switch ev.Kind {
	case node.EventPeerUp:
		t.peers++
		if len(t.lastUp) >= maxLastUp {
			clear(t.lastUp)
		}
		t.lastUp[ev.Peer.ID] = t.seq
	case node.EventPeerDown:
		t.peers--
	case node.EventMessage:
		t.delivered++
		t.history = append(t.history, held{msg: ev.Message})
		t.bytes += len(ev.Message.Text)
		for len(t.history)-t.head > historyMax || t.bytes > historyMaxBytes {
			h := &t.history[t.head]
			if !h.consumed {
				t.dropped++
			}
			t.bytes -= len(h.msg.Text)
			*h = held{}
			t.head++
		}
		if t.head > len(t.history)/2 && t.head > 64 {
			n := copy(t.history, t.history[t.head:])
			clear(t.history[n:])
			t.history = t.history[:n]
			t.head = 0
		}
	default:
		return
	}
	t.changed.Broadcast()
}

// now returns the number of events handled so far.
func (t *tracker) now() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// upSinceLocked reports whether a connected event for peer id was handled
// after event number seq. The caller holds t.mu.
func (t *tracker) upSinceLocked(id string, seq uint64) bool { return t.lastUp[id] > seq }

// errTimeout is wrapped by the error of a wait that timed out.
var errTimeout = errors.New("timed out")

// wait blocks until check reports done (or an error), the timeout passes,
// or ctx ends. check runs with t.mu held.
func (t *tracker) wait(ctx context.Context, timeout time.Duration, check func() (bool, error)) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	t.mu.Lock()
	for {
		done, err := check()
		ch := t.changed.Wait()
		t.mu.Unlock()
		if done || err != nil {
			return err
		}
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("%w after %v", errTimeout, timeout)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		t.mu.Lock()
	}
}

// takeMessage finds the oldest unconsumed message that match accepts, marks
// it consumed and returns it. The caller holds t.mu.
func (t *tracker) takeMessageLocked(match func(string) bool) (node.Message, bool) {
	for i := t.head; i < len(t.history); i++ {
		h := &t.history[i]
		if !h.consumed && match(h.msg.Text) {
			h.consumed = true
			return h.msg, true
		}
	}
	return node.Message{}, false
}

// compare is a condition on a count: "3" (exactly), ">=3", "<=3", ">3",
// "<3".
type compare struct {
	op string
	n  uint64
}

func parseCompare(s string) (compare, error) {
	op := ""
	for _, p := range []string{">=", "<=", "==", ">", "<", "="} {
		if strings.HasPrefix(s, p) {
			op, s = p, s[len(p):]
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return compare{}, fmt.Errorf("expected a count such as 3, >=3 or <=3, got %q", op+s)
	}
	if op == "=" || op == "==" {
		op = ""
	}
	return compare{op: op, n: n}, nil
}

func (c compare) ok(v uint64) bool {
	switch c.op {
	case ">=":
		return v >= c.n
	case "<=":
		return v <= c.n
	case ">":
		return v > c.n
	case "<":
		return v < c.n
	}
	return v == c.n
}

func (c compare) String() string { return c.op + strconv.FormatUint(c.n, 10) }

// textMatcher matches a message text: /REGEXP/ as a regular expression
// (unanchored), anything else as the exact text.
func textMatcher(pattern string) (func(string) bool, error) {
	if len(pattern) >= 2 && strings.HasPrefix(pattern, "/") && strings.HasSuffix(pattern, "/") {
		re, err := regexp.Compile(pattern[1 : len(pattern)-1])
		if err != nil {
			return nil, fmt.Errorf("bad regexp %s: %w", pattern, err)
		}
		return re.MatchString, nil
	}
	return func(s string) bool { return s == pattern }, nil
}

// runWait is the `wait` command.
func runWait(ctx context.Context, s *Session, c *call) error {
	timeout := s.opts.timeout
	what, rest := splitWord(c.line.rest)
	if what == "-t" || what == "-timeout" {
		var d string
		d, rest = splitWord(rest)
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return fmt.Errorf("wait: -t expects a duration such as 5s, got %q", d)
		}
		timeout = dur
		what, rest = splitWord(rest)
	}
	t := s.t
	var (
		check  func() (bool, error)
		status func() string // why it is still waiting; with t.mu held
		got    node.Message
	)
	switch what {
	case "peers", "messages":
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return fmt.Errorf("wait %s needs one count such as 2 or >=2 (usage: wait %s N)", what, what)
		}
		cmp, err := parseCompare(rest)
		if err != nil {
			return fmt.Errorf("wait %s: %w", what, err)
		}
		if what == "peers" {
			check = func() (bool, error) { return cmp.ok(uint64(max(t.peers, 0))), nil }
			status = func() string { return fmt.Sprintf("%d connected", t.peers) }
			break
		}
		check = func() (bool, error) {
			if cmp.op == "" && t.delivered > cmp.n {
				return false, fmt.Errorf("wait messages %s: %d messages were delivered, more than %d", cmp, t.delivered, cmp.n)
			}
			return cmp.ok(t.delivered), nil
		}
		status = func() string { return fmt.Sprintf("%d delivered", t.delivered) }
	case "message":
		if rest == "" {
			return errors.New("wait message needs a text or a /regexp/ (usage: wait message TEXT)")
		}
		match, err := textMatcher(rest)
		if err != nil {
			return fmt.Errorf("wait message: %w", err)
		}
		check = func() (bool, error) {
			m, ok := t.takeMessageLocked(match)
			got = m
			return ok, nil
		}
		status = func() string {
			return fmt.Sprintf("%d delivered since the start, none unclaimed matched", t.delivered)
		}
	case "lazy":
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return errors.New("wait lazy needs one count such as 1 or >=1 (usage: wait lazy N)")
		}
		cmp, err := parseCompare(rest)
		if err != nil {
			return fmt.Errorf("wait lazy: %w", err)
		}
		if s.n.Config().Mode != "tree" {
			return errors.New("wait lazy: this node floods (-mode flood): its links are never lazy; start it with -mode tree")
		}
		return waitPeersUntil(ctx, s, timeout, "lazy "+rest, func(ps []node.PeerInfo) (bool, string) {
			lazy := uint64(0)
			for _, p := range ps {
				if p.LazyOrigins > 0 {
					lazy++
				}
			}
			return cmp.ok(lazy), fmt.Sprintf("%d lazy links", lazy)
		})
	case "synced":
		if rest != "" {
			return errors.New("wait synced takes nothing more (usage: wait synced)")
		}
		return waitPeersUntil(ctx, s, timeout, "synced", func(ps []node.PeerInfo) (bool, string) {
			waiting := 0
			for _, p := range ps {
				if p.Protocol >= 2 && !p.Synced {
					waiting++
				}
			}
			return waiting == 0, fmt.Sprintf("%d peers have not answered a summary", waiting)
		})
	case "":
		return errors.New("wait needs what to wait for (usage: wait [-t DURATION] peers N | message TEXT | messages N | lazy N | synced)")
	default:
		return fmt.Errorf("wait: expected peers, message, messages, lazy or synced, got %q", what)
	}
	if err := t.wait(ctx, timeout, check); err != nil {
		if errors.Is(err, errTimeout) {
			t.mu.Lock()
			why := status()
			t.mu.Unlock()
			return fmt.Errorf("wait %s %s: %w (%s)", what, rest, err, why)
		}
		return err
	}
	line := waitLine{For: what + " " + rest}
	if what == "message" {
		line.waited = &waited{ID: got.ID, Origin: got.Origin, Text: got.Text}
	}
	s.out.done("wait", line)
	return nil
}

// linkPoll is how often `wait lazy` and `wait synced` look at the
// peers: a link's kind, and a catch-up round's end, change without an
// event.
const linkPoll = 5 * time.Millisecond

// waitPeersUntil waits until done says so of the node's peers, looking
// every linkPoll; for is the wait's name in its result, and done's second
// value says why it is still waiting.
func waitPeersUntil(ctx context.Context, s *Session, timeout time.Duration, what string, done func([]node.PeerInfo) (bool, string)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(linkPoll)
	defer tick.Stop()
	for {
		ok, why := done(s.n.Peers())
		if ok {
			s.out.done("wait", waitLine{For: what})
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("wait %s: %w after %v (%s)", what, errTimeout, timeout, why)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
