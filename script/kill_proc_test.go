package script

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSIGKILLKeepsTheStore: b runs with -data and is killed with SIGKILL
// at random moments while a sends a stream of messages; each time it comes
// back on the same directory and catches up. Across all its lives no
// message is delivered twice, every message any life printed is in the
// store (the last life's history), and in the end b has every message.
// P2P_KILLS sets the number of kills (default 10).
func TestSIGKILLKeepsTheStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	kills := 10
	if v, err := strconv.Atoi(os.Getenv("P2P_KILLS")); err == nil && v > 0 {
		kills = v
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "b-data")
	const total = 3000
	a := startNode(t, bin, dir, "a")
	aDone := a.drainUntilEcho() // a has sent everything, "final" last
	rng := rand.New(rand.NewPCG(1, 2))
	printed := map[string]int{} // message id -> the life that printed it
	notified := 0               // messages a start said may not have been shown
	life := func(n int, last bool) (ids []string, history []string) {
		pr, pw := io.Pipe()
		cmd, out, _ := startP2P(t, bin, dir, "b", pr, "-ephemeral", "-data", data)
		defer func() { pr.CloseWithError(io.ErrClosedPipe); pw.Close() }()
		dec := json.NewDecoder(out)
		if last {
			// Once a has answered b's summary, the store is complete.
			fmt.Fprintf(pw, "connect %s\nwait -t 1m synced\nhistory\n", a.addr)
		} else {
			fmt.Fprintf(pw, "connect %s\n", a.addr)
			go func() {
				time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond) // the moment of the kill is the subject
				cmd.Process.Kill()
			}()
		}
		for {
			var ev map[string]any
			if dec.Decode(&ev) != nil {
				break
			}
			switch ev["event"] {
			case "message":
				ids = append(ids, ev["id"].(string))
			case "error":
				var k int
				if _, err := fmt.Sscanf(fmt.Sprint(ev["error"]), "store "+data+": the last %d messages", &k); err == nil {
					notified += k
				} else if last {
					t.Fatalf("last life: %v", ev["error"])
				}
			case "history":
				for _, m := range ev["messages"].([]any) {
					history = append(history, m.(map[string]any)["id"].(string))
				}
				return ids, history
			}
		}
		pw.Close() // the stdin copier ends, so Wait returns
		cmd.Wait()
		return ids, nil
	}
	go func() {
		for k := range total {
			a.do("send away %d", k)
			if k%100 == 0 {
				time.Sleep(5 * time.Millisecond) // a stream, not one burst: the kills land during it
			}
		}
		a.do("send final\necho sent")
	}()
	for n := range kills + 1 {
		if n == kills {
			<-aDone
		}
		ids, history := life(n, n == kills)
		for _, id := range ids {
			if before, ok := printed[id]; ok {
				t.Fatalf("message %s delivered in life %d and again in life %d", id, before, n)
			}
			printed[id] = n
		}
		if n == kills {
			stored := map[string]bool{}
			for _, id := range history {
				stored[id] = true
			}
			for id, l := range printed {
				if !stored[id] {
					t.Fatalf("message %s, delivered in life %d, is not in the store", id, l)
				}
			}
			if len(stored) != total+1 {
				t.Fatalf("the store has %d messages, want all %d", len(stored), total+1)
			}
			// Nothing silently lost: what was stored but never printed, a
			// start said may not have been shown.
			if unprinted := total + 1 - len(printed); unprinted > notified {
				t.Fatalf("%d stored messages were never printed, and the starts told of %d", unprinted, notified)
			}
			t.Logf("%d kills: %d messages printed over %d lives, each once; all %d in the store; the starts told of %d that may not have been shown", kills, len(printed), kills+1, total+1, notified)
		}
	}
}

// TestSIGKILLedRelayComesBack: in a chain a-b-c, the relay b (with -data)
// is killed with SIGKILL in the middle of a stream from a, and started
// again on its directory; it links to a and c again. c gets every message
// exactly once (what it missed by catch-up through b), and b delivers
// none twice across its two lives. (It found a race: a message b kept in
// its history between the new link's handshake and its joining the
// fan-out went to c neither live nor by catch-up.)
func TestSIGKILLedRelayComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "b-data")
	const total = 2000
	a := startNode(t, bin, dir, "a")
	c := startNode(t, bin, dir, "c")
	aDone := a.drainUntilEcho()
	bLife := func() (*procNode, func()) {
		pr, pw := io.Pipe()
		cmd, out, addr := startP2P(t, bin, dir, "b", pr, "-ephemeral", "-data", data)
		b := &procNode{t: t, name: "b", in: pw, out: json.NewDecoder(out), addr: addr}
		kill := func() { cmd.Process.Kill(); pw.Close(); cmd.Wait() }
		t.Cleanup(func() { pr.CloseWithError(io.ErrClosedPipe); pw.Close() })
		return b, kill
	}
	bIDs := map[string]int{}
	notified := 0 // messages b's second start said may not have been shown
	collect := func(b *procNode, life int, until string) {
		for {
			var ev map[string]any
			if b.out.Decode(&ev) != nil {
				return
			}
			var k int
			if _, err := fmt.Sscanf(fmt.Sprint(ev["error"]), "store "+data+": the last %d messages", &k); err == nil {
				notified += k
			}
			if ev["event"] == "message" {
				id := ev["id"].(string)
				if l, ok := bIDs[id]; ok {
					t.Errorf("b delivered %s in life %d and again in life %d", id, l, life)
				}
				bIDs[id] = life
			}
			if until != "" && ev["event"] == until {
				return
			}
		}
	}
	b, kill := bLife()
	b.do("connect %s\nconnect %s\necho linked", a.addr, c.addr)
	collect(b, 0, "echo")
	go func() {
		for k := range total {
			a.do("send s %d", k)
		}
		a.do("echo sent")
	}()
	// Kill b mid-stream: once it has relayed some.
	for got := 0; got < total/4; {
		var ev map[string]any
		if b.out.Decode(&ev) != nil {
			t.Fatal("b's output ended")
		}
		if ev["event"] == "message" {
			bIDs[ev["id"].(string)] = 0
			got++
		}
	}
	kill()
	<-aDone
	b2, _ := bLife()
	b2.do("connect %s\nconnect %s\nwait -t 1m synced\necho synced", a.addr, c.addr)
	collect(b2, 1, "echo")
	c.do("wait -t 1m messages %d\necho all", total)
	c.next("echo")
	// b printed each message at most once (collect checks); what it
	// stored but died before printing, its second start told of
	// (TestSIGKILLKeepsTheStore counts those).
	t.Logf("c got all %d once; b printed %d, told of %d it may not have shown", total, len(bIDs), notified)
}
