package node

import (
	"fmt"
	"time"
)

// conduct is what a peer's reader keeps of the peer's behaviour: the
// budget of its control frames (PING, GETPEERS, PEERS, ERR and frame types
// this node does not know), the unknown types it has been told about, when
// it was last sent PEERS, and the errors it caused that were not reported
// one by one. Only the reader goroutine uses it, on the clock it is given,
// so it needs no lock and is tested on a fake clock.
//
// A peer over its control budget has its frame dropped, and each drop is
// an offence; offences spend the peer's patience, which refills slowly;
// when it is spent the peer is cut for misbehaving (and its address goes
// to the penalty box, penalty.go).
type conduct struct {
	control  bucket // control frames
	patience bucket // offences
	grafts   bucket // messages asked for by GRAFT (tree mode)
	unknown  map[string]struct{}
	answered time.Time // when GETPEERS was last answered (zero: never)

	// Error reports: at most one a second; the rest are counted and said
	// in one line with the next report (or when the peer goes).
	reports reportRate
}

// Limits of a peer's conduct that are not in Config.
const (
	maxUnknownTypes = 16               // unknown frame types answered per connection; past them, no answer
	patienceRefill  = 1                // offences forgiven per second
	reportEvery     = time.Second      // at most one error event a second per peer
	peersEvery      = 10 * time.Second // GETPEERS answered at most this often per connection
)

func newConduct(cfg Config, now time.Time) conduct {
	return conduct{
		control:  newBucket(float64(cfg.ControlRate), float64(cfg.ControlBurst), now),
		patience: newBucket(patienceRefill, float64(cfg.Patience), now),
		grafts:   newBucket(float64(cfg.GraftRate), float64(cfg.GraftRate), now),
	}
}

// allowGraft spends one message asked for by GRAFT from the peer's
// budget (Config.GraftRate a second, burst the same). Past it the GRAFT is
// ignored: no offence, since an honest peer repairing after a burst may
// ask for many.
func (c *conduct) allowGraft(now time.Time) bool { return c.grafts.take(now) }

// verdict of a control frame.
type controlVerdict uint8

const (
	controlOK      controlVerdict = iota // act on it
	controlDropped                       // over budget: ignore it
	controlCut                           // over budget and out of patience: cut the peer
)

// allowControl spends one control frame from the budget.
func (c *conduct) allowControl(now time.Time) controlVerdict {
	if c.control.take(now) {
		return controlOK
	}
	return c.offend(now)
}

// offend spends patience on an offence.
func (c *conduct) offend(now time.Time) controlVerdict {
	if c.patience.take(now) {
		return controlDropped
	}
	return controlCut
}

// firstUnknown reports whether an unknown frame type should be answered:
// the first time this connection sends it, for at most maxUnknownTypes
// types.
func (c *conduct) firstUnknown(word []byte) bool {
	if _, ok := c.unknown[string(word)]; ok || len(c.unknown) >= maxUnknownTypes {
		return false
	}
	if c.unknown == nil {
		c.unknown = make(map[string]struct{})
	}
	c.unknown[string(word)] = struct{}{}
	return true
}

// answerPeers reports whether a GETPEERS is answered now.
func (c *conduct) answerPeers(now time.Time) bool {
	if !c.answered.IsZero() && now.Sub(c.answered) < peersEvery {
		return false
	}
	c.answered = now
	return true
}

// report decides whether an error is reported now (at most one a
// second), and how many were held back before it.
func (c *conduct) report(now time.Time) (ok bool, held int) { return c.reports.allow(now) }

// heldBack returns the errors not reported yet, and forgets them.
func (c *conduct) heldBack() int {
	n := c.reports.suppressed
	c.reports.suppressed = 0
	return n
}

// reportRate lets one report a second through and counts the others.
type reportRate struct {
	reported   time.Time
	suppressed int
}

// allow reports whether a report goes out now, and how many were held
// back since the last one that did.
func (r *reportRate) allow(now time.Time) (ok bool, held int) {
	if !r.reported.IsZero() && now.Sub(r.reported) < reportEvery {
		r.suppressed++
		return false, 0
	}
	held, r.suppressed = r.suppressed, 0
	r.reported = now
	return true, held
}

// heldError is the line that says how many errors of a peer were not
// reported one by one.
func heldError(name string, n int) error {
	return fmt.Errorf("%s: %d more errors not shown (at most one is reported a second)", name, n)
}

// bucket is a token bucket on the caller's clock: rate tokens a second,
// up to burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64, now time.Time) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take spends a token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refill adds the tokens earned since the last refill.
func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.last = now
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}
