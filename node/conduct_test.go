package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
)

func TestConductBudgetAndPatience(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cfg := DefaultConfig()
	c := newConduct(cfg, now)
	for i := range cfg.ControlBurst {
		if v := c.allowControl(now); v != controlOK {
			t.Fatalf("frame %d of the burst: %v, want ok", i, v)
		}
	}
	for i := range cfg.Patience {
		if v := c.allowControl(now); v != controlDropped {
			t.Fatalf("offence %d: %v, want dropped", i, v)
		}
	}
	if v := c.allowControl(now); v != controlCut {
		t.Fatalf("past the patience: %v, want cut", v)
	}
	// A second later: ControlRate frames again, and one offence forgiven.
	now = now.Add(time.Second)
	for i := range cfg.ControlRate {
		if v := c.allowControl(now); v != controlOK {
			t.Fatalf("after a second, frame %d: %v, want ok", i, v)
		}
	}
	if v := c.allowControl(now); v != controlDropped {
		t.Fatalf("after a second, past the rate: %v, want dropped (one offence forgiven)", v)
	}
}

func TestConductReportsOncePerSecond(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var c conduct
	if ok, held := c.report(now); !ok || held != 0 {
		t.Fatalf("first report: %v %d", ok, held)
	}
	for i := range 5 {
		if ok, _ := c.report(now.Add(time.Duration(i) * 100 * time.Millisecond)); ok {
			t.Fatalf("report %d within the second was let through", i)
		}
	}
	ok, held := c.report(now.Add(time.Second))
	if !ok || held != 5 {
		t.Fatalf("a second later: %v, %d held; want a report and the 5 held back", ok, held)
	}
	c.report(now.Add(time.Second + 1))
	if n := c.heldBack(); n != 1 {
		t.Fatalf("held back at the end: %d, want 1", n)
	}
}

func TestConductUnknownTypesAndPeers(t *testing.T) {
	var c conduct
	if !c.firstUnknown([]byte("STATUS")) || c.firstUnknown([]byte("STATUS")) {
		t.Fatal("an unknown type is answered once")
	}
	for i := range maxUnknownTypes * 2 {
		c.firstUnknown([]byte(strings.Repeat("X", i+1)))
	}
	if len(c.unknown) != maxUnknownTypes {
		t.Fatalf("%d unknown types remembered, want at most %d", len(c.unknown), maxUnknownTypes)
	}
	now := time.Unix(1_700_000_000, 0)
	if !c.answerPeers(now) || c.answerPeers(now.Add(peersEvery-time.Millisecond)) || !c.answerPeers(now.Add(peersEvery)) {
		t.Fatal("GETPEERS is answered once per interval")
	}
}

func TestPenaltyBox(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := newPenaltyBox(time.Minute, 2)
	b.add(now, "a:1", "")
	b.add(now.Add(time.Second), "b:1")
	b.add(now.Add(2*time.Second), "c:1") // full: a:1 ends first and goes
	if b.boxed("a:1", now) || !b.boxed("b:1", now) || !b.boxed("c:1", now) || b.len() != 2 {
		t.Fatalf("after three adds to a box of 2: a %v b %v c %v", b.boxed("a:1", now), b.boxed("b:1", now), b.boxed("c:1", now))
	}
	if b.boxed("b:1", now.Add(time.Minute+time.Second)) {
		t.Fatal("b:1 is still boxed after its penalty")
	}
	// A boxed host is shut out; a boxed loopback host is slowed down.
	b = newPenaltyBox(time.Minute, 16)
	b.boxHost(now, "10.1.2.3:5")
	b.boxHost(now, "127.0.0.1:6")
	if b.admit("10.1.2.3:7", now) || !b.admit("10.9.9.9:7", now) {
		t.Fatal("a boxed host is let in, or another host is not")
	}
	admitted := 0
	for range 100 {
		if b.admit("127.0.0.1:8", now) {
			admitted++
		}
	}
	if admitted != throttleBurst {
		t.Fatalf("a boxed loopback host got %d connections at once, want %d", admitted, throttleBurst)
	}
	if !b.admit("127.0.0.1:8", now.Add(time.Second)) || !b.admit("127.0.0.1:9", now.Add(time.Minute+time.Second)) {
		t.Fatal("a boxed loopback host is not let in a second later, or after its penalty")
	}
}

// TestControlFloodsAreCut: a peer that floods unknown frames, GETPEERS,
// PING or ERR is answered at most once per unknown type and once for GETPEERS,
// reported in a few events, cut for misbehaving, refused when it comes
// back with the same address; the hub keeps relaying for the others.
func TestControlFloodsAreCut(t *testing.T) {
	for _, flood := range []struct{ name, frame, answer string }{
		{"unknown", "STATUS", "ERR unknown frame type STATUS, ignored"},
		{"getpeers", "GETPEERS", "PEERS"},
		{"ping", "PING", ""},
		{"err", "ERR you are wrong", ""}, // each within the budget is an error event: held back past one a second
	} {
		t.Run(flood.name, func(t *testing.T) {
			c, hub := hubCluster(t, nil)
			raw := dialRaw(t, transport.TCP{}, hub.Addr())
			raw.send("HELLO 1 00000000000000f1 flooder 127.0.0.1:9")
			raw.expect("HELLO ")
			raw.conn.SetWriteDeadline(time.Now().Add(waitLimit(t)))
			raw.conn.Write([]byte(strings.Repeat(flood.frame+"\n", 20_000))) // cut part way
			var answers, errs int
			for {
				line, err := raw.readLine()
				if err != nil {
					break
				}
				switch {
				case strings.HasPrefix(line, "ERR misbehaving: "):
					errs++
				case flood.answer != "" && strings.HasPrefix(line, flood.answer):
					answers++
				default:
					t.Fatalf("the flooder was sent %q", line)
				}
			}
			if errs != 1 || flood.answer != "" && answers != 1 {
				t.Fatalf("the flooder got %d answers and %d misbehaving ERRs, want 1 and 1", answers, errs)
			}
			c.recs[0].waitDown(t, "misbehaving")
			checkStillForwards(t, c, 10)
			if n := len(c.recs[0].errs); n > 3 {
				t.Fatalf("the hub reported %d errors for one flood, want at most 3", n)
			}
			if s := hub.Stats(); s.ControlDropped == 0 || s.Misbehaving != 1 {
				t.Fatalf("hub stats %+v: want dropped control frames and 1 peer cut", s)
			}
			// The same announced address is refused while its penalty runs.
			back := dialRaw(t, transport.TCP{}, hub.Addr())
			back.send("HELLO 1 00000000000000f2 flooder 127.0.0.1:9")
			back.expect("ERR " + ErrPenalized.Error())
			_, err := c.nodes[1].Connect(context.Background(), hub.Addr())
			if !errors.Is(err, ErrAlreadyConnected) {
				t.Fatalf("an honest node is still welcome (already connected here): %v", err)
			}
		})
	}
}
