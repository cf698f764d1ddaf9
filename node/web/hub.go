package web

import (
	"sync"
	"sync/atomic"
)

// hub fans event lines out to the pages watching, never blocking the
// publisher: each page has a bounded buffer, and a page that falls behind
// loses lines (it is told how many) rather than slowing the node.
type hub struct {
	buffer  int
	max     int
	watched atomic.Int32 // pages subscribed now

	// mu guards subs and closed.
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

// subscriber is one page's stream.
type subscriber struct {
	lines   chan []byte
	dropped atomic.Uint64 // lines lost since the page was last told
	done    chan struct{} // closed when the hub closes
}

func newHub(buffer, max int) *hub {
	return &hub{buffer: buffer, max: max, subs: map[*subscriber]struct{}{}}
}

// subscribe adds a page; ok is false when max pages watch already or the
// hub is closed.
func (h *hub) subscribe() (sub *subscriber, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.subs) >= h.max {
		return nil, false
	}
	sub = &subscriber{lines: make(chan []byte, h.buffer), done: make(chan struct{})}
	h.subs[sub] = struct{}{}
	h.watched.Add(1)
	return sub, true
}

func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; ok {
		delete(h.subs, sub)
		h.watched.Add(-1)
	}
}

// publish gives line to every page; a page whose buffer is full loses it.
func (h *hub) publish(line []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.lines <- line:
		default:
			sub.dropped.Add(1)
		}
	}
}

// close ends every stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for sub := range h.subs {
		close(sub.done)
	}
}
