package script

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// TestJSONLinesExact pins the bytes of every kind of -json line: key
// order, fields left out when empty, times in UTC, [] for an empty table.
func TestJSONLinesExact(t *testing.T) {
	var buf syncBuffer
	o := newOutput(&buf, &buf, true)
	o.name, o.nodeID = "a", "00000000000000aa"
	at := time.Date(2026, 1, 2, 4, 4, 5, 600, time.FixedZone("CET", 3600))
	p := node.Peer{ID: "00000000000000bb", Name: "b", Addr: "127.0.0.1:2", Remote: "127.0.0.1:3", Inbound: true}
	o.event(node.Event{Kind: node.EventListening, Addr: "127.0.0.1:1"})
	o.event(node.Event{Kind: node.EventPeerUp, Peer: p})
	o.event(node.Event{Kind: node.EventPeerDown, Peer: p, Reason: "closed by peer"})
	o.event(node.Event{Kind: node.EventDialing, Addr: "127.0.0.1:4"})
	o.event(node.Event{Kind: node.EventDialFailed, Addr: "127.0.0.1:4", Err: errors.New("refused")})
	o.event(node.Event{Kind: node.EventError, Peer: p, Err: errors.New("bad frame")})
	o.event(node.Event{Kind: node.EventError})
	o.commandError("wait", Pos{File: "a.p2p", Line: 3}, errors.New("timed out"))
	o.commandError("", Pos{}, errors.New("no such file"))
	o.sent(node.Sent{Message: node.Message{ID: "00000000000000aa-1", Origin: "a", Text: "<hi> & \u2028"}, Peers: 2})
	o.peers([]node.PeerInfo{{Peer: p, Since: at, Delivered: 1, Duplicates: 2, MsgsOut: 3, Relayed: 4,
		FramesIn: 5, FramesOut: 6, BytesIn: 7, BytesOut: 8, Queued: 9}})
	o.peers(nil)
	o.seen([]node.SeenEntry{{ID: "00000000000000bb-1", Origin: "b", FirstSeen: at, Duplicates: 1}})
	o.seen(nil)
	o.stats(node.Stats{Peers: 1, Seen: 2, Sent: 3, Delivered: 4, Duplicates: 5, Forwarded: 6, FramesIn: 7, FramesOut: 8,
		BytesIn: 9, BytesOut: 10, MsgsOut: 11, ProtocolErrors: 12, SlowPeers: 13, RefusedConns: 14, TooLongForPeer: 15,
		SeenOrigins: 16, GapJumps: 17, BadSignatures: 18, BadProofs: 19, Stale: 20, FromFuture: 21, Unverified: 22, ControlDropped: 23, Misbehaving: 24, Penalized: 25})
	o.known([]node.KnownAddr{{Addr: "127.0.0.1:2", Name: "b", State: "failed", Failures: 1, LastSeen: at, NextTry: at, Source: "join"},
		{Addr: "127.0.0.1:5", State: "new", Source: "b"}})
	o.known(nil)
	o.done("wait", waitLine{For: "peers 1"})
	o.done("wait", waitLine{For: "message hi", waited: &waited{ID: "00000000000000bb-1", Origin: "b", Text: ""}})
	o.done("sleep", durationLine{(1500 * time.Millisecond).String()})
	o.done("quit", nil)
	o.notice("echo", "x")
	o.close()

	want := `{"event":"listening","name":"a","id":"00000000000000aa","addr":"127.0.0.1:1"}
{"event":"connected","peer":"b","id":"00000000000000bb","addr":"127.0.0.1:2","remote":"127.0.0.1:3","inbound":true}
{"event":"disconnected","peer":"b","id":"00000000000000bb","addr":"127.0.0.1:2","remote":"127.0.0.1:3","inbound":true,"reason":"closed by peer"}
{"event":"dial","addr":"127.0.0.1:4"}
{"event":"dial_failed","addr":"127.0.0.1:4","error":"refused"}
{"event":"error","error":"bad frame","peer":"b","remote":"127.0.0.1:3"}
{"event":"error","error":"unknown error"}
{"event":"error","error":"timed out","command":"wait","file":"a.p2p","line":3}
{"event":"error","error":"no such file"}
{"event":"sent","id":"00000000000000aa-1","origin":"a","text":"<hi> & \u2028","peers":2}
{"event":"peers","peers":[{"name":"b","id":"00000000000000bb","addr":"127.0.0.1:2","remote":"127.0.0.1:3","inbound":true,"since":"2026-01-02T03:04:05.0000006Z","delivered":1,"duplicates":2,"sent":3,"relayed":4,"frames_in":5,"frames_out":6,"bytes_in":7,"bytes_out":8,"queued":9}]}
{"event":"peers","peers":[]}
{"event":"seen","entries":[{"id":"00000000000000bb-1","origin":"b","first_seen":"2026-01-02T03:04:05.0000006Z","duplicates":1}]}
{"event":"seen","entries":[]}
{"event":"stats","peers":1,"seen":2,"sent":3,"delivered":4,"duplicates":5,"forwarded":6,"frames_in":7,"frames_out":8,"bytes_in":9,"bytes_out":10,"transmissions":11,"protocol_errors":12,"slow_peers":13,"refused_conns":14,"too_long_for_peer":15,"seen_origins":16,"gap_jumps":17,"bad_signatures":18,"bad_proofs":19,"stale":20,"from_future":21,"unverified":22,"control_dropped":23,"misbehaving":24,"penalized":25,"payload_frames_in":0,"payload_frames_out":0,"payload_bytes_in":0,"payload_bytes_out":0,"control_frames_in":7,"control_frames_out":8,"control_bytes_in":9,"control_bytes_out":10,"ihaves_out":0,"ihave_ids_out":0,"ihave_ids_in":0,"grafts_out":0,"grafts_in":0,"prunes_out":0,"prunes_in":0,"graft_answers":0,"grafts_refused":0,"graft_misses":0,"tree_lost":0,"ihaves_ignored":0,"summaries_out":0,"summaries_in":0,"catchup_out":0,"catchup_bytes_out":0,"catchup_in":0,"catchup_bytes_in":0,"catchup_delivered":0,"catchup_refused":0,"history":0}
{"event":"known","known":[{"addr":"127.0.0.1:2","name":"b","state":"failed","failures":1,"source":"join","last_seen":"2026-01-02T03:04:05.0000006Z","next_try":"2026-01-02T03:04:05.0000006Z"},{"addr":"127.0.0.1:5","name":"","state":"new","failures":0,"source":"b"}]}
{"event":"known","known":[]}
{"event":"wait","for":"peers 1"}
{"event":"wait","for":"message hi","id":"00000000000000bb-1","origin":"b","text":""}
{"event":"sleep","duration":"1.5s"}
{"event":"quit"}
{"event":"echo","text":"x"}
`
	if got := buf.String(); got != want {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range max(len(gotLines), len(wantLines)) {
			g, w := "", ""
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// TestStatsTextMatchesJSON: the text stats lines are the JSON keys in
// order, with their values.
func TestStatsTextMatchesJSON(t *testing.T) {
	var buf syncBuffer
	o := newOutput(&buf, &buf, false)
	o.stats(node.Stats{Peers: 1, GapJumps: 17, MsgsOut: 11})
	o.close()
	if got, want := buf.String(), "peers 1\nseen 0\nsent 0\ndelivered 0\nduplicates 0\nforwarded 0\nframes_in 0\nframes_out 0\n"+
		"bytes_in 0\nbytes_out 0\ntransmissions 11\nprotocol_errors 0\nslow_peers 0\nrefused_conns 0\ntoo_long_for_peer 0\n"+
		"seen_origins 0\ngap_jumps 17\nbad_signatures 0\nbad_proofs 0\nstale 0\nfrom_future 0\nunverified 0\ncontrol_dropped 0\nmisbehaving 0\npenalized 0\n"+
		"payload_frames_in 0\npayload_frames_out 0\npayload_bytes_in 0\npayload_bytes_out 0\ncontrol_frames_in 0\ncontrol_frames_out 0\ncontrol_bytes_in 0\ncontrol_bytes_out 0\n"+
		"ihaves_out 0\nihave_ids_out 0\nihave_ids_in 0\ngrafts_out 0\ngrafts_in 0\nprunes_out 0\nprunes_in 0\ngraft_answers 0\ngrafts_refused 0\ngraft_misses 0\ntree_lost 0\nihaves_ignored 0\n"+
		"summaries_out 0\nsummaries_in 0\ncatchup_out 0\ncatchup_bytes_out 0\ncatchup_in 0\ncatchup_bytes_in 0\ncatchup_delivered 0\ncatchup_refused 0\nhistory 0\n"; got != want {
		t.Errorf("stats text:\n%s\nwant\n%s", got, want)
	}
}
