package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// EncodeMsg returns the MSG line for a message, with its newline, as one
// allocation. The string is shared by every peer queue it is put on.
func EncodeMsg(id string, hops int, origin, text []byte) string {
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

func EncodeHello(version int, nodeID, name, listen string, maxLine int) string {
	if listen == "" {
		listen = "-"
	}
	return fmt.Sprintf("%s %d %s %s %s max-line=%d\n", frameHello, version, nodeID, name, listen, maxLine)
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
