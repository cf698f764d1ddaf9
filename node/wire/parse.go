package wire

import (
	"bytes"
	"math"
	"net"
	"strconv"
	"unicode/utf8"
)

// parseFrame decodes one line (without its newline) into f.
func parseFrame(line []byte, f *Frame) error {
	*f = Frame{}
	if len(line) == 0 {
		return Errorf("empty line")
	}
	if !utf8.Valid(line) {
		return Errorf("line is not valid UTF-8")
	}
	word, rest, _ := bytes.Cut(line, []byte{' '})
	f.Word = word
	switch string(word) {
	case frameMsg:
		f.Kind = KindMsg
		return parseMsg(rest, f)
	case frameHello:
		f.Kind = KindHello
		return parseHello(rest, f)
	case frameErr:
		f.Kind = KindErr
		f.Reason = rest
		return checkControl("reason", rest)
	case frameBye:
		f.Kind = KindBye
		f.Reason = rest
		return checkControl("reason", rest)
	case framePing:
		f.Kind = KindPing // anything after the word is ignored
		return nil
	case frameAsk:
		f.Kind = KindGetPeers
		return nil
	case framePeers:
		f.Kind = KindPeers
		return parsePeers(rest, f)
	case frameSMsg:
		f.Kind = KindSignedMsg
		return parseSignedMsg(rest, f)
	case frameAuth:
		f.Kind = KindAuth
		if !isB64(rest, sigLen) {
			return Errorf("AUTH needs: AUTH SIGNATURE (%d characters of base64url)", sigLen)
		}
		f.Sig = rest
		return nil
	case frameCMsg:
		f.Kind = KindCatchup
		return parseSignedMsg(rest, f)
	case frameSummary:
		f.Kind = KindSummary
		return parseRefs(frameSummary, rest, f)
	case frameSummaryEnd:
		f.Kind = KindSummaryEnd
		return nil
	case frameSynced:
		f.Kind = KindSynced
		return parseSynced(rest, f)
	case frameIHave:
		f.Kind = KindIHave
		return parseRefs(frameIHave, rest, f)
	case frameGraft:
		f.Kind = KindGraft
		return parseRefs(frameGraft, rest, f)
	case framePrune:
		f.Kind = KindPrune
		return parseRefs(framePrune, rest, f)
	default:
		f.Kind = KindUnknown
		if !isFrameWord(word) {
			return Errorf("frame type %q is not an upper-case word (this node knows HELLO AUTH MSG SMSG CMSG ERR BYE PING GETPEERS PEERS IHAVE GRAFT PRUNE SUMMARY SUMMARYEND SYNCED)", truncate(word, maxTokenLen))
		}
		return nil
	}
}

// parseMsg decodes "id hops origin text".
func parseMsg(rest []byte, f *Frame) error {
	id, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return Errorf("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	hops, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return Errorf("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	origin, text, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return Errorf("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	if _, _, ok := ParseID(id); !ok {
		return Errorf("message id %q is not NODE-ID-SEQ (16 hex digits, a dash, a number from 1)", truncate(id, maxTokenLen))
	}
	h, err := parseHops(hops)
	if err != nil {
		return err
	}
	if err := checkToken("origin", origin); err != nil {
		return err
	}
	if len(text) == 0 {
		return Errorf("MSG text is empty")
	}
	if err := checkControl("text", text); err != nil {
		return err
	}
	f.ID, f.Hops, f.Origin, f.Text = id, h, origin, text
	return nil
}

// parseHello decodes "version node-id name listen-addr [more fields]".
// Fields after the fourth are ignored, so later versions can add some.
func parseHello(rest []byte, f *Frame) error {
	fields := bytes.Fields(rest)
	if len(fields) < 4 {
		return Errorf("HELLO needs: HELLO VERSION NODE-ID NAME LISTEN-ADDR")
	}
	v, err := strconv.Atoi(string(fields[0]))
	if err != nil || v < 0 || v > 1<<20 {
		return Errorf("HELLO version %q is not a number", truncate(fields[0], 16))
	}
	if !IsNodeID(fields[1]) {
		return Errorf("HELLO node id %q is not 16 hex digits (0-9 a-f)", truncate(fields[1], maxTokenLen))
	}
	if err := checkToken("name", fields[2]); err != nil {
		return err
	}
	if string(fields[3]) != "-" {
		if err := checkAddr(fields[3]); err != nil {
			return Errorf("HELLO listen address: %s", reasonOf(err))
		}
	}
	f.Version, f.NodeID, f.Name, f.Listen = v, fields[1], fields[2], fields[3]
	f.MaxLine = 0
	for _, opt := range fields[4:] { // later fields are options; unknown ones are ignored
		if val, ok := bytes.CutPrefix(opt, []byte("max-line=")); ok {
			n, err := strconv.Atoi(string(val))
			if err != nil || n < MinMaxLine || n > 1<<30 {
				return Errorf("HELLO max-line %q is not a number from %d to %d", truncate(val, 16), MinMaxLine, 1<<30)
			}
			f.MaxLine = n
		} else if val, ok := bytes.CutPrefix(opt, []byte("key=")); ok {
			if !isB64(val, keyLen) {
				return Errorf("HELLO key is not a public key (%d characters of base64url)", keyLen)
			}
			f.Key = val
		} else if val, ok := bytes.CutPrefix(opt, []byte("nonce=")); ok {
			if !isB64(val, nonceLen) {
				return Errorf("HELLO nonce is not %d characters of base64url", nonceLen)
			}
			f.Nonce = val
		} else if val, ok := bytes.CutPrefix(opt, []byte("mode=")); ok {
			f.Mode = val // an unknown mode is taken for flood
		}
	}
	return nil
}

// parseSignedMsg decodes "hops sig key seq time name text".
func parseSignedMsg(rest []byte, f *Frame) error {
	const usage = "SMSG needs: SMSG HOPS SIGNATURE KEY SEQ TIME NAME TEXT"
	var fields [6][]byte
	for i := range fields {
		var ok bool
		fields[i], rest, ok = bytes.Cut(rest, []byte{' '})
		if !ok {
			return Errorf(usage)
		}
	}
	h, err := parseHops(fields[0])
	if err != nil {
		return err
	}
	if !isB64(fields[1], sigLen) {
		return Errorf("SMSG signature is not %d characters of base64url", sigLen)
	}
	if !isB64(fields[2], keyLen) {
		return Errorf("SMSG key is not a public key (%d characters of base64url)", keyLen)
	}
	seq, ok := parseDecimal(fields[3])
	if !ok || seq == 0 {
		return Errorf("SMSG sequence number %q is not a number from 1 to 2^63-1", truncate(fields[3], 24))
	}
	ts, ok := parseDecimal(fields[4])
	if !ok {
		return Errorf("SMSG time %q is not Unix milliseconds", truncate(fields[4], 24))
	}
	if err := checkToken("origin", fields[5]); err != nil {
		return err
	}
	if len(rest) == 0 {
		return Errorf("SMSG text is empty")
	}
	if err := checkControl("text", rest); err != nil {
		return err
	}
	f.Hops, f.Sig, f.Key, f.Seq, f.Time, f.Origin, f.Text = h, fields[1], fields[2], seq, int64(ts), fields[5], rest
	// The signed part runs from the key to the end of the text.
	f.Signed = fields[2][:len(fields[2])+1+len(fields[3])+1+len(fields[4])+1+len(fields[5])+1+len(rest)]
	return nil
}

// parseDecimal parses 1 to 19 decimal digits without a leading zero (one
// spelling per number, which the signature covers) up to 2^63-1.
func parseDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 || len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= math.MaxInt64
}

