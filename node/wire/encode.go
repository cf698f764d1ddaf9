package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// EncodeMsg returns the MSG line for a message, with its newline, as one
// allocation. The string is shared by every peer queue it is put on.
func EncodeMsg(id string, hops int, origin, text []byte) string {
	return encodeMsg(id, nil, hops, origin, text)
}

// EncodeMsgOf is EncodeMsg with the id as bytes (a relayed frame's).
func EncodeMsgOf(id []byte, hops int, origin, text []byte) string {
	return encodeMsg("", id, hops, origin, text)
}

// encodeMsg writes idString, or idBytes when it is empty.
func encodeMsg(idString string, idBytes []byte, hops int, origin, text []byte) string {
	var sb strings.Builder
	sb.Grow(len(frameMsg) + len(idString) + len(idBytes) + len(origin) + len(text) + 12)
	sb.WriteString(frameMsg)
	sb.WriteByte(' ')
	sb.WriteString(idString)
	sb.Write(idBytes)
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

// EncodeHello returns a HELLO line. key and nonce (wire forms) are given
// by a node that speaks protocol 2, and empty for protocol 1; opts are
// more options ("mode=tree").
func EncodeHello(version int, nodeID, name, listen string, maxLine int, key, nonce string, opts ...string) string {
	if listen == "" {
		listen = "-"
	}
	line := fmt.Sprintf("%s %d %s %s %s max-line=%d", frameHello, version, nodeID, name, listen, maxLine)
	if key != "" {
		line += " key=" + key + " nonce=" + nonce
	}
	for _, o := range opts {
		line += " " + o
	}
	return line + "\n"
}

// EncodeAuth returns the AUTH line of a handshake proof (its wire form).
func EncodeAuth(sig string) string { return frameAuth + " " + sig + "\n" }

// SignedPart returns the bytes an origin signs: "KEY SEQ TIME NAME TEXT",
// which is also the tail of its SMSG line, so a receiver verifies the
// bytes it received without building them again.
func SignedPart(key string, seq uint64, unixMilli int64, name, text string) []byte {
	b := make([]byte, 0, len(key)+len(name)+len(text)+44)
	b = append(b, key...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, unixMilli, 10)
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, ' ')
	return append(b, text...)
}

// EncodeSignedMsg returns the SMSG line of a signed message: hops, the
// signature (wire form) and the signed part.
func EncodeSignedMsg(hops int, sig string, signed []byte) string {
	var sb strings.Builder
	sb.Grow(len(frameSMsg) + len(sig) + len(signed) + 10)
	sb.WriteString(frameSMsg)
	sb.WriteByte(' ')
	var num [8]byte
	sb.Write(strconv.AppendInt(num[:0], int64(hops), 10))
	sb.WriteByte(' ')
	sb.WriteString(sig)
	sb.WriteByte(' ')
	sb.Write(signed)
	sb.WriteByte('\n')
	return sb.String()
}

const (
	PingLine     = framePing + "\n"
	GetPeersLine = frameAsk + "\n"
)

// EncodePeers lists up to MaxPeerAddrs addresses.
func EncodePeers(addrs []string) string {
	if len(addrs) > MaxPeerAddrs {
		addrs = addrs[:MaxPeerAddrs]
	}
	if len(addrs) == 0 {
		return framePeers + "\n"
	}
	return framePeers + " " + strings.Join(addrs, " ") + "\n"
}

func EncodeErr(reason string) string { return frameErr + " " + cleanReason(reason) + "\n" }

func EncodeBye(reason string) string { return frameBye + " " + cleanReason(reason) + "\n" }

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
