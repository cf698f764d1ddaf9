package wire

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// The line reader's rules, with a buffer smaller than some lines so both
// of its paths (a line within the buffer, a line collected past it) run.
func TestLineReader(t *testing.T) {
	const max = 20
	long := strings.Repeat("x", 100)
	in := "one\r\ntwo\n\n" + strings.Repeat("a", max) + "\n" + strings.Repeat("b", max+1) + "\n" +
		long + "\nafter long\n" + "last without newline"
	type result struct {
		line string
		err  error
	}
	want := []result{
		{"one", nil}, {"two", nil}, {"", nil}, {strings.Repeat("a", max), nil},
		{"", ErrLineTooLong}, {"", ErrLineTooLong}, {"after long", nil},
		{"last without newline", io.ErrUnexpectedEOF}, {"", io.EOF},
	}
	l := NewLineReader(strings.NewReader(in), 16, max)
	for i, w := range want {
		line, err := l.ReadLine()
		if string(line) != w.line || !errors.Is(err, w.err) && err != w.err {
			t.Fatalf("line %d: got %q, %v; want %q, %v", i, line, err, w.line, w.err)
		}
	}
	// A short last line without a newline (within the buffer).
	l = NewLineReader(strings.NewReader("ok\nab"), 16, max)
	l.ReadLine()
	if line, err := l.ReadLine(); string(line) != "ab" || err != io.ErrUnexpectedEOF {
		t.Fatalf("short last line: %q, %v; want \"ab\", io.ErrUnexpectedEOF", line, err)
	}
}

// A line that never ends is refused once the limit is passed: the reader
// has read no more than the limit and its buffer.
func TestLineReaderDoesNotBufferAnEndlessLine(t *testing.T) {
	src := &countingReader{}
	l := NewLineReader(src, 64, 1000)
	if _, err := l.ReadLine(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("endless line: %v, want ErrLineTooLong", err)
	}
	if src.n > 1000+2*64 {
		t.Fatalf("read %d bytes of an endless line with a limit of 1000", src.n)
	}
	if cap(l.long) > 2*1000 {
		t.Fatalf("kept %d bytes for a line over the limit", cap(l.long))
	}
}

// countingReader is a line of 1 MB without a newline.
type countingReader struct{ n int }

func (r *countingReader) Read(b []byte) (int, error) {
	if r.n >= 1<<20 {
		return 0, io.EOF
	}
	for i := range b {
		b[i] = 'z'
	}
	r.n += len(b)
	return len(b), nil
}
