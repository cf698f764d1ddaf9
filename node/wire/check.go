package wire

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Errors of ValidateText, for callers to test.
var (
	ErrEmptyText = errors.New("empty message text")
	ErrBadText   = errors.New("bad message text")
)

// ValidateName reports whether s can be a node name: 1 to 64 of A-Z a-z 0-9
// . _ -.
func ValidateName(s string) error {
	if err := checkToken("name", []byte(s)); err != nil {
		return errors.New(reasonOf(err))
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
	if err := checkControl("text", s); err != nil {
		return fmt.Errorf("%w: %s", ErrBadText, reasonOf(err))
	}
	return nil
}

// IsNodeID reports whether b is a node id: 16 lower-case hex digits.
func IsNodeID(b []byte) bool {
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

// ParseID splits a message id NODE-ID-SEQ (16 lower-case hex digits, a
// dash, a decimal number from 1 to 2^63-1 without leading zeros).
func ParseID(id []byte) (node, seq uint64, ok bool) {
	if len(id) < 18 || len(id) > 16+1+19 || id[16] != '-' || !IsNodeID(id[:16]) {
		return 0, 0, false
	}
	for _, c := range id[:16] {
		v := c - '0'
		if c >= 'a' {
			v = c - 'a' + 10
		}
		node = node<<4 | uint64(v)
	}
	digits := id[17:]
	if digits[0] == '0' {
		return 0, 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		if seq > (math.MaxInt64-uint64(c-'0'))/10 {
			return 0, 0, false
		}
		seq = seq*10 + uint64(c-'0')
	}
	return node, seq, true
}
