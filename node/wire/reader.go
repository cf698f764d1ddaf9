package wire

import (
	"errors"
	"fmt"
	"io"
)

// Reader reads frames from one connection. There is exactly one per
// connection; it owns the connection's buffer (in its LineReader), so no
// bytes are lost between frames.
type Reader struct {
	lines *LineReader
	max   int
	f     Frame
}

// NewReader reads frames of at most maxLine bytes from r through a buffer
// of bufSize bytes.
func NewReader(r io.Reader, bufSize, maxLine int) *Reader {
	return &Reader{lines: NewLineReader(r, bufSize, maxLine), max: maxLine}
}

// Next reads and decodes one frame, and returns it with the bytes it
// took. A *ProtocolError means the line was read but is not a valid frame
// (or is longer than the limit); io.ErrUnexpectedEOF means the connection
// ended in the middle of a line; any other error is from the connection.
func (d *Reader) Next() (*Frame, int, error) {
	line, err := d.lines.ReadLine()
	if errors.Is(err, ErrLineTooLong) {
		return nil, 0, &ProtocolError{Reason: fmt.Sprintf("%v: longer than %d bytes", ErrLineTooLong, d.max)}
	}
	if err != nil {
		return nil, 0, err
	}
	n := len(line) + 1
	if err := parseFrame(line, &d.f); err != nil {
		return nil, n, err
	}
	return &d.f, n, nil
}

// Buffered is the number of bytes read from the connection and not yet
// decoded.
func (d *Reader) Buffered() int { return d.lines.Buffered() }
