package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// errLineTooLong is returned (wrapped in a ProtocolError) for a line longer
// than the Reader's limit. The rest of the line is never buffered.
var errLineTooLong = errors.New("line too long")

// Reader reads frames from one connection. There is exactly one per
// connection; it owns the bufio.Reader so no bytes are lost between frames.
type Reader struct {
	r    *bufio.Reader
	max  int    // longest accepted line, without the '\n'
	long []byte // reused for lines longer than the bufio buffer
	f    Frame
}

func NewReader(r io.Reader, bufSize, maxLine int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, bufSize), max: maxLine}
}

// readLine returns the next line without its '\n' (and without a trailing
// '\r'). The slice is valid until the next call.
func (d *Reader) readLine() ([]byte, error) {
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
func (d *Reader) Next() (*Frame, int, error) {
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

// Buffered is the number of bytes read from the connection and not yet
// decoded.
func (d *Reader) Buffered() int { return d.r.Buffered() }
