package node

import (
	"sync"
	"time"
)

// recentLines keeps the last few MSG lines this node sent or relayed, so
// that a new link can be given what passed before it existed. Flooding
// alone delivers a message only over links that are up while it passes;
// when links are cut and redialled during a flood, a node can miss one.
// Replaying recent lines to every new peer closes that gap, and the seen
// set on the other side drops what it already has.
//
// mu guards every field below it.
type recentLines struct {
	maxAge time.Duration
	start  time.Time

	mu    sync.Mutex
	lines []recentLine // a ring of cap entries
	next  int          // where the next line goes
	full  bool
}

type recentLine struct {
	line string
	at   time.Duration // since start
}

func newRecentLines(size int, maxAge time.Duration) *recentLines {
	if size <= 0 {
		return nil
	}
	return &recentLines{maxAge: maxAge, start: time.Now(), lines: make([]recentLine, size)}
}

// add remembers a line. It is a no-op on a nil *recentLines (replay off).
func (r *recentLines) add(line string) {
	if r == nil || line == "" {
		return
	}
	now := time.Since(r.start)
	r.mu.Lock()
	r.lines[r.next] = recentLine{line: line, at: now}
	r.next++
	if r.next == len(r.lines) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// appendTo appends the remembered lines younger than maxAge, oldest first.
func (r *recentLines) appendTo(out []string) []string {
	if r == nil {
		return out
	}
	cutoff := time.Since(r.start) - r.maxAge
	r.mu.Lock()
	defer r.mu.Unlock()
	emit := func(from, to int) {
		for _, l := range r.lines[from:to] {
			if l.line != "" && l.at > cutoff {
				out = append(out, l.line)
			}
		}
	}
	if r.full {
		emit(r.next, len(r.lines))
	}
	emit(0, r.next)
	return out
}
