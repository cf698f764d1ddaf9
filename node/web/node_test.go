package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNode records what the page sent.
type fakeNode struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeNode) State() ([]byte, error) { return []byte(`{"name":"a"}`), nil }

func (f *fakeNode) Send(text string) ([]byte, error) {
	if text == "" {
		return nil, errors.New("send: empty message")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, text)
	return fmt.Appendf(nil, `{"text":%q}`, text), nil
}

// openStream opens the event stream and returns a reader past its first
// comment.
func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		return res, nil
	}
	r := bufio.NewReader(res.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("stream began with %q, %v", line, err)
	}
	r.ReadString('\n')
	return res, r
}

// readData reads the next SSE data line.
func readData(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			return strings.TrimSpace(data)
		}
	}
}

// TestNodeEventsStream: events reach a page in order while another page
// reads nothing; pages past the bound are refused; Close ends the streams.
func TestNodeEventsStream(t *testing.T) {
	srv := NewNode(&fakeNode{}, NodeOptions{MaxPages: 2, PageBuffer: 4})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, fast := openStream(t, ctx, ts.URL)
	_, slow := openStream(t, ctx, ts.URL)
	if res, r := openStream(t, ctx, ts.URL); r != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a third page: %d, want 503 (at most 2)", res.StatusCode)
	}
	if !srv.Watched() {
		t.Fatal("Watched is false with two pages")
	}
	// The fast page reads each line as it comes; the slow one reads none
	// (loopback's socket buffers hold what its writer sends: TestHubDrops
	// shows what a page that falls further behind loses).
	for i := range 50 {
		srv.Publish(fmt.Appendf(nil, `{"event":"message","n":%d}`+"\n", i))
		if got, want := readData(t, fast), fmt.Sprintf(`{"event":"message","n":%d}`, i); got != want {
			t.Fatalf("fast page: %q, want %q", got, want)
		}
	}
	srv.Close()
	if _, err := slow.ReadString('\n'); err == nil {
		// Whatever was buffered may still come; the stream must end.
		for err == nil {
			_, err = slow.ReadString('\n')
		}
	}
}

// TestNodeSendTakesJSONFromThisSiteOnly: the send box's POST sends; a
// form post (not JSON), another site's page, an empty text and a body over
// the bound are refused, and nothing else changes the node.
func TestNodeSendTakesJSONFromThisSiteOnly(t *testing.T) {
	n := &fakeNode{}
	h := NewNode(n, NodeOptions{MaxSendBody: 1024}).Handler()
	js := map[string]string{"Content-Type": "application/json"}
	for _, c := range []struct {
		name, method, path, body string
		header                   map[string]string
		code                     int
	}{
		{"send", "POST", "/api/send", `{"text":"hi"}`, js, 200},
		{"a form", "POST", "/api/send", `text=hi`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"another site", "POST", "/api/send", `{"text":"hi"}`, map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403},
		{"empty", "POST", "/api/send", `{"text":""}`, js, 400},
		{"too big", "POST", "/api/send", `{"text":"` + strings.Repeat("x", 2000) + `"}`, js, 400},
		{"GET send", "GET", "/api/send", ``, nil, 405},
		{"POST state", "POST", "/api/state", `{}`, js, 405},
		{"state", "GET", "/api/state", ``, nil, 200},
		{"page", "GET", "/", ``, nil, 200},
	} {
		rec := request(h, c.method, c.path, c.body, c.header)
		if rec.Code != c.code {
			t.Errorf("%s: %d %q, want %d", c.name, rec.Code, rec.Body.String(), c.code)
		}
	}
	if len(n.sent) != 1 || n.sent[0] != "hi" {
		t.Errorf("the node sent %q, want only the one good send", n.sent)
	}
}

// TestHubDrops: a page whose buffer is full loses the lines past it, and
// the count is kept for its lagged line; the publisher never waits; a
// page that goes is no longer counted.
func TestHubDrops(t *testing.T) {
	h := newHub(4, 2)
	sub, ok := h.subscribe()
	if !ok {
		t.Fatal("subscribe refused")
	}
	for i := range 50 {
		h.publish([]byte{byte(i)})
	}
	if len(sub.lines) != 4 || sub.dropped.Load() != 46 {
		t.Fatalf("buffered %d, dropped %d; want 4 and 46", len(sub.lines), sub.dropped.Load())
	}
	for i := range 4 {
		if line := <-sub.lines; line[0] != byte(i) {
			t.Fatalf("line %d is %d: the first ones are kept, in order", i, line[0])
		}
	}
	h.unsubscribe(sub)
	if h.watched.Load() != 0 {
		t.Fatal("an unsubscribed page is still counted")
	}
	h.close()
	if _, ok := h.subscribe(); ok {
		t.Fatal("a closed hub took a page")
	}
}

// gatedWriter is a ResponseWriter whose writes wait until the gate opens:
// a page that reads nothing.
type gatedWriter struct {
	gate   chan struct{}
	mu     sync.Mutex
	buf    strings.Builder
	header http.Header
}

func (w *gatedWriter) Header() http.Header { return w.header }
func (w *gatedWriter) WriteHeader(int)     {}
func (w *gatedWriter) Flush()              {}
func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.gate
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *gatedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSlowPageIsToldWhatItLost: while a page's stream cannot be written,
// the node publishes 50 events into a buffer of 4; the page then gets the
// 4 and a lagged line for the other 46, and the publisher never waited.
func TestSlowPageIsToldWhatItLost(t *testing.T) {
	srv := NewNode(&fakeNode{}, NodeOptions{PageBuffer: 4})
	w := &gatedWriter{gate: make(chan struct{}), header: http.Header{}}
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/api/events", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.serveEvents(w, req) }()
	until(t, "the page subscribed", srv.Watched)
	for i := range 50 {
		srv.Publish(fmt.Appendf(nil, `{"event":"message","n":%d}`+"\n", i))
	}
	close(w.gate)
	until(t, "the lagged line", func() bool { return strings.Contains(w.String(), "lagged") })
	cancel()
	<-done
	out := w.String()
	for i := range 4 {
		if !strings.Contains(out, fmt.Sprintf(`data: {"event":"message","n":%d}`, i)) {
			t.Errorf("event %d is missing:\n%s", i, out)
		}
	}
	if strings.Contains(out, `"n":4}`) || !strings.Contains(out, `data: {"event":"lagged","dropped":46}`) {
		t.Errorf("want events 0 to 3, then a lagged line for 46:\n%s", out)
	}
}

// until polls cond (there is no event to wait on from outside the
// handler), for at most 10 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in 10 s", what)
		}
	}
}
