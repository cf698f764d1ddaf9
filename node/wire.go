package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ProtocolVersion is the highest wire protocol version this package speaks.
// MinProtocolVersion is the lowest it accepts. See docs/protocol.md.
const (
	ProtocolVersion    = 1
	MinProtocolVersion = 1
)

// Frame type words, the first word of every line on the wire.
const (
	frameHello = "HELLO"
	frameMsg   = "MSG"
	frameErr   = "ERR"
	frameBye   = "BYE"
	framePing  = "PING"
	frameAsk   = "GETPEERS"
	framePeers = "PEERS"
)

// Wire limits that do not depend on Config.
const (
	maxTokenLen  = 64    // node ids, message ids, names
	maxAddrLen   = 255   // listen addresses
	maxWireHops  = 65535 // a hop count above this is malformed
	maxReasonLen = 1024  // ERR and BYE reasons we send are cut to this
	maxPeerAddrs = 32    // addresses in one PEERS frame
	minMaxLine   = 512   // the least line limit a node may have
)

// kind is the type of a decoded frame.
type kind uint8

const (
	kindHello kind = iota + 1
	kindMsg
	kindErr
	kindBye
	kindPing
	kindGetPeers
	kindPeers
	kindUnknown
)

// frame is one decoded line. Its byte slices point into the decoder's buffer
// and are valid only until the next call to decoder.next.
type frame struct {
	kind kind
	word []byte // the type word as received (for unknown frames)

	// HELLO
	maxLine int // the sender's line limit, 0 if it did not say
	version int
	nodeID  []byte
	name    []byte
	listen  []byte

	// MSG
	id     []byte
	hops   int
	origin []byte
	text   []byte

	// ERR, BYE
	reason []byte

	// PEERS
	addrs [][]byte
}

// ProtocolError is a frame that could not be decoded. The connection that
// sent it is answered with an ERR frame and closed.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Reason }

func protoErr(format string, args ...any) error {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...)}
}

// errLineTooLong is returned (wrapped in a ProtocolError) for a line longer
// than the decoder's limit. The rest of the line is never buffered.
var errLineTooLong = errors.New("line too long")

// decoder reads frames from one connection. There is exactly one per
// connection; it owns the bufio.Reader so no bytes are lost between frames.
type decoder struct {
	r    *bufio.Reader
	max  int    // longest accepted line, without the '\n'
	long []byte // reused for lines longer than the bufio buffer
	f    frame
}

func newDecoder(r io.Reader, bufSize, maxLine int) *decoder {
	return &decoder{r: bufio.NewReaderSize(r, bufSize), max: maxLine}
}

