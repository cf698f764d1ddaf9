package script

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// output is where events and command results are printed, as text or as
// one JSON object per line. It is the only place that knows how either
// looks. Lines are appended to a buffer that a writer goroutine writes out
// as soon as it can (writer.go), so printing is cheap and no line waits in
// a buffer while p2p waits for something else.
type output struct {
	json   bool
	name   string // this node's name and id, set before the first event
	nodeID string
	// treeMode: the node runs tree mode, so peers shows each link's kind.
	treeMode bool
	// quietSent: -json prints no sent line for send (-quiet-sent).
	quietSent bool

	// mu guards the fields below and writerState: the event pump, the
	// command runner and the writer goroutine all use them.
	mu     sync.Mutex
	stderr io.Writer
	writerState
	// originIDs remembers the node id each origin name was first seen
	// with, for the text output: a message whose origin's name was first
	// seen with another id shows as NAME#ID (names are not unique; ids
	// are). At most maxOriginNames names; past it the table starts again.
	originIDs map[string]string
}

// maxOriginNames bounds output.originIDs.
const maxOriginNames = 10_000

func newOutput(stdout, stderr io.Writer, json bool) *output {
	o := &output{json: json, stderr: stderr}
	o.stdout = stdout
	o.startWriter()
	return o
}

// print writes one JSON line, the event and v's fields (jsonlines.go), or
// the text that text appends (nothing if text is nil).
func (o *output) print(event string, text func(b []byte) []byte, v any) {
	if !o.json && text == nil {
		return
	}
	b := o.lineLocked()
	if o.json {
		b = appendJSONLine(b, event, v)
	} else {
		b = text(b)
	}
	o.lineDone(b)
}

// identity prints why the node runs with a throwaway key.
func (o *output) identity(note string) {
	o.print("identity", func(b []byte) []byte {
		return fmt.Appendf(b, "identity: %s\n", note)
	}, identityLine{Note: note})
}

// event prints one node event.
func (o *output) event(ev node.Event) {
	if ev.Kind == node.EventMessage {
		o.message(ev.Message)
		return
	}
	if name, text, v := o.eventLine(ev); name != "" {
		o.print(name, text, v)
	}
}

// appendEventJSON appends ev's -json line, whatever the output's mode
// (for the live page, which shows the same lines).
func (o *output) appendEventJSON(b []byte, ev node.Event) []byte {
	if ev.Kind == node.EventMessage {
		return appendMessageJSON(b, ev.Message)
	}
	name, _, v := o.eventLine(ev)
	if name == "" {
		return b
	}
	return appendJSONLine(b, name, v)
}

// eventLine is how an event other than a message shows: its JSON event
// name and fields, and its text ("" for an event that does not show).
func (o *output) eventLine(ev node.Event) (name string, text func(b []byte) []byte, v any) {
	p := ev.Peer
	switch ev.Kind {
	case node.EventListening:
		return "listening", func(b []byte) []byte {
			return fmt.Appendf(b, "listening on %s as %s\n", ev.Addr, o.name)
		}, listeningLine{Name: o.name, ID: o.nodeID, Addr: ev.Addr}
	case node.EventPeerUp:
		return "connected", func(b []byte) []byte {
			return fmt.Appendf(b, "connected to %s (%s%s)\n", p.Name, direction(p.Inbound), unsignedNote(p))
		}, newPeerLine(p)
	case node.EventPeerDown:
		return "disconnected", func(b []byte) []byte {
			return fmt.Appendf(b, "disconnected from %s: %s\n", p.Name, ev.Reason)
		}, disconnectedLine{newPeerLine(p), ev.Reason}
	case node.EventDialing:
		return "dial", func(b []byte) []byte {
			return fmt.Appendf(b, "dialing %s\n", ev.Addr)
		}, addrLine{ev.Addr}
	case node.EventDialFailed:
		return "dial_failed", func(b []byte) []byte {
			return fmt.Appendf(b, "dial %s failed: %v\n", ev.Addr, ev.Err)
		}, dialFailedLine{Addr: ev.Addr, Error: fmt.Sprint(ev.Err)}
	case node.EventCatchup:
		return "catchup", func(b []byte) []byte {
			return fmt.Appendf(b, "caught up from %s: %d messages from %d origins\n", p.Name, ev.CaughtUp, ev.CaughtUpOrigins)
		}, catchupLine{Peer: p.Name, Messages: ev.CaughtUp, Origins: ev.CaughtUpOrigins}
	case node.EventError:
		msg := "unknown error"
		if ev.Err != nil {
			msg = ev.Err.Error()
		}
		return "error", func(b []byte) []byte {
			return append(append(append(b, "error: "...), msg...), '\n')
		}, errorLine{Error: msg, Peer: p.Name, Remote: p.Remote}
	}
	return "", nil, nil
}

