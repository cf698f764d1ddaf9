package node

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/p2p-chat/p2p/node/transport"
)

// TestNetcatTranscript replays testdata/netcat.txt, the session shown in
// docs/protocol.md, against a real node over loopback TCP, and checks that
// the docs show the transcript as it is.
func TestNetcatTranscript(t *testing.T) {
	script, err := os.ReadFile("testdata/netcat.txt")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), string(script)) {
		t.Error("docs/protocol.md does not contain testdata/netcat.txt verbatim")
	}

	tr := transport.TCP{}
	c := newCluster(t, tr, 1, func(cfg *Config) { cfg.Name = "alice"; cfg.AllowUnsigned = true })
	alice := c.nodes[0]
	raw := dialRaw(t, tr, alice.Addr())
	// A nonce is fresh each time; alice numbers her messages from the time
	// she started.
	nonce := regexp.MustCompile(`nonce=[A-Za-z0-9_-]{22}$`)
	seq := ""
	sc := bufio.NewScanner(strings.NewReader(string(script)))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case text == "" || strings.HasPrefix(text, "#"):
		case strings.HasPrefix(text, "> "):
			raw.send(text[2:])
		case strings.HasPrefix(text, "< "):
			want := strings.NewReplacer("{ID}", alice.ID(), "{ADDR}", alice.Addr(), "{KEY}", alice.key.PublicText(), "{SEQ}", seq).Replace(text[2:])
			got, err := raw.readLine()
			got = nonce.ReplaceAllString(got, "nonce={NONCE}")
			if err != nil || got != want {
				t.Fatalf("netcat.txt:%d: read %q (%v), want %q", line, got, err, want)
			}
		case strings.HasPrefix(text, "! send "):
			sent, err := alice.Send(text[len("! send "):])
			if err != nil {
				t.Fatalf("netcat.txt:%d: %v", line, err)
			}
			seq = sent.ID[strings.IndexByte(sent.ID, '-')+1:]
		default:
			t.Fatalf("netcat.txt:%d: cannot replay %q", line, text)
		}
	}
	if got, err := raw.readLine(); err == nil {
		t.Fatalf("after the protocol error the node sent %q instead of hanging up", got)
	}
	c.recs[0].waitDown(t, "hop count")
	msgs := c.recs[0].messages()
	if len(msgs) != 1 || msgs[0].Text != "hello from netcat" || msgs[0].From != "bob" || !msgs[0].Unverified {
		t.Fatalf("alice delivered %+v, want the one message from bob, unverified", msgs)
	}
	if s := alice.Stats(); s.Duplicates != 1 || s.ProtocolErrors != 1 {
		t.Fatalf("alice stats %+v, want 1 duplicate and 1 protocol error", s)
	}
}
