package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/sim"
)

func newTestSim(t *testing.T, modes ...string) http.Handler {
	t.Helper()
	s, err := NewSim(sim.VirtualConfig{Config: sim.Config{Nodes: 20, Degree: 4, Topology: "random", Messages: 2, Senders: 1, Seed: 2, TextBytes: 32, Timeout: time.Minute},
		Latency: 10 * time.Millisecond, Kill: 0.1}, modes)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

func request(h http.Handler, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = "127.0.0.1:8080"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSimRunIsTheFlagsRunAsSteps: GET /api/run is the run the flags asked
// for (its kill as a step), and POSTing those steps plus one gives the
// same run with one more message, whose frames add up to its result.
func TestSimRunIsTheFlagsRunAsSteps(t *testing.T) {
	h := newTestSim(t, "flood", "tree")
	rec := request(h, "GET", "/api/run", "", nil)
	if rec.Code != 200 {
		t.Fatalf("GET /api/run: %d %s", rec.Code, rec.Body)
	}
	var first runJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Runs) != 2 || first.Nodes != 20 || len(first.Steps) != 4 || !first.Steps[1].Kill || !first.Steps[2].Kill {
		t.Fatalf("first run: %d runs, %d nodes, steps %+v; want flood and tree, 20 nodes, send, kill 2 (-kill 0.1 halfway), send", len(first.Runs), first.Nodes, first.Steps)
	}
	live := 1
	for _, st := range first.Steps {
		if st.Kill && st.Node == live {
			live++
		}
	}
	more, _ := json.Marshal(map[string]any{"steps": append(first.Steps, sim.Step{Node: live})})
	rec = request(h, "POST", "/api/run", string(more), map[string]string{"Origin": "http://127.0.0.1:8080", "Content-Type": "application/json"})
	if rec.Code != 200 {
		t.Fatalf("POST /api/run: %d %s", rec.Code, rec.Body)
	}
	var next runJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &next); err != nil {
		t.Fatal(err)
	}
	for i, run := range next.Runs {
		if len(run.Messages) != 3 || run.Messages[2].Sender != live || run.Result.Missing != 0 {
			t.Errorf("%s: messages %+v, missing %d", run.Mode, run.Messages, run.Result.Missing)
		}
		// The first two messages are the same run as before.
		before := first.Runs[i].Frames
		if len(run.Frames) <= len(before) || !equalFloats(run.Frames[:len(before)], before) {
			t.Errorf("%s: the run with one more step does not begin with the run before it", run.Mode)
		}
		var payload, firsts uint64
		for f := 0; f < len(run.Frames); f += 7 {
			if run.Frames[f+5] == 0 && run.Frames[f+6] <= 1 {
				payload++
				if run.Frames[f+6] == 0 {
					firsts++
				}
			}
		}
		if payload != run.Result.Transmission || firsts != run.Result.Deliveries {
			t.Errorf("%s: frames hold %d payload, %d first; the result %d, %d", run.Mode, payload, firsts, run.Result.Transmission, run.Result.Deliveries)
		}
	}
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestSimRefusesBadRequests: bad steps, a body too big, another site's
// page and a rebound DNS name get a clear refusal.
func TestSimRefusesBadRequests(t *testing.T) {
	h := newTestSim(t, "flood")
	for _, c := range []struct {
		name, method, body string
		header             map[string]string
		host               string
		code               int
		says               string
	}{
		{"node out of range", "POST", `{"steps":[{"node":99}]}`, nil, "", 400, "the nodes are 0 to 19"},
		{"sender dead", "POST", `{"steps":[{"node":3,"kill":true},{"node":3}]}`, nil, "", 400, "cannot send"},
		{"no message", "POST", `{"steps":[]}`, nil, "", 400, "a message to send"},
		{"not JSON", "POST", `steps`, nil, "", 400, "bad request"},
		{"too big", "POST", `{"steps":[` + strings.Repeat(`{"node":1},`, 8000) + `{"node":1}]}`, nil, "", 400, "too large"},
		{"too many steps", "POST", `{"steps":[` + strings.Repeat(`{"node":1},`, 1000) + `{"node":1}]}`, nil, "", 400, "at most 1000"},
		{"another site", "POST", `{"steps":[{"node":1}]}`, map[string]string{"Origin": "https://evil.example"}, "", 403, "another site"},
		{"rebound name", "GET", ``, nil, "evil.example:8080", 403, "IP address or localhost"},
		{"unknown path", "GET", ``, nil, "", 404, ""},
	} {
		target := "/api/run"
		if c.name == "unknown path" {
			target = "/nothing"
		}
		req := httptest.NewRequest(c.method, target, strings.NewReader(c.body))
		req.Host = "127.0.0.1:8080"
		if c.host != "" {
			req.Host = c.host
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.says) {
			t.Errorf("%s: %d %q; want %d and %q", c.name, rec.Code, rec.Body.String(), c.code, c.says)
		}
	}
}

// TestPagesAreEmbedded: the page, its script and the vendored layout
// library with its licence are served from the binary.
func TestPagesAreEmbedded(t *testing.T) {
	h := newTestSim(t, "flood")
	for path, want := range map[string]string{
		"/":                                 "<canvas>",
		"/assets/sim.js":                    "fetchRun",
		"/assets/draw.js":                   "class Panel",
		"/assets/vendor/d3-force.min.js":    "forceSimulation",
		"/assets/vendor/d3-force.LICENSE":   "Mike Bostock",
		"/assets/vendor/d3-quadtree.min.js": "quadtree",
	} {
		rec := request(h, "GET", path, "", nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d, want 200 with %q", path, rec.Code, want)
		}
	}
}
