package node

import (
	"net"
	"sync"
	"time"
)

// penaltyBox remembers, until a deadline, the addresses of peers cut for
// misbehaving: their announced listen address (auto-join does not dial
// it, and a HELLO that announces it is refused) and their host (see
// admit). At most max entries: a full box forgets the entry that ends
// first.
type penaltyBox struct {
	dur time.Duration
	max int

	mu    sync.Mutex // guards until and throttle
	until map[string]time.Time
	// throttle holds a bucket of new connections for each boxed host that
	// is a loopback address: everyone on one machine shares 127.0.0.1,
	// so such a host is slowed down, not shut out.
	throttle map[string]*bucket
}

// Connections a second (and at once) from a boxed loopback host.
const (
	throttleRate  = 2
	throttleBurst = 4
)

func newPenaltyBox(dur time.Duration, max int) *penaltyBox {
	return &penaltyBox{dur: dur, max: max, until: make(map[string]time.Time), throttle: make(map[string]*bucket)}
}

// boxHost boxes the host of a peer's remote address.
func (b *penaltyBox) boxHost(now time.Time, remote string) {
	host, loopback := hostOf(remote)
	if host == "" {
		return
	}
	b.add(now, host)
	if loopback {
		b.mu.Lock()
		if _, ok := b.throttle[host]; !ok {
			bk := newBucket(throttleRate, throttleBurst, now)
			b.throttle[host] = &bk
		}
		b.mu.Unlock()
	}
}

// admit says whether a connection from remote may go on to its handshake:
// a boxed host is refused, but a boxed loopback host only slowed down to
// throttleRate connections a second.
func (b *penaltyBox) admit(remote string, now time.Time) bool {
	host, _ := hostOf(remote)
	if !b.boxed(host, now) {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.throttle[host]
	return ok && bk.take(now)
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
			delete(b.throttle, k)
			continue
		}
		if first == "" || end.Before(firstEnd) {
			first, firstEnd = k, end
		}
	}
	if len(b.until) >= b.max && first != "" {
		delete(b.until, first)
		delete(b.throttle, first)
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
		delete(b.throttle, key)
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

// hostOf returns the IP of a remote address, and whether it is a
// loopback address; "" if it has none.
func hostOf(remote string) (host string, loopback bool) {
	h, _, err := net.SplitHostPort(remote)
	if err != nil {
		return "", false
	}
	ip := net.ParseIP(h)
	if ip == nil || ip.IsUnspecified() {
		return "", false
	}
	return ip.String(), ip.IsLoopback()
}

// reporter holds back node-wide error events past one a second (failed
// handshakes, which have no peer to keep the count), so a flood of bad
// connections cannot flood the consumer of events.
type reporter struct {
	mu   sync.Mutex // guards rate
	rate reportRate
}

// allow reports whether an event is reported now, and how many were held
// back before it.
func (r *reporter) allow(now time.Time) (ok bool, held int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rate.allow(now)
}