// readLine returns the next line without its '\n' (and without a trailing
// '\r'). The slice is valid until the next call.
func (d *decoder) readLine() ([]byte, error) {
	line, err := d.r.ReadSlice('\n')
	if err == nil {
		if len(line)-1 > d.max {
			return nil, &ProtocolError{Reason: fmt.Sprintf("%v: longer than %d bytes", errLineTooLong, d.max)}
		}
		return trimEOL(line), nil
	}
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// The line is longer than the buffer: collect it, up to the limit.
	d.long = append(d.long[:0], line...)
	for {
		if len(d.long) > d.max {
			return nil, &ProtocolError{Reason: fmt.Sprintf("%v: longer than %d bytes", errLineTooLong, d.max)}
		}
		line, err = d.r.ReadSlice('\n')
		d.long = append(d.long, line...)
		switch err {
		case nil:
			if len(d.long)-1 > d.max {
				return nil, &ProtocolError{Reason: fmt.Sprintf("%v: longer than %d bytes", errLineTooLong, d.max)}
			}
			out := trimEOL(d.long)
			if cap(d.long) > 4*d.r.Size() && cap(d.long) > 64<<10 {
				d.long = nil // do not keep a huge buffer for one long line
			}
			return out, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func trimEOL(line []byte) []byte {
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// next reads and decodes one frame. A *ProtocolError means the line was read
// but is not a valid frame; any other error is from the connection.
func (d *decoder) next() (*frame, int, error) {
	line, err := d.readLine()
	if err != nil {
		return nil, 0, err
	}
	n := len(line) + 1
	if err := parseFrame(line, &d.f); err != nil {
		return nil, n, err
	}
	return &d.f, n, nil
}

// parseFrame decodes one line (without its newline) into f.
func parseFrame(line []byte, f *frame) error {
	*f = frame{}
	if len(line) == 0 {
		return protoErr("empty line")
	}
	if !utf8.Valid(line) {
		return protoErr("line is not valid UTF-8")
	}
	word, rest, _ := bytes.Cut(line, []byte{' '})
	f.word = word
	switch string(word) {
	case frameMsg:
		f.kind = kindMsg
		return parseMsg(rest, f)
	case frameHello:
		f.kind = kindHello
		return parseHello(rest, f)
	case frameErr:
		f.kind = kindErr
		f.reason = rest
		return checkText("reason", rest)
	case frameBye:
		f.kind = kindBye
		f.reason = rest
		return checkText("reason", rest)
	case framePing:
		f.kind = kindPing // anything after the word is ignored
		return nil
	case frameAsk:
		f.kind = kindGetPeers
		return nil
	case framePeers:
		f.kind = kindPeers
		return parsePeers(rest, f)
	default:
		f.kind = kindUnknown
		if !isFrameWord(word) {
			return protoErr("frame type %q is not an upper-case word (this node knows HELLO MSG ERR BYE PING GETPEERS PEERS)", truncate(word, maxTokenLen))
		}
		return nil
	}
}

// parseMsg decodes "id hops origin text".
func parseMsg(rest []byte, f *frame) error {
	id, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return protoErr("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	hops, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return protoErr("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	origin, text, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return protoErr("MSG needs: MSG ID HOPS ORIGIN TEXT")
	}
	if _, _, ok := parseID(id); !ok {
		return protoErr("message id %q is not NODE-ID-SEQ (16 hex digits, a dash, a number from 1)", truncate(id, maxTokenLen))
	}
	h, err := parseHops(hops)
	if err != nil {
		return err
	}
	if err := checkToken("origin", origin); err != nil {
		return err
	}
	if len(text) == 0 {
		return protoErr("MSG text is empty")
	}
	if err := checkText("text", text); err != nil {
		return err
	}
	f.id, f.hops, f.origin, f.text = id, h, origin, text
	return nil
}

// parseHello decodes "version node-id name listen-addr [more fields]".
// Fields after the fourth are ignored, so later versions can add some.
func parseHello(rest []byte, f *frame) error {
	fields := bytes.Fields(rest)
	if len(fields) < 4 {
		return protoErr("HELLO needs: HELLO VERSION NODE-ID NAME LISTEN-ADDR")
	}
	v, err := strconv.Atoi(string(fields[0]))
	if err != nil || v < 0 || v > 1<<20 {
		return protoErr("HELLO version %q is not a number", truncate(fields[0], 16))
	}
	if !isNodeID(fields[1]) {
		return protoErr("HELLO node id %q is not 16 hex digits (0-9 a-f)", truncate(fields[1], maxTokenLen))
	}
	if err := checkToken("name", fields[2]); err != nil {
		return err
	}
	if string(fields[3]) != "-" {
		if err := checkAddr(fields[3]); err != nil {
			return protoErr("HELLO listen address: %s", err.(*ProtocolError).Reason)
		}
	}
	f.version, f.nodeID, f.name, f.listen = v, fields[1], fields[2], fields[3]
	f.maxLine = 0
	for _, opt := range fields[4:] { // later fields are options; unknown ones are ignored
		if val, ok := bytes.CutPrefix(opt, []byte("max-line=")); ok {
			n, err := strconv.Atoi(string(val))
			if err != nil || n < minMaxLine || n > 1<<30 {
				return protoErr("HELLO max-line %q is not a number from %d to %d", truncate(val, 16), minMaxLine, 1<<30)
			}
			f.maxLine = n
		}
	}
	return nil
}

// parsePeers decodes "addr addr ...": 0 to 32 listen addresses, each
// HOST:PORT.
func parsePeers(rest []byte, f *frame) error {
	f.addrs = f.addrs[:0]
	for _, a := range bytes.Fields(rest) {
		if len(f.addrs) == maxPeerAddrs {
			return protoErr("PEERS has more than %d addresses", maxPeerAddrs)
		}
		if err := checkAddr(a); err != nil {
			return err
		}
		f.addrs = append(f.addrs, a)
	}
	return nil
}

// checkAddr accepts HOST:PORT of at most maxAddrLen printable ASCII bytes.
func checkAddr(a []byte) error {
	if len(a) > maxAddrLen {
		return protoErr("address is longer than %d bytes", maxAddrLen)
	}
	for _, c := range a {
		if c <= ' ' || c >= 0x7f {
			return protoErr("address %q has a byte that is not printable ASCII", truncate(a, 64))
		}
	}
	if _, port, err := net.SplitHostPort(string(a)); err != nil || port == "" {
		return protoErr("address %q is not HOST:PORT", truncate(a, 64))
	}
	return nil
}

func parseHops(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 5 {
		return 0, protoErr("hop count %q is not a number from 0 to %d", truncate(b, 16), maxWireHops)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, protoErr("hop count %q is not a number from 0 to %d", truncate(b, 16), maxWireHops)
		}
		n = n*10 + int(c-'0')
	}
	if n > maxWireHops {
		return 0, protoErr("hop count %d is more than %d", n, maxWireHops)
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
		return protoErr("%s is empty", what)
	}
	if len(b) > maxTokenLen {
		return protoErr("%s is longer than %d bytes", what, maxTokenLen)
	}
	if !isToken(b) {
		return protoErr("%s %q has a character other than A-Z a-z 0-9 . _ -", what, truncate(b, maxTokenLen))
	}
	return nil
}

// checkText refuses control characters other than TAB, so a peer cannot
// move the user's cursor or clear the screen. UTF-8 validity is checked on
// the whole line before.
func checkText(what string, b []byte) error {
	for i, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return protoErr("%s has control character 0x%02x at byte %d", what, c, i)
		}
	}
	return nil
}

// ValidateName reports whether s can be a node name: 1 to 64 of A-Z a-z 0-9
// . _ -.
func ValidateName(s string) error {
	if err := checkToken("name", []byte(s)); err != nil {
		return errors.New(err.(*ProtocolError).Reason)
	}
	return nil
}

// ValidateText reports whether s can be sent as a message text: not empty,
// valid UTF-8, no control characters but TAB, and at most max bytes.
func ValidateText(s string, max int) error {
	if s == "" {
		return ErrEmptyText
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: not valid UTF-8", ErrBadText)
	}
	if len(s) > max {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadText, len(s), max)
	}
	if err := checkText("text", []byte(s)); err != nil {
		return fmt.Errorf("%w: %s", ErrBadText, err.(*ProtocolError).Reason)
	}
	return nil
}

