package script

import (
	"time"

	"github.com/p2p-chat/p2p/node"
)

// The shapes of the -json lines other than message (json.go builds that
// one by hand). Each is encoded by encoding/json after the "event" field,
// in field order; docs/commands.md lists them all, and
// TestJSONOutputIsDocumented checks that it does.

type listeningLine struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// peerLine is a connected or disconnected event and the result of connect.
type peerLine struct {
	Peer    string `json:"peer"`
	ID      string `json:"id"`
	Addr    string `json:"addr"`
	Remote  string `json:"remote"`
	Inbound bool   `json:"inbound"`
	// Unsigned is set only for a protocol 1 link (-allow-unsigned).
	Unsigned bool `json:"unsigned,omitempty"`
}

func newPeerLine(p node.Peer) peerLine {
	return peerLine{Peer: p.Name, ID: p.ID, Addr: p.Addr, Remote: p.Remote, Inbound: p.Inbound, Unsigned: p.Protocol == 1}
}

type disconnectedLine struct {
	peerLine
	Reason string `json:"reason"`
}

type addrLine struct {
	Addr string `json:"addr"`
}

type dialFailedLine struct {
	Addr  string `json:"addr"`
	Error string `json:"error"`
}

// errorLine is an error event of the node.
// catchupLine: a peer finished answering this node's summary and
// Messages new to this node came, from Origins origins.
type catchupLine struct {
	Peer     string `json:"peer"`
	Messages int    `json:"messages"`
	Origins  int    `json:"origins"`
}

type errorLine struct {
	Error  string `json:"error"`
	Peer   string `json:"peer,omitempty"`
	Remote string `json:"remote,omitempty"`
}

// commandErrorLine is a command that failed; where is nil outside a file.
type commandErrorLine struct {
	Error   string `json:"error"`
	Command string `json:"command,omitempty"`
	*where
}

type where struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// textLine is echo, help and the REPL's hint.
type textLine struct {
	Text string `json:"text"`
}

type sentLine struct {
	ID     string `json:"id"`
	Origin string `json:"origin"`
	Text   string `json:"text"`
	Peers  int    `json:"peers"`
}

type peersLine struct {
	Peers []peerRow `json:"peers"` // [] when there are none
}

type peerRow struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	Addr       string `json:"addr"`
	Remote     string `json:"remote"`
	Inbound    bool   `json:"inbound"`
	Since      string `json:"since"`
	Delivered  uint64 `json:"delivered"`
	Duplicates uint64 `json:"duplicates"`
	Sent       uint64 `json:"sent"`
	Relayed    uint64 `json:"relayed"`
	FramesIn   uint64 `json:"frames_in"`
	FramesOut  uint64 `json:"frames_out"`
	BytesIn    uint64 `json:"bytes_in"`
	BytesOut   uint64 `json:"bytes_out"`
	Queued     int    `json:"queued"`
	Unsigned   bool   `json:"unsigned,omitempty"` // a protocol 1 link
	// Tree mode only: the link's kind (linkKind) and, of the origins
	// whose trees are kept, those for which it is lazy.
	Link        string `json:"link,omitempty"`
	LazyOrigins int    `json:"lazy_origins,omitempty"`
	Origins     int    `json:"origins,omitempty"`
}

func newPeersLine(ps []node.PeerInfo, treeNode bool) peersLine {
	rows := make([]peerRow, 0, len(ps))
	for _, p := range ps {
		var link string
		if treeNode {
			link = linkKind(p)
		}
		rows = append(rows, peerRow{
			Link: link, LazyOrigins: p.LazyOrigins, Origins: p.Origins,
			Name: p.Name, ID: p.ID, Addr: p.Addr, Remote: p.Remote, Inbound: p.Inbound, Since: jsonTime(p.Since),
			Delivered: p.Delivered, Duplicates: p.Duplicates, Sent: p.MsgsOut, Relayed: p.Relayed,
			FramesIn: p.FramesIn, FramesOut: p.FramesOut, BytesIn: p.BytesIn, BytesOut: p.BytesOut, Queued: p.Queued,
			Unsigned: p.Protocol == 1,
		})
	}
	return peersLine{rows}
}