// message prints a delivered message; it is the hot path.
func (o *output) message(m node.Message) {
	b := o.lineLocked()
	if o.json {
		b = appendMessageJSON(b, m)
	} else {
		b = append(b, "message from "...)
		b = append(b, m.Origin...)
		if id := o.originIDLocked(m); id != "" {
			b = append(b, '#')
			b = append(b, id...)
		}
		if m.Unverified {
			// Nothing proves the origin: say who passed it on.
			b = append(b, " (unverified, via "...)
			b = append(b, m.From...)
			b = append(b, ')')
		} else if m.From != m.Origin {
			b = append(b, " via "...)
			b = append(b, m.From...)
		}
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(m.Hops), 10)
		if m.Hops == 1 {
			b = append(b, " hop"...)
		} else {
			b = append(b, " hops"...)
		}
		if m.Catchup {
			b = append(b, ", catch-up"...)
		}
		b = append(b, "): "...)
		b = append(b, m.Text...)
		b = append(b, '\n')
	}
	o.lineDone(b)
}

// originIDLocked returns the node id to show after a message's origin
// name: "" when the name was first seen with this id (the usual case),
// else the id. The id is the part of the message id before its last dash.
func (o *output) originIDLocked(m node.Message) string {
	i := strings.LastIndexByte(m.ID, '-')
	if i <= 0 {
		return ""
	}
	id := m.ID[:i]
	if m.Origin == o.name {
		// Our own name is ours: anyone else using it is shown with its id.
		if id == o.nodeID {
			return ""
		}
		return id
	}
	if o.originIDs == nil || len(o.originIDs) >= maxOriginNames {
		o.originIDs = make(map[string]string)
	}
	first, ok := o.originIDs[m.Origin]
	if !ok {
		o.originIDs[m.Origin] = id
		return ""
	}
	if first == id {
		return ""
	}
	return id
}

// unsignedNote marks a protocol 1 link in the text output.
func unsignedNote(p node.Peer) string {
	if p.Protocol == 1 {
		return ", unsigned"
	}
	return ""
}

func direction(inbound bool) string {
	if inbound {
		return "inbound"
	}
	return "outbound"
}

// commandError reports a failed command: on stderr in text mode, as an
// error event in JSON mode.
func (o *output) commandError(cmd string, pos Pos, err error) {
	if o.json {
		line := commandErrorLine{Error: err.Error(), Command: cmd}
		if pos.File != "" {
			line.where = &where{File: pos.File, Line: pos.Line}
		}
		o.print("error", nil, line)
		return
	}
	msg := err.Error()
	if pos.File != "" {
		msg = pos.String() + ": " + msg
	} else {
		msg = "error: " + msg
	}
	o.warn(msg)
}

// warn writes a line to stderr, after what is printed on stdout so far.
func (o *output) warn(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drainLocked()
	io.WriteString(o.stderr, text+"\n")
}