// isNodeID reports whether b is a node id: 16 lower-case hex digits.
func isNodeID(b []byte) bool {
	if len(b) != 16 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// encodeMsg returns the MSG line for a message, with its newline, as one
// allocation. The string is shared by every peer queue it is put on.
func encodeMsg(id string, hops int, origin, text []byte) string {
	var sb strings.Builder
	sb.Grow(len(frameMsg) + len(id) + len(origin) + len(text) + 12)
	sb.WriteString(frameMsg)
	sb.WriteByte(' ')
	sb.WriteString(id)
	sb.WriteByte(' ')
	var num [8]byte
	sb.Write(strconv.AppendInt(num[:0], int64(hops), 10))
	sb.WriteByte(' ')
	sb.Write(origin)
	sb.WriteByte(' ')
	sb.Write(text)
	sb.WriteByte('\n')
	return sb.String()
}

func encodeHello(version int, nodeID, name, listen string, maxLine int) string {
	if listen == "" {
		listen = "-"
	}
	return fmt.Sprintf("%s %d %s %s %s max-line=%d\n", frameHello, version, nodeID, name, listen, maxLine)
}

const (
	pingLine     = framePing + "\n"
	getPeersLine = frameAsk + "\n"
)

// encodePeers lists up to maxPeerAddrs addresses.
func encodePeers(addrs []string) string {
	if len(addrs) > maxPeerAddrs {
		addrs = addrs[:maxPeerAddrs]
	}
	if len(addrs) == 0 {
		return framePeers + "\n"
	}
	return framePeers + " " + strings.Join(addrs, " ") + "\n"
}

func encodeErr(reason string) string { return frameErr + " " + cleanReason(reason) + "\n" }

func encodeBye(reason string) string { return frameBye + " " + cleanReason(reason) + "\n" }

// cleanReason makes a reason safe for one line: control characters become
// spaces and it is cut to maxReasonLen bytes.
func cleanReason(s string) string {
	if len(s) > maxReasonLen {
		s = s[:maxReasonLen]
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
