package wire

import (
	"bytes"
	"strconv"
	"strings"
)

// The tree mode's frames (docs/protocol.md, "Tree mode"). Each carries a
// list of references, one to MaxRefs, separated by spaces:
//
//	IHAVE NODE-ID-SEQ@HOPS ...   messages the sender has, and the hops its copy would have
//	GRAFT NODE-ID-SEQ ...        be an eager link for these messages' origins, and send them
//	GRAFT NODE-ID ...            be an eager link for this origin (no message asked for)
//	PRUNE NODE-ID ...            be a lazy link for these origins
const (
	frameIHave = "IHAVE"
	frameGraft = "GRAFT"
	framePrune = "PRUNE"
	// MaxRefs is the most references in one IHAVE, GRAFT or PRUNE frame.
	MaxRefs = 64
)

// Ref is one reference of a tree frame: an origin node id, a sequence
// number (0 for none) and a hop count (IHAVE only).
type Ref struct {
	Node uint64
	Seq  uint64
	Hops int
}

// parseRefs checks a tree frame's list of references (what each kind
// allows) and keeps it, raw, in f.Refs; EachRef decodes it.
func parseRefs(word string, rest []byte, f *Frame) error {
	if len(rest) == 0 {
		return Errorf("%s needs at least one reference", word)
	}
	n := 0
	for tok := range bytes.SplitSeq(rest, []byte{' '}) {
		if n++; n > MaxRefs {
			return Errorf("%s has more than %d references", word, MaxRefs)
		}
		r, ok := parseRef(tok)
		switch {
		case !ok:
			return Errorf("%s reference %q is not NODE-ID-SEQ@HOPS, NODE-ID-SEQ or NODE-ID", word, truncate(tok, maxTokenLen))
		case word == frameIHave && (r.Seq == 0 || r.Hops < 0):
			return Errorf("IHAVE reference %q is not NODE-ID-SEQ@HOPS", truncate(tok, maxTokenLen))
		case word == frameGraft && r.Hops >= 0:
			return Errorf("GRAFT reference %q is not NODE-ID-SEQ or NODE-ID", truncate(tok, maxTokenLen))
		case word == framePrune && (r.Seq != 0 || r.Hops >= 0):
			return Errorf("PRUNE reference %q is not a NODE-ID", truncate(tok, maxTokenLen))
		case word == frameSummary && r.Hops >= 0:
			return Errorf("SUMMARY reference %q is not NODE-ID-SEQ or NODE-ID", truncate(tok, maxTokenLen))
		}
	}
	f.Refs = rest
	return nil
}

// parseRef decodes NODE-ID[-SEQ][@HOPS]; Hops is -1 when absent.
func parseRef(tok []byte) (Ref, bool) {
	r := Ref{Hops: -1}
	if at := bytes.IndexByte(tok, '@'); at >= 0 {
		h, err := parseHops(tok[at+1:])
		if err != nil {
			return r, false
		}
		r.Hops, tok = h, tok[:at]
	}
	if len(tok) == 16 {
		if !IsNodeID(tok) {
			return r, false
		}
		v, _ := strconv.ParseUint(string(tok), 16, 64)
		r.Node = v
		return r, true
	}
	node, seq, ok := ParseID(tok)
	r.Node, r.Seq = node, seq
	return r, ok
}

// EachRef calls fn with each reference of a checked tree frame (f.Refs).
func EachRef(refs []byte, fn func(Ref)) {
	for tok := range bytes.SplitSeq(refs, []byte{' '}) {
		if r, ok := parseRef(tok); ok {
			fn(r)
		}
	}
}

// EncodeIHave, EncodeGraft and EncodePrune return a tree frame with the
// given references (at most MaxRefs; the caller splits longer lists).
func EncodeIHave(refs []Ref) string { return encodeRefs(frameIHave, refs) }
func EncodeGraft(refs []Ref) string { return encodeRefs(frameGraft, refs) }
func EncodePrune(refs []Ref) string { return encodeRefs(framePrune, refs) }

func encodeRefs(word string, refs []Ref) string {
	var sb strings.Builder
	sb.Grow(len(word) + len(refs)*32 + 1)
	sb.WriteString(word)
	var buf [40]byte
	for _, r := range refs {
		sb.WriteByte(' ')
		b := strconv.AppendUint(buf[:0], r.Node, 16)
		for range 16 - len(b) {
			sb.WriteByte('0')
		}
		sb.Write(b)
		if r.Seq > 0 {
			sb.WriteByte('-')
			sb.Write(strconv.AppendUint(buf[:0], r.Seq, 10))
		}
		if word == frameIHave { // the only kind with hops
			sb.WriteByte('@')
			sb.Write(strconv.AppendInt(buf[:0], int64(r.Hops), 10))
		}
	}
	sb.WriteByte('\n')
	return sb.String()
}

// NodeIDText is a node id as its 16 hex digits.
func NodeIDText(node uint64) string {
	s := strconv.FormatUint(node, 16)
	return strings.Repeat("0", 16-len(s)) + s
}
