package script

import (
	"fmt"
	"io"
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

	// mu guards the fields below and writerState: the event pump, the
	// command runner and the writer goroutine all use them.
	mu     sync.Mutex
	stderr io.Writer
	writerState
}

func newOutput(stdout, stderr io.Writer, json bool) *output {
	o := &output{json: json, stderr: stderr}
	o.stdout = stdout
	o.startWriter()
	return o
}

// print writes one JSON object (built by fill) or a text line.
func (o *output) print(event string, text func(b []byte) []byte, fill func(j *jsonObj)) {
	if !o.json && text == nil {
		return
	}
	b := o.lineLocked()
	if o.json {
		j := jsonObj{b: b}
		j.begin(event)
		if fill != nil {
			fill(&j)
		}
		j.end()
		b = j.b
	} else {
		b = text(b)
	}
	o.lineDone(b)
}

// event prints one node event.
func (o *output) event(ev node.Event) {
	p := ev.Peer
	switch ev.Kind {
	case node.EventListening:
		o.print("listening", func(b []byte) []byte {
			return fmt.Appendf(b, "listening on %s as %s\n", ev.Addr, o.name)
		}, func(j *jsonObj) {
			j.str("name", o.name)
			j.str("id", o.nodeID)
			j.str("addr", ev.Addr)
		})
	case node.EventPeerUp:
		o.print("connected", func(b []byte) []byte {
			return fmt.Appendf(b, "connected to %s (%s)\n", p.Name, direction(p.Inbound))
		}, func(j *jsonObj) {
			peerFields(j, p)
		})
	case node.EventPeerDown:
		o.print("disconnected", func(b []byte) []byte {
			return fmt.Appendf(b, "disconnected from %s: %s\n", p.Name, ev.Reason)
		}, func(j *jsonObj) {
			peerFields(j, p)
			j.str("reason", ev.Reason)
		})
	case node.EventMessage:
		o.message(ev.Message)
	case node.EventDialing:
		o.print("dial", func(b []byte) []byte {
			return fmt.Appendf(b, "dialing %s\n", ev.Addr)
		}, func(j *jsonObj) {
			j.str("addr", ev.Addr)
		})
	case node.EventDialFailed:
		o.print("dial_failed", func(b []byte) []byte {
			return fmt.Appendf(b, "dial %s failed: %v\n", ev.Addr, ev.Err)
		}, func(j *jsonObj) {
			j.str("addr", ev.Addr)
			j.str("error", fmt.Sprint(ev.Err))
		})
	case node.EventError:
		msg := "unknown error"
		if ev.Err != nil {
			msg = ev.Err.Error()
		}
		o.print("error", func(b []byte) []byte {
			return append(append(append(b, "error: "...), msg...), '\n')
		}, func(j *jsonObj) {
			j.str("error", msg)
			if p.Name != "" {
				j.str("peer", p.Name)
			}
			if p.Remote != "" {
				j.str("remote", p.Remote)
			}
		})
	}
}

// message prints a delivered message; it is the hot path.
func (o *output) message(m node.Message) {
	b := o.lineLocked()
	if o.json {
		j := jsonObj{b: b}
		j.begin("message")
		j.str("id", m.ID)
		j.str("origin", m.Origin)
		j.str("from", m.From)
		j.int("hops", int64(m.Hops))
		j.str("text", m.Text)
		j.end()
		b = j.b
	} else {
		b = append(b, "message from "...)
		b = append(b, m.Origin...)
		if m.From != m.Origin {
			b = append(b, " via "...)
			b = append(b, m.From...)
		}
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(m.Hops), 10)
		if m.Hops == 1 {
			b = append(b, " hop): "...)
		} else {
			b = append(b, " hops): "...)
		}
		b = append(b, m.Text...)
		b = append(b, '\n')
	}
	o.lineDone(b)
}

func direction(inbound bool) string {
	if inbound {
		return "inbound"
	}
	return "outbound"
}

func peerFields(j *jsonObj, p node.Peer) {
	j.str("peer", p.Name)
	j.str("id", p.ID)
	j.str("addr", p.Addr)
	j.str("remote", p.Remote)
	j.bool("inbound", p.Inbound)
}

// commandError reports a failed command: on stderr in text mode, as an
// error event in JSON mode.
func (o *output) commandError(cmd string, pos Pos, err error) {
	if o.json {
		b := o.lineLocked()
		j := jsonObj{b: b}
		j.begin("error")
		j.str("error", err.Error())
		if cmd != "" {
			j.str("command", cmd)
		}
		if pos.File != "" {
			j.str("file", pos.File)
			j.int("line", int64(pos.Line))
		}
		j.end()
		o.lineDone(j.b)
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
	}, func(j *jsonObj) {
		j.str("text", text)
	})
}