// isB64 reports whether b is n characters of the base64url alphabet.
func isB64(b []byte, n int) bool {
	if len(b) != n {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parsePeers decodes "addr addr ...": 0 to 32 listen addresses, each
// HOST:PORT.
func parsePeers(rest []byte, f *Frame) error {
	f.Addrs = f.Addrs[:0]
	for _, a := range bytes.Fields(rest) {
		if len(f.Addrs) == MaxPeerAddrs {
			return Errorf("PEERS has more than %d addresses", MaxPeerAddrs)
		}
		if err := checkAddr(a); err != nil {
			return err
		}
		f.Addrs = append(f.Addrs, a)
	}
	return nil
}

// checkAddr accepts HOST:PORT of at most maxAddrLen printable ASCII bytes.
func checkAddr(a []byte) error {
	if len(a) > maxAddrLen {
		return Errorf("address is longer than %d bytes", maxAddrLen)
	}
	for _, c := range a {
		if c <= ' ' || c >= 0x7f {
			return Errorf("address %q has a byte that is not printable ASCII", truncate(a, 64))
		}
	}
	if _, port, err := net.SplitHostPort(string(a)); err != nil || port == "" {
		return Errorf("address %q is not HOST:PORT", truncate(a, 64))
	}
	return nil
}

func parseHops(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 5 {
		return 0, Errorf("hop count %q is not a number from 0 to %d", truncate(b, 16), MaxHops)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, Errorf("hop count %q is not a number from 0 to %d", truncate(b, 16), MaxHops)
		}
		n = n*10 + int(c-'0')
	}
	if n > MaxHops {
		return 0, Errorf("hop count %d is more than %d", n, MaxHops)
	}
	return n, nil
}

// isFrameWord reports whether b can be a frame type: 1 to 16 of A-Z. An
// unknown frame type of this shape is ignored, so later versions can add
// frames.
func isFrameWord(b []byte) bool {
	if len(b) == 0 || len(b) > 16 {
		return false
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// isToken reports whether b is made only of ASCII letters, digits, '.', '_'
// and '-'. Ids and names are tokens, so they never need quoting.
func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenByte(c) {
			return false
		}
	}
	return len(b) > 0
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

func checkToken(what string, b []byte) error {
	if len(b) == 0 {
		return Errorf("%s is empty", what)
	}
	if len(b) > maxTokenLen {
		return Errorf("%s is longer than %d bytes", what, maxTokenLen)
	}
	if !isToken(b) {
		return Errorf("%s %q has a character other than A-Z a-z 0-9 . _ -", what, truncate(b, maxTokenLen))
	}
	return nil
}

// checkControl refuses control characters other than TAB, so a peer cannot
// move the user's cursor or clear the screen. UTF-8 validity is checked on
// the whole line before.
//
// It looks at eight bytes at a time: a word with no byte below 0x20 and
// none equal to 0x7f (the usual case, text) is passed at once; a word with
// one (a TAB, say) is looked at byte by byte.
func checkControl[T string | []byte](what string, b T) error {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		below := (w - 0x20*ones) &^ w & highs // some byte < 0x20 (exact for bytes < 0x80)
		del := w ^ 0x7f*ones
		isDel := (del - ones) &^ del & highs // some byte == 0x7f
		if below|isDel != 0 {
			if err := checkControlBytes(what, b, i, i+8); err != nil {
				return err
			}
		}
	}
	return checkControlBytes(what, b, i, len(b))
}

// checkControlBytes is checkControl on b[from:to], byte by byte.
func checkControlBytes[T string | []byte](what string, b T, from, to int) error {
	for i := from; i < to; i++ {
		if c := b[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return Errorf("%s has control character 0x%02x at byte %d", what, c, i)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
