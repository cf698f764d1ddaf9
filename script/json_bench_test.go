package script

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The message line built by jsonObj against encoding/json with a tagged
// struct, for the choice written in json.go.
func BenchmarkMessageLineJSON(b *testing.B) {
	text := strings.Repeat("x", 100)
	b.Run("jsonObj", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			j := jsonObj{b: buf[:0]}
			j.begin("message")
			j.str("id", "3f2a9c0d1e2b4a5c-12345")
			j.str("origin", "alice")
			j.str("from", "bob")
			j.int("hops", 2)
			j.str("text", text)
			j.end()
			buf = j.b
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		type message struct {
			Event  string `json:"event"`
			ID     string `json:"id"`
			Origin string `json:"origin"`
			From   string `json:"from"`
			Hops   int    `json:"hops"`
			Text   string `json:"text"`
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			enc.Encode(message{"message", "3f2a9c0d1e2b4a5c-12345", "alice", "bob", 2, text})
		}
	})
}