// notice is a line of text for a person (text mode) or an object with a
// "text" field (JSON mode).
func (o *output) notice(event, text string) {
	o.print(event, func(b []byte) []byte {
		b = append(b, text...)
		if !strings.HasSuffix(text, "\n") {
			b = append(b, '\n')
		}
		return b
	}, textLine{text})
}

// done reports a command that succeeded and has nothing to show in text
// mode; in JSON mode it prints the event with v's fields (v may be nil).
func (o *output) done(event string, v any) {
	o.print(event, nil, v)
}

// sent reports a message this node originated.
func (o *output) sent(s node.Sent) {
	if !o.json {
		if s.Peers == 0 {
			o.notice("sent", "no peers: the message was sent to no one")
		}
		return
	}
	if o.quietSent {
		return
	}
	b := o.lineLocked()
	o.lineDone(appendSentJSON(b, s))
}

func (o *output) peers(ps []node.PeerInfo) {
	o.print("peers", func(b []byte) []byte {
		if len(ps) == 0 {
			return append(b, "no peers\n"...)
		}
		shared := map[string]int{}
		for _, p := range ps {
			shared[p.Name]++
		}
		treeNode := o.treeMode
		for _, p := range ps {
			addr := p.Addr
			if addr == "" {
				addr = "-"
			}
			name := p.Name
			if shared[name] > 1 {
				// Two peers share the name: the id tells them apart.
				name += "#" + p.ID
			}
			b = fmt.Appendf(b, "%s %s %s delivered=%d duplicates=%d sent=%d",
				name, addr, direction(p.Inbound), p.Delivered, p.Duplicates, p.MsgsOut)
			if p.Protocol == 1 {
				b = append(b, " unsigned"...)
			}
			if treeNode {
				b = append(b, " link="...)
				b = append(b, linkKind(p)...)
			}
			b = append(b, '\n')
		}
		return b
	}, newPeersLine(ps, o.treeMode))
}

// linkKind is a tree node's link in one word: flood (the peer floods: it
// gets every message), eager (it gets every origin's messages), lazy (it
// gets IHAVE only), or lazy:L/O (lazy for L of the O origins whose trees
// are kept).
func linkKind(p node.PeerInfo) string {
	switch {
	case !p.Tree:
		return "flood"
	case p.LazyOrigins == 0:
		return "eager"
	case p.LazyOrigins == p.Origins:
		return "lazy"
	}
	return fmt.Sprintf("lazy:%d/%d", p.LazyOrigins, p.Origins)
}

func (o *output) seen(es []node.SeenEntry) {
	o.print("seen", func(b []byte) []byte {
		if len(es) == 0 {
			return append(b, "nothing seen\n"...)
		}
		for _, e := range es {
			b = fmt.Appendf(b, "%s %s duplicates=%d\n", e.ID, e.Origin, e.Duplicates)
		}
		return b
	}, newSeenLine(es))
}

// stats prints the counters: in text, one "NAME VALUE" line each, named
// and ordered as the JSON keys of statsLine.
func (o *output) stats(s node.Stats) {
	line := newStatsLine(s)
	o.print("stats", func(b []byte) []byte {
		v := reflect.ValueOf(line)
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			b = fmt.Appendf(b, "%s %d\n", name, v.Field(i).Uint())
		}
		return b
	}, line)
}

// known prints the table of known addresses.
func (o *output) known(ks []node.KnownAddr) {
	o.print("known", func(b []byte) []byte {
		if len(ks) == 0 {
			return append(b, "no known addresses\n"...)
		}
		for _, k := range ks {
			name := k.Name
			if name == "" {
				name = "-"
			}
			b = fmt.Appendf(b, "%s %s %s failures=%d from=%s", k.Addr, name, k.State, k.Failures, k.Source)
			if k.State == "failed" || k.State == "new" {
				if wait := time.Until(k.NextTry); wait > 0 {
					b = fmt.Appendf(b, " next_try_in=%v", wait.Round(time.Millisecond))
				}
			}
			b = append(b, '\n')
		}
		return b
	}, newKnownLine(ks))
}