// done reports a command that succeeded and has nothing to show in text
// mode; in JSON mode it prints an object filled by fill.
func (o *output) done(event string, fill func(j *jsonObj)) {
	if o.json {
		o.print(event, nil, fill)
	}
}

// sent reports a message this node originated.
func (o *output) sent(s node.Sent) {
	if !o.json {
		if s.Peers == 0 {
			o.notice("sent", "no peers: the message was sent to no one")
		}
		return
	}
	o.print("sent", nil, func(j *jsonObj) {
		j.str("id", s.ID)
		j.str("origin", s.Origin)
		j.str("text", s.Text)
		j.int("peers", int64(s.Peers))
	})
}

func (o *output) peers(ps []node.PeerInfo) {
	o.print("peers", func(b []byte) []byte {
		if len(ps) == 0 {
			return append(b, "no peers\n"...)
		}
		for _, p := range ps {
			addr := p.Addr
			if addr == "" {
				addr = "-"
			}
			b = fmt.Appendf(b, "%s %s %s delivered=%d duplicates=%d sent=%d\n",
				p.Name, addr, direction(p.Inbound), p.Delivered, p.Duplicates, p.MsgsOut)
		}
		return b
	}, func(j *jsonObj) {
		j.array("peers")
		for _, p := range ps {
			j.open()
			j.str("name", p.Name)
			j.str("id", p.ID)
			j.str("addr", p.Addr)
			j.str("remote", p.Remote)
			j.bool("inbound", p.Inbound)
			j.time("since", p.Since)
			j.uint("delivered", p.Delivered)
			j.uint("duplicates", p.Duplicates)
			j.uint("sent", p.MsgsOut)
			j.uint("relayed", p.Relayed)
			j.uint("frames_in", p.FramesIn)
			j.uint("frames_out", p.FramesOut)
			j.uint("bytes_in", p.BytesIn)
			j.uint("bytes_out", p.BytesOut)
			j.int("queued", int64(p.Queued))
			j.closeObj()
		}
		j.closeArray()
	})
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
	}, func(j *jsonObj) {
		j.array("entries")
		for _, e := range es {
			j.open()
			j.str("id", e.ID)
			j.str("origin", e.Origin)
			j.time("first_seen", e.FirstSeen)
			j.int("duplicates", int64(e.Duplicates))
			j.closeObj()
		}
		j.closeArray()
	})
}

// statFields lists the counters in the order they are printed.
func statFields(s node.Stats) []struct {
	name string
	val  uint64
} {
	return []struct {
		name string
		val  uint64
	}{
		{"peers", uint64(s.Peers)}, {"seen", uint64(s.Seen)}, {"sent", s.Sent},
		{"delivered", s.Delivered}, {"duplicates", s.Duplicates}, {"forwarded", s.Forwarded},
		{"frames_in", s.FramesIn}, {"frames_out", s.FramesOut},
		{"bytes_in", s.BytesIn}, {"bytes_out", s.BytesOut},
		{"transmissions", s.MsgsOut},
		{"protocol_errors", s.ProtocolErrors}, {"slow_peers", s.SlowPeers}, {"refused_conns", s.RefusedConns},
		{"too_long_for_peer", s.TooLongForPeer},
		{"seen_origins", uint64(s.SeenOrigins)}, {"gap_jumps", s.GapJumps},
	}
}

func (o *output) stats(s node.Stats) {
	fields := statFields(s)
	o.print("stats", func(b []byte) []byte {
		for _, f := range fields {
			b = fmt.Appendf(b, "%s %d\n", f.name, f.val)
		}
		return b
	}, func(j *jsonObj) {
		for _, f := range fields {
			j.uint(f.name, f.val)
		}
	})
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
	}, func(j *jsonObj) {
		j.array("known")
		for _, k := range ks {
			j.open()
			j.str("addr", k.Addr)
			j.str("name", k.Name)
			j.str("state", k.State)
			j.int("failures", int64(k.Failures))
			j.str("source", k.Source)
			if !k.LastSeen.IsZero() {
				j.time("last_seen", k.LastSeen)
			}
			if !k.NextTry.IsZero() {
				j.time("next_try", k.NextTry)
			}
			j.closeObj()
		}
		j.closeArray()
	})
}

// durationField prints a duration the way flags take it.
func durationField(j *jsonObj, k string, d time.Duration) { j.str(k, d.String()) }
