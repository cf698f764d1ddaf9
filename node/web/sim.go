package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/p2p-chat/p2p/node/sim"
)

// Bounds of the simulator's page.
const (
	maxStepsBody = 64 << 10  // bytes of a POST /api/run
	maxRunFrames = 1_000_000 // frames of one run the page may ask for, about N*D*messages (some 50 MB of JSON)
)

// SimServer serves the simulator's page for one graph: the run the flags
// asked for, and runs of it with more steps as the page's user clicks.
type SimServer struct {
	base  sim.VirtualConfig
	modes []string
	steps []sim.Step // the first run's, as steps

	// mu makes runs one at a time: each holds every frame of its run.
	mu sync.Mutex
}

// NewSim checks cfg by running it once in each mode ("flood", "tree")
// and returns the server of its page. cfg's messages, senders and kills
// become the page's first steps.
func NewSim(cfg sim.VirtualConfig, modes []string) (*SimServer, error) {
	if cfg.Offline > 0 || cfg.Partition {
		return nil, fmt.Errorf("the page does not show -offline or -partition runs (their catch-up is counted, not traced)")
	}
	if frames := cfg.Nodes * max(cfg.Degree, 1) * cfg.Messages; frames > maxRunFrames {
		return nil, fmt.Errorf("-serve: -n times -d times -messages is %d: the page holds every frame, at most %d", frames, maxRunFrames)
	}
	first := cfg
	first.Mode = modes[0]
	first.Trace = &sim.Trace{}
	if _, err := sim.RunVirtual(first); err != nil {
		return nil, err
	}
	s := &SimServer{base: cfg, modes: modes}
	for _, m := range first.Trace.Messages {
		for _, v := range m.Killed {
			s.steps = append(s.steps, sim.Step{Node: v, Kill: true})
		}
		s.steps = append(s.steps, sim.Step{Node: m.Sender})
	}
	s.base.Kill = 0 // from now on, kills are steps
	return s, nil
}

// Handler is the page and its API:
//
//	GET  /               the page
//	GET  /assets/...     its script, style and the vendored layout library
//	GET  /api/run        the first run
//	POST /api/run        {"steps":[{"node":N,"kill":bool},...]}: that run
func (s *SimServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", servePage("sim.html"))
	mux.Handle("GET /assets/", serveAssets())
	mux.HandleFunc("GET /api/run", func(w http.ResponseWriter, r *http.Request) { s.serveRun(w, s.steps) })
	mux.HandleFunc("POST /api/run", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Steps []sim.Step `json:"steps"`
		}
		body := http.MaxBytesReader(w, r.Body, maxStepsBody)
		if err := json.NewDecoder(body).Decode(&req); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.serveRun(w, req.Steps)
	})
	return sameOrigin(mux)
}

// runJSON is what the page replays.
type runJSON struct {
	Nodes int        `json:"nodes"`
	Edges [][2]int   `json:"edges"`
	Steps []sim.Step `json:"steps"`
	Runs  []modeRun  `json:"runs"`
}

type modeRun struct {
	Mode     string             `json:"mode"`
	Result   *sim.Result        `json:"result"`
	Messages []sim.TraceMessage `json:"messages"`
	// Frames, seven numbers each: message, from, to, sent and arrival
	// (virtual µs), kind (0 payload, 1 IHAVE, 2 GRAFT, 3 PRUNE), fate (0
	// first copy, 1 duplicate, 2 control, 3 lost).
	Frames []float64 `json:"frames"`
}

func (s *SimServer) serveRun(w http.ResponseWriter, steps []sim.Step) {
	out, err := s.run(steps)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// run runs steps in every mode of the page.
func (s *SimServer) run(steps []sim.Step) (*runJSON, error) {
	if len(steps) == 0 {
		return nil, fmt.Errorf("no steps: a run needs a message to send")
	}
	if len(steps) > sim.MaxSteps {
		return nil, fmt.Errorf("%d steps: at most %d", len(steps), sim.MaxSteps)
	}
	if frames := s.base.Nodes * max(s.base.Degree, 1) * len(steps); frames > maxRunFrames {
		return nil, fmt.Errorf("a run of %d steps on %d nodes would keep about %d frames: at most %d", len(steps), s.base.Nodes, frames, maxRunFrames)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &runJSON{Nodes: s.base.Nodes, Steps: steps}
	for _, mode := range s.modes {
		cfg := s.base
		cfg.Mode, cfg.Steps, cfg.Trace = mode, steps, &sim.Trace{}
		r, err := sim.RunVirtual(cfg)
		if err != nil {
			return nil, err
		}
		out.Edges = r.EdgeList
		mr := modeRun{Mode: mode, Result: r, Messages: cfg.Trace.Messages, Frames: make([]float64, 0, 7*len(cfg.Trace.Frames))}
		for _, f := range cfg.Trace.Frames {
			mr.Frames = append(mr.Frames, float64(f.Msg), float64(f.From), float64(f.To), float64(f.Sent)/1e3, float64(f.At)/1e3, float64(f.Kind), float64(f.Fate))
		}
		out.Runs = append(out.Runs, mr)
	}
	return out, nil
}
