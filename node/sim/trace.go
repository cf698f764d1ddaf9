package sim

import (
	"fmt"

	"github.com/p2p-chat/p2p/node/broadcast"
)

// Fate is what became of a frame in a trace.
type Fate uint8

const (
	First     Fate = iota // a message's first copy at its receiver: delivered
	Duplicate             // a copy the receiver already had: wasted
	Control               // a tree rule's IHAVE, GRAFT or PRUNE, received
	Lost                  // lost on the link (-loss) or with its dead receiver
)

// Frame kinds in a trace, the same numbers as broadcast.Frame.
const (
	KindPayload = uint8(broadcast.Gossip)
	KindIHave   = uint8(broadcast.IHave)
	KindGraft   = uint8(broadcast.Graft)
	KindPrune   = uint8(broadcast.Prune)
)

// TraceFrame is one frame crossing one link in a virtual run: sent at
// Sent, arriving at At (virtual nanoseconds from the start of the run).
type TraceFrame struct {
	Msg      int32 // the message's place in the run, from 0
	From, To int32
	Sent, At int64
	Kind     uint8 // KindPayload, KindIHave, KindGraft or KindPrune
	Fate     Fate
}

// TraceMessage is one message of a virtual run: who sent it, when, and
// the nodes killed just before it.
type TraceMessage struct {
	Sender int   `json:"sender"`
	Start  int64 `json:"start"` // virtual ns
	Killed []int `json:"killed,omitempty"`
}

// Trace records every frame of a virtual run, for a picture or a page
// that replays it. Set VirtualConfig.Trace to a new Trace to fill it.
type Trace struct {
	Frames   []TraceFrame
	Messages []TraceMessage
}

// Step is one step of a scripted run (VirtualConfig.Steps): node Send
// sends a message, or, when Kill is true, node Send dies (its neighbours
// drop it at once and copies on their way to it are lost).
type Step struct {
	Node int  `json:"node"`
	Kill bool `json:"kill,omitempty"`
}

// MaxSteps bounds a scripted run.
const MaxSteps = 1000

// script is a checked list of steps: the sender of each message and the
// nodes killed just before it.
type script struct {
	senders []int
	kills   map[int][]int // by message
}

// checkSteps checks steps against a graph of n nodes: every node in
// range, at least one message, no node killed twice, no message from a
// dead node.
func checkSteps(steps []Step, n int) (*script, error) {
	if len(steps) > MaxSteps {
		return nil, fmt.Errorf("%d steps: at most %d", len(steps), MaxSteps)
	}
	s := &script{kills: map[int][]int{}}
	dead := map[int]bool{}
	for i, st := range steps {
		switch {
		case st.Node < 0 || st.Node >= n:
			return nil, fmt.Errorf("step %d: node %d: the nodes are 0 to %d", i+1, st.Node, n-1)
		case dead[st.Node] && st.Kill:
			return nil, fmt.Errorf("step %d: node %d is dead already", i+1, st.Node)
		case dead[st.Node]:
			return nil, fmt.Errorf("step %d: node %d is dead: it cannot send", i+1, st.Node)
		case st.Kill:
			dead[st.Node] = true
			s.kills[len(s.senders)] = append(s.kills[len(s.senders)], st.Node)
		default:
			s.senders = append(s.senders, st.Node)
		}
	}
	if len(s.senders) == 0 {
		return nil, fmt.Errorf("no message is sent: a script needs a step that is not a kill")
	}
	return s, nil
}
