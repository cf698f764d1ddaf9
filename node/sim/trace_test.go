package sim

import (
	"testing"
	"time"
)

// countTrace counts a trace's frames by fate.
func countTrace(tr *Trace) (first, dup, control, lost uint64) {
	for _, f := range tr.Frames {
		switch f.Fate {
		case First:
			first++
		case Duplicate:
			dup++
		case Control:
			control++
		case Lost:
			lost++
		}
	}
	return
}

// TestTraceAddsUpToTheResult: the trace a page or a picture replays holds
// the same counts as the result a run prints, flood and tree, with loss.
func TestTraceAddsUpToTheResult(t *testing.T) {
	for _, mode := range []string{"flood", "tree"} {
		tr := &Trace{}
		cfg := VirtualConfig{Config: Config{Nodes: 60, Degree: 4, Topology: "random", Messages: 12, Senders: 3, Seed: 7, TextBytes: 32, Timeout: time.Minute},
			Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: mode, Loss: 0.02, Trace: tr}
		r, err := RunVirtual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		first, dup, control, lost := countTrace(tr)
		if first != r.Deliveries || first+dup != r.Transmission || dup != r.Duplicates || control != r.ControlTransmissions || lost != r.LostFrames {
			t.Errorf("%s: trace first %d dup %d control %d lost %d; result deliveries %d transmissions %d duplicates %d control %d lost %d",
				mode, first, dup, control, lost, r.Deliveries, r.Transmission, r.Duplicates, r.ControlTransmissions, r.LostFrames)
		}
		if len(tr.Messages) != 12 || tr.Messages[1].Sender != 1 {
			t.Errorf("%s: trace messages %+v", mode, tr.Messages)
		}
		for _, f := range tr.Frames {
			if f.At < f.Sent || int(f.Msg) >= 12 {
				t.Fatalf("%s: frame %+v", mode, f)
			}
		}
	}
}

// TestStepsKillAndRepair: a scripted run sends from chosen nodes and kills
// one on the settled tree; the tree repairs (GRAFT) and every survivor
// gets every message.
func TestStepsKillAndRepair(t *testing.T) {
	steps := []Step{{Node: 0}, {Node: 0}, {Node: 0}, {Node: 0}, {Node: 3, Kill: true}, {Node: 5}, {Node: 0}}
	tr := &Trace{}
	cfg := VirtualConfig{Config: Config{Nodes: 20, Degree: 4, Topology: "random", Messages: 1, Senders: 1, Seed: 3, TextBytes: 32, Timeout: time.Minute},
		Latency: 10 * time.Millisecond, Mode: "tree", Steps: steps, Trace: tr}
	r, err := RunVirtual(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 6 || r.Killed != 1 || r.Missing != 0 || r.Expected != 4*19+2*18 {
		t.Fatalf("messages %d killed %d missing %d expected %d", r.Messages, r.Killed, r.Missing, r.Expected)
	}
	if tr.Messages[4].Sender != 5 || len(tr.Messages[4].Killed) != 1 || tr.Messages[4].Killed[0] != 3 {
		t.Fatalf("message 4: %+v", tr.Messages[4])
	}
	for _, f := range tr.Frames {
		if f.Msg >= 4 && (f.To == 3 && f.Fate != Lost || f.From == 3) {
			t.Fatalf("a frame to or from the dead node after its death: %+v", f)
		}
	}
	for _, bad := range [][]Step{{{Node: 20}}, {{Node: 1, Kill: true}}, {{Node: 1, Kill: true}, {Node: 1}}, {{Node: 1, Kill: true}, {Node: 1, Kill: true}}} {
		if _, err := RunVirtual(VirtualConfig{Config: cfg.Config, Steps: bad}); err == nil {
			t.Errorf("steps %+v: no error", bad)
		}
	}
}

// TestKillOnTheTreeIsRepairedByGraft: the lesson of docs/see-it.md: on a
// settled tree, kill the node that passes the message to the most others;
// the next message from the same sender reaches every survivor, the nodes
// below the dead one asking for it by GRAFT.
func TestKillOnTheTreeIsRepairedByGraft(t *testing.T) {
	base := VirtualConfig{Config: Config{Nodes: 40, Degree: 4, Topology: "random", Messages: 1, Senders: 1, Seed: 1, TextBytes: 32, Timeout: time.Minute},
		Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: "tree"}
	steps := []Step{{Node: 0}, {Node: 0}, {Node: 0}, {Node: 0}, {Node: 0}, {Node: 0}}
	settled := base
	settled.Steps, settled.Trace = steps, &Trace{}
	if _, err := RunVirtual(settled); err != nil {
		t.Fatal(err)
	}
	children := map[int32]int{}
	for _, f := range settled.Trace.Frames {
		if f.Msg == 5 && f.Fate == First && f.From != 0 {
			children[f.From]++
		}
	}
	victim, most := int32(-1), 0
	for v, c := range children {
		if c > most || c == most && v < victim {
			victim, most = v, c
		}
	}
	if most < 2 {
		t.Fatalf("no node passes the settled tree's message to two others: %v", children)
	}
	repair := base
	repair.Steps, repair.Trace = append(steps, Step{Node: int(victim), Kill: true}, Step{Node: 0}), &Trace{}
	r, err := RunVirtual(repair)
	if err != nil {
		t.Fatal(err)
	}
	grafts := 0
	for _, f := range repair.Trace.Frames {
		if f.Msg == 6 && f.Kind == KindGraft {
			grafts++
		}
	}
	if r.Missing != 0 || grafts == 0 {
		t.Fatalf("node %d (passing to %d) killed: %d deliveries missing, %d GRAFT; want none missing, repaired by GRAFT", victim, most, r.Missing, grafts)
	}
	t.Logf("node %d killed (it passed message 6 to %d nodes): message 7 repaired with %d GRAFT", victim, most, grafts)
}
