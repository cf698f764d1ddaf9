package wire

import (
	"slices"
	"strings"
	"testing"
)

// TestTreeFramesRoundTrip: what EncodeIHave, EncodeGraft and EncodePrune
// write parses back to the same references.
func TestTreeFramesRoundTrip(t *testing.T) {
	for _, c := range []struct {
		encode func([]Ref) string
		kind   Kind
		refs   []Ref
	}{
		{EncodeIHave, KindIHave, []Ref{{Node: 0xab, Seq: 1, Hops: 3}, {Node: 1<<64 - 1, Seq: 1<<63 - 1, Hops: MaxHops}}},
		{EncodeGraft, KindGraft, []Ref{{Node: 0xab, Seq: 7, Hops: -1}, {Node: 0xcd, Hops: -1}}},
		{EncodePrune, KindPrune, []Ref{{Node: 0xab, Hops: -1}}},
	} {
		line := c.encode(c.refs)
		var f Frame
		if err := parseFrame([]byte(strings.TrimSuffix(line, "\n")), &f); err != nil || f.Kind != c.kind {
			t.Fatalf("%q: kind %v, %v", line, f.Kind, err)
		}
		var got []Ref
		EachRef(f.Refs, func(r Ref) { got = append(got, r) })
		if !slices.Equal(got, c.refs) {
			t.Fatalf("%q parsed back to %+v, want %+v", line, got, c.refs)
		}
	}
	if got := EncodeIHave([]Ref{{Node: 0xab, Seq: 2, Hops: 4}}); got != "IHAVE 00000000000000ab-2@4\n" {
		t.Fatalf("IHAVE line %q", got)
	}
}

// TestTreeFramesMalformed: each kind refuses the references it does not
// take, and lists are bounded.
func TestTreeFramesMalformed(t *testing.T) {
	const id = "00000000000000ab"
	for _, c := range []struct{ line, want string }{
		{"IHAVE", "at least one"},
		{"IHAVE " + id + "-1", "NODE-ID-SEQ@HOPS"},
		{"IHAVE " + id + "@1", "NODE-ID-SEQ@HOPS"},
		{"IHAVE " + id + "-1@x", "not NODE-ID-SEQ@HOPS, NODE-ID-SEQ or NODE-ID"},
		{"IHAVE " + id + "-1@70000", "not NODE-ID-SEQ@HOPS"},
		{"IHAVE " + id + "-1@1  " + id + "-2@1", "reference \"\""},
		{"GRAFT " + id + "-1@2", "GRAFT reference"},
		{"GRAFT 00000000000000AB", "not NODE-ID-SEQ@HOPS"},
		{"PRUNE " + id + "-1", "PRUNE reference"},
		{"PRUNE", "at least one"},
		{"PRUNE" + strings.Repeat(" "+id, MaxRefs+1), "more than 64"},
	} {
		var f Frame
		err := parseFrame([]byte(c.line), &f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.line, err, c.want)
		}
	}
	var f Frame
	if err := parseFrame([]byte("HELLO 2 "+id+" bob - mode=tree"), &f); err != nil || string(f.Mode) != "tree" {
		t.Fatalf("HELLO mode=tree: mode %q, %v", f.Mode, err)
	}
}