type seenLine struct {
	Entries []seenRow `json:"entries"`
}

type seenRow struct {
	ID         string `json:"id"`
	Origin     string `json:"origin"`
	FirstSeen  string `json:"first_seen"`
	Duplicates int    `json:"duplicates"`
}

func newSeenLine(es []node.SeenEntry) seenLine {
	rows := make([]seenRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, seenRow{ID: e.ID, Origin: e.Origin, FirstSeen: jsonTime(e.FirstSeen), Duplicates: e.Duplicates})
	}
	return seenLine{rows}
}

type knownLine struct {
	Known []knownRow `json:"known"`
}

type knownRow struct {
	Addr     string `json:"addr"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Failures int    `json:"failures"`
	Source   string `json:"source"`
	LastSeen string `json:"last_seen,omitempty"` // omitted when never
	NextTry  string `json:"next_try,omitempty"`
}

func newKnownLine(ks []node.KnownAddr) knownLine {
	rows := make([]knownRow, 0, len(ks))
	for _, k := range ks {
		r := knownRow{Addr: k.Addr, Name: k.Name, State: k.State, Failures: k.Failures, Source: k.Source}
		if !k.LastSeen.IsZero() {
			r.LastSeen = jsonTime(k.LastSeen)
		}
		if !k.NextTry.IsZero() {
			r.NextTry = jsonTime(k.NextTry)
		}
		rows = append(rows, r)
	}
	return knownLine{rows}
}

// statsLine is the stats command's result; the text output prints the same
// counters, named by their JSON keys, in the same order (output.stats).
type statsLine struct {
	Peers          uint64 `json:"peers"`
	Seen           uint64 `json:"seen"`
	Sent           uint64 `json:"sent"`
	Delivered      uint64 `json:"delivered"`
	Duplicates     uint64 `json:"duplicates"`
	Forwarded      uint64 `json:"forwarded"`
	FramesIn       uint64 `json:"frames_in"`
	FramesOut      uint64 `json:"frames_out"`
	BytesIn        uint64 `json:"bytes_in"`
	BytesOut       uint64 `json:"bytes_out"`
	Transmissions  uint64 `json:"transmissions"`
	ProtocolErrors uint64 `json:"protocol_errors"`
	SlowPeers      uint64 `json:"slow_peers"`
	RefusedConns   uint64 `json:"refused_conns"`
	TooLongForPeer uint64 `json:"too_long_for_peer"`
	SeenOrigins    uint64 `json:"seen_origins"`
	GapJumps       uint64 `json:"gap_jumps"`
	BadSignatures  uint64 `json:"bad_signatures"`
	BadProofs      uint64 `json:"bad_proofs"`
	Stale          uint64 `json:"stale"`
	FromFuture     uint64 `json:"from_future"`
	Unverified     uint64 `json:"unverified"`
	ControlDropped uint64 `json:"control_dropped"`
	Misbehaving    uint64 `json:"misbehaving"`
	Penalized      uint64 `json:"penalized"`

	PayloadFramesIn  uint64 `json:"payload_frames_in"`
	PayloadFramesOut uint64 `json:"payload_frames_out"`
	PayloadBytesIn   uint64 `json:"payload_bytes_in"`
	PayloadBytesOut  uint64 `json:"payload_bytes_out"`
	ControlFramesIn  uint64 `json:"control_frames_in"`
	ControlFramesOut uint64 `json:"control_frames_out"`
	ControlBytesIn   uint64 `json:"control_bytes_in"`
	ControlBytesOut  uint64 `json:"control_bytes_out"`
	IHavesOut        uint64 `json:"ihaves_out"`
	IHaveIDsOut      uint64 `json:"ihave_ids_out"`
	IHaveIDsIn       uint64 `json:"ihave_ids_in"`
	GraftsOut        uint64 `json:"grafts_out"`
	GraftsIn         uint64 `json:"grafts_in"`
	PrunesOut        uint64 `json:"prunes_out"`
	PrunesIn         uint64 `json:"prunes_in"`
	GraftAnswers     uint64 `json:"graft_answers"`
	GraftsRefused    uint64 `json:"grafts_refused"`
	GraftMisses      uint64 `json:"graft_misses"`
	TreeLost         uint64 `json:"tree_lost"`
	IHavesIgnored    uint64 `json:"ihaves_ignored"`
	SummariesOut     uint64 `json:"summaries_out"`
	SummariesIn      uint64 `json:"summaries_in"`
	CatchupOut       uint64 `json:"catchup_out"`
	CatchupBytesOut  uint64 `json:"catchup_bytes_out"`
	CatchupIn        uint64 `json:"catchup_in"`
	CatchupBytesIn   uint64 `json:"catchup_bytes_in"`
	CatchupDelivered uint64 `json:"catchup_delivered"`
	CatchupRefused   uint64 `json:"catchup_refused"`
	History          uint64 `json:"history"`
}

func newStatsLine(s node.Stats) statsLine {
	return statsLine{
		Peers: uint64(s.Peers), Seen: uint64(s.Seen), Sent: s.Sent,
		Delivered: s.Delivered, Duplicates: s.Duplicates, Forwarded: s.Forwarded,
		FramesIn: s.FramesIn, FramesOut: s.FramesOut, BytesIn: s.BytesIn, BytesOut: s.BytesOut,
		Transmissions: s.MsgsOut, ProtocolErrors: s.ProtocolErrors, SlowPeers: s.SlowPeers,
		RefusedConns: s.RefusedConns, TooLongForPeer: s.TooLongForPeer,
		SeenOrigins: uint64(s.SeenOrigins), GapJumps: s.GapJumps,
		BadSignatures: s.BadSignatures, BadProofs: s.BadProofs, Stale: s.Stale,
		FromFuture: s.FromFuture, Unverified: s.Unverified,
		ControlDropped: s.ControlDropped, Misbehaving: s.Misbehaving, Penalized: s.Penalized,
		PayloadFramesIn: s.PayloadFramesIn, PayloadFramesOut: s.PayloadFramesOut,
		PayloadBytesIn: s.PayloadBytesIn, PayloadBytesOut: s.PayloadBytesOut,
		ControlFramesIn: s.FramesIn - s.PayloadFramesIn, ControlFramesOut: s.FramesOut - s.PayloadFramesOut,
		ControlBytesIn: s.BytesIn - s.PayloadBytesIn, ControlBytesOut: s.BytesOut - s.PayloadBytesOut,
		IHavesOut: s.IHavesOut, IHaveIDsOut: s.IHaveIDsOut, IHaveIDsIn: s.IHaveIDsIn,
		GraftsOut: s.GraftsOut, GraftsIn: s.GraftsIn, PrunesOut: s.PrunesOut, PrunesIn: s.PrunesIn,
		GraftAnswers: s.GraftAnswers, GraftsRefused: s.GraftsRefused, GraftMisses: s.GraftMisses, TreeLost: s.TreeLost,
		IHavesIgnored: s.IHavesIgnored,
		SummariesOut:  s.SummariesOut, SummariesIn: s.SummariesIn, CatchupOut: s.CatchupOut,
		CatchupBytesOut: s.CatchupBytesOut, CatchupIn: s.CatchupIn, CatchupBytesIn: s.CatchupBytesIn, CatchupDelivered: s.CatchupDelivered,
		CatchupRefused: s.CatchupRefused, History: uint64(s.History),
	}
}

// waitLine is the result of wait; waited is set by wait message.
type waitLine struct {
	For string `json:"for"`
	*waited
}

type waited struct {
	ID     string `json:"id"`
	Origin string `json:"origin"`
	Text   string `json:"text"`
}

type durationLine struct {
	Duration string `json:"duration"` // as flags take it: 500ms
}

type fileLine struct {
	File string `json:"file"`
}

type peerNameLine struct {
	Peer string `json:"peer"`
}

// jsonTime is a time as the JSON lines give it: RFC 3339 in UTC.
func jsonTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
