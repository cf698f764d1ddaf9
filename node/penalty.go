package node

import (
	"net"
	"sync"
	"time"
)

// penaltyBox remembers, until a deadline, the addresses of peers cut for
// misbehaving: their announced listen address (auto-join does not dial
// it, and a HELLO that announces it is refused) and their host when it is
// not a loopback or unspecified address (connections from it are closed
// as soon as they are accepted). Everyone on one machine shares
// 127.0.0.1, so a loopback host is never boxed as a whole. At most max
// entries: a full box forgets the entry that ends first.
type penaltyBox struct {
	dur time.Duration
	max int

	mu    sync.Mutex // guards until
	until map[string]time.Time
}

func newPenaltyBox(dur time.Duration, max int) *penaltyBox {
	return &penaltyBox{dur: dur, max: max, until: make(map[string]time.Time)}
}

// add boxes keys until now plus the penalty time.
func (b *penaltyBox) add(now time.Time, keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, ok := b.until[k]; !ok && len(b.until) >= b.max {
			b.evictLocked(now)
		}
		b.until[k] = now.Add(b.dur)
	}
}

// evictLocked forgets expired entries, or else the one that ends first.
func (b *penaltyBox) evictLocked(now time.Time) {
	var first string
	var firstEnd time.Time
	for k, end := range b.until {
		if !end.After(now) {
			delete(b.until, k)
			continue
		}
		if first == "" || end.Before(firstEnd) {
			first, firstEnd = k, end
		}
	}
	if len(b.until) >= b.max && first != "" {
		delete(b.until, first)
	}
}

// boxed reports whether key is in the box now.
func (b *penaltyBox) boxed(key string, now time.Time) bool {
	if key == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	end, ok := b.until[key]
	if ok && !end.After(now) {
		delete(b.until, key)
		return false
	}
	return ok
}

// len is the number of entries, expired ones included.
func (b *penaltyBox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.until)
}

// boxableHost returns the host of a remote address if it may be boxed as
// a whole: not loopback, not unspecified. "" otherwise.
func boxableHost(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return ""
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return ""
	}
	return ip.String()
}

// reporter holds back node-wide error events past one a second (failed
// handshakes, which have no peer to keep the count), so a flood of bad
// connections cannot flood the consumer of events.
type reporter struct {
	mu         sync.Mutex
	reported   time.Time
	suppressed int
}

// allow reports whether an event is reported now, and how many were held
// back before it.
func (r *reporter) allow(now time.Time) (ok bool, held int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.reported.IsZero() && now.Sub(r.reported) < reportEvery {
		r.suppressed++
		return false, 0
	}
	held, r.suppressed = r.suppressed, 0
	r.reported = now
	return true, held
}
