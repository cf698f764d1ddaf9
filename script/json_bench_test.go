package script

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/p2p-chat/p2p/node"
)

// messageLine is the message line as a tagged struct: what
// appendMessageJSON would be with encoding/json (TestMessageLineIsEncodingJSON).
type messageLine struct {
	ID     string `json:"id"`
	Origin string `json:"origin"`
	From   string `json:"from"`
	Hops   int    `json:"hops"`
	Text   string `json:"text"`
	// Unverified is set only for an unsigned message.
	Unverified bool `json:"unverified,omitempty"`
	// Catchup and Time are set only for a message that came by catch-up.
	Catchup bool   `json:"catchup,omitempty"`
	Time    string `json:"time,omitempty"`
}

// toMessageLine is m as a messageLine.
func toMessageLine(m node.Message) messageLine {
	l := messageLine{ID: m.ID, Origin: m.Origin, From: m.From, Hops: m.Hops, Text: m.Text, Unverified: m.Unverified, Catchup: m.Catchup}
	if m.Catchup {
		l.Time = jsonTime(m.Time)
	}
	return l
}

// The hand-built message line against encoding/json, for the choice
// written on appendMessageJSON: a json.Encoder reused (its best case) and
// appendJSONLine, as the other lines are printed.
func BenchmarkMessageLineJSON(b *testing.B) {
	m := node.Message{ID: "3f2a9c0d1e2b4a5c-12345", Origin: "alice", From: "bob", Hops: 2, Text: strings.Repeat("x", 100)}
	b.Run("hand-built", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = appendMessageJSON(buf[:0], m)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		type message struct {
			Event string `json:"event"`
			messageLine
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			enc.Encode(message{"message", toMessageLine(m)})
		}
	})
	b.Run("appendJSONLine", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = appendJSONLine(buf[:0], "message", toMessageLine(m))
		}
	})
}
