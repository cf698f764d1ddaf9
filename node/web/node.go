package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Node is what a live node's page shows, and the one thing it may do to
// the node: send a message its user typed.
type Node interface {
	// State is a JSON object of the node now: its name, id, address and
	// mode, peers, known addresses and counters.
	State() ([]byte, error)
	// Send sends text as a message from the node and returns the JSON
	// of what was sent.
	Send(text string) ([]byte, error)
}

// NodeOptions bound a live node's page.
type NodeOptions struct {
	MaxPages    int // pages streaming events at once (default 8)
	PageBuffer  int // event lines waiting for a slow page before it loses some (default 1024)
	MaxSendBody int // bytes of a POST /api/send (default 64 KiB)
}

// NodeServer serves a live node's page.
type NodeServer struct {
	n    Node
	opts NodeOptions
	hub  *hub
}

// NewNode returns the server of n's page.
func NewNode(n Node, opts NodeOptions) *NodeServer {
	if opts.MaxPages <= 0 {
		opts.MaxPages = 8
	}
	if opts.PageBuffer <= 0 {
		opts.PageBuffer = 1024
	}
	if opts.MaxSendBody <= 0 {
		opts.MaxSendBody = 64 << 10
	}
	return &NodeServer{n: n, opts: opts, hub: newHub(opts.PageBuffer, opts.MaxPages)}
}

// Watched reports whether a page is streaming events now, so the node's
// owner can skip building lines nobody will see.
func (s *NodeServer) Watched() bool { return s.hub.watched.Load() > 0 }

// Publish streams one event's JSON line (one object, the same as p2p
// -json prints) to every page watching. It never blocks; line must not be
// changed afterwards.
func (s *NodeServer) Publish(line []byte) { s.hub.publish(line) }

// Close ends the pages' streams.
func (s *NodeServer) Close() { s.hub.close() }

// Handler is the page and its API:
//
//	GET  /             the page
//	GET  /assets/...   its script and style
//	GET  /api/state    the node now (Node.State)
//	GET  /api/events   Server-Sent Events: one JSON event line each
//	POST /api/send     {"text":"..."}: send a message (Node.Send)
func (s *NodeServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", servePage("node.html"))
	mux.Handle("GET /assets/", serveAssets())
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, r *http.Request) {
		state, err := s.n.State()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(state)
	})
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("POST /api/send", s.serveSend)
	return sameOrigin(mux)
}

// serveSend sends a message. It takes JSON only, so a form on another
// site cannot post one (and sameOrigin refuses another site's fetch).
func (s *NodeServer) serveSend(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "send takes application/json: {\"text\":\"...\"}", http.StatusUnsupportedMediaType)
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	body := http.MaxBytesReader(w, r.Body, int64(s.opts.MaxSendBody))
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	sent, err := s.n.Send(req.Text)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(sent)
}

// serveEvents streams the node's events to one page until it goes, or the
// server closes.
func (s *NodeServer) serveEvents(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.hub.subscribe()
	if !ok {
		http.Error(w, fmt.Sprintf("%d pages are watching this node already (p2p -http-pages raises it)", s.opts.MaxPages), http.StatusServiceUnavailable)
		return
	}
	defer s.hub.unsubscribe(sub)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// A comment at once, so the page knows it is connected.
	if _, err := w.Write([]byte(": p2p events\n\n")); err != nil || rc.Flush() != nil {
		return
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		var chunk []byte
		select {
		case line := <-sub.lines:
			chunk = appendEvent(chunk, line)
			// Whatever else is waiting goes in the same write.
			for more := true; more && len(chunk) < 64<<10; {
				select {
				case line := <-sub.lines:
					chunk = appendEvent(chunk, line)
				default:
					more = false
				}
			}
		case <-keepalive.C:
			chunk = []byte(": keepalive\n\n")
		case <-sub.done:
			return
		case <-r.Context().Done():
			return
		}
		if n := sub.dropped.Swap(0); n > 0 {
			chunk = appendEvent(chunk, fmt.Appendf(nil, `{"event":"lagged","dropped":%d}`, n))
		}
		if _, err := w.Write(chunk); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// appendEvent appends one SSE event whose data is a JSON line.
func appendEvent(b, line []byte) []byte {
	b = append(b, "data: "...)
	b = append(b, strings.TrimRight(string(line), "\n")...)
	return append(b, '\n', '\n')
}
