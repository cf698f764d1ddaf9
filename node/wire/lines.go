package wire

import (
	"bufio"
	"errors"
	"io"
)

// ErrLineTooLong is returned by LineReader for a line longer than its
// limit, as soon as the limit is passed: the rest of the line is never
// buffered.
var ErrLineTooLong = errors.New("line too long")

// LineReader reads lines of at most a given length. It is the one
// length-capped line reader of the project: the frame Reader reads the
// network with it, and package script reads its commands with it.
type LineReader struct {
	r    *bufio.Reader
	max  int    // longest line, without its '\n'
	long []byte // reused for lines longer than the bufio buffer
	skip bool   // the rest of a line that was too long is still to be discarded
}

// NewLineReader reads lines of at most maxLine bytes (not counting the
// '\n') from r through a buffer of bufSize bytes.
func NewLineReader(r io.Reader, bufSize, maxLine int) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, bufSize), max: maxLine}
}

// ReadLine returns the next line without its end of line ("\n" or
// "\r\n"); the slice is valid until the next call. A line longer than the
// limit gives ErrLineTooLong at once, and the next call goes on after
// that line. A last line without a newline comes with io.ErrUnexpectedEOF;
// the end of the input after a newline is io.EOF.
func (l *LineReader) ReadLine() ([]byte, error) {
	for l.skip {
		_, err := l.r.ReadSlice('\n')
		if err == nil {
			l.skip = false
		} else if err != bufio.ErrBufferFull {
			return nil, err
		}
	}
	line, err := l.r.ReadSlice('\n')
	switch {
	case err == nil && len(line)-1 > l.max:
		return nil, ErrLineTooLong
	case err == nil:
		return trimEOL(line), nil
	case err == io.EOF && len(line) > l.max:
		return nil, ErrLineTooLong
	case err == io.EOF && len(line) > 0:
		return trimCR(line), io.ErrUnexpectedEOF
	case err != bufio.ErrBufferFull:
		return nil, err
	}
	// The line is longer than the buffer: collect it, up to the limit.
	l.long = append(l.long[:0], line...)
	for {
		if len(l.long) > l.max {
			l.skip = true
			return nil, ErrLineTooLong
		}
		line, err = l.r.ReadSlice('\n')
		l.long = append(l.long, line...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == nil && len(l.long)-1 > l.max, err == io.EOF && len(l.long) > l.max:
			return nil, ErrLineTooLong
		case err == nil:
			out := trimEOL(l.long)
			if cap(l.long) > 4*l.r.Size() && cap(l.long) > 64<<10 {
				l.long = nil // do not keep a huge buffer for one long line
			}
			return out, nil
		case err == io.EOF:
			return trimCR(l.long), io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// Buffered is the number of bytes read from the input and not yet
// returned as lines.
func (l *LineReader) Buffered() int { return l.r.Buffered() }

func trimEOL(line []byte) []byte { return trimCR(line[:len(line)-1]) }

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}
