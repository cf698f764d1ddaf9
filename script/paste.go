package script

import (
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/chzyer/readline"
)

// Pasting into the REPL.
//
// chzyer/readline handles input one rune at a time, and every rune redraws
// the whole line (RuneBuffer.Refresh: clean, then print prompt and line,
// measuring the width of every rune) and copies it for the history: a
// paste of n bytes costs time in n², about 30 s for 20 KB and minutes for
// 64 KB, with Ctrl-C queued behind it.
//
// So the REPL reads the terminal through a pasteReader: a run of at least
// pasteMinRunes printable characters that arrives in one read (no one types
// that fast; a paste does) is taken out of the stream, queued, and replaced
// by one private-use rune, pasteMark. Readline inserts the mark like any
// character, and the Listener (called after every key) replaces it with
// the queued text in one step, so the line is redrawn once per read instead
// of once per character. Control characters (Enter, Tab, Ctrl-C) and escape
// sequences are passed through as they are, in order, so a pasted newline
// still ends a line and a multi-line paste runs line by line.
//
// A line is not allowed to grow past a limit (the longest script line):
// pasted text beyond it is dropped, and the REPL refuses the line.

// pasteMark stands for one queued run of pasted text. A mark typed or
// pasted literally is turned into U+FFFD, so every mark is one of ours.
const pasteMark = '\uE000'

// pasteMinRunes is the shortest run of printable characters in one read
// that is inserted in one step.
const pasteMinRunes = 16

// pasteQueue holds the runs a pasteReader took out, in order, until the
// listener inserts them. mu guards runs; the reader and readline's
// operation goroutine share it.
type pasteQueue struct {
	mu   sync.Mutex
	runs [][]rune
}

func (q *pasteQueue) push(r []rune) {
	q.mu.Lock()
	q.runs = append(q.runs, r)
	q.mu.Unlock()
}

func (q *pasteQueue) pop() ([]rune, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.runs) == 0 {
		return nil, false
	}
	r := q.runs[0]
	q.runs[0] = nil
	q.runs = q.runs[1:]
	return r, true
}

// escape states of a pasteReader: it passes escape sequences through
// untouched, even when one is split between reads.
const (
	escNone = iota
	escStart
	escCSI
	escSS3
)

// pasteReader is the terminal as readline reads it, with runs of pasted
// text replaced by pasteMark (see above). Only readline's terminal
// goroutine calls Read.
type pasteReader struct {
	r     io.ReadCloser
	q     *pasteQueue
	in    []byte
	out   []byte // transformed input not yet returned
	carry []byte // an incomplete UTF-8 sequence at the end of the last read
	esc   int
	err   error // from r, returned once out is empty
}

func newPasteReader(r io.ReadCloser, q *pasteQueue) *pasteReader {
	return &pasteReader{r: r, q: q, in: make([]byte, 64<<10)}
}

// Close closes the terminal reader, which ends a Read in progress.
func (p *pasteReader) Close() error { return p.r.Close() }

func (p *pasteReader) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		n, err := p.r.Read(p.in)
		p.err = err
		data := p.in[:n]
		if len(p.carry) > 0 {
			data = append(p.carry, data...)
			p.carry = nil
		}
		p.transform(data, err != nil)
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	if len(p.out) == 0 {
		p.out = nil
	}
	return n, nil
}

// transform appends data to p.out with long printable runs replaced by
// marks. At the end of the input (last), nothing is carried over.
func (p *pasteReader) transform(data []byte, last bool) {
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case p.esc == escStart:
			p.esc = escNone
			if c == '[' {
				p.esc = escCSI
			} else if c == 'O' {
				p.esc = escSS3
			}
		case p.esc == escCSI:
			if c >= 0x40 && c <= 0x7e {
				p.esc = escNone
			}
		case p.esc == escSS3:
			p.esc = escNone
		case c == 0x1b:
			p.esc = escStart
		case c < 0x20 || c == 0x7f:
		default:
			j := i
			for j < len(data) && data[j] >= 0x20 && data[j] != 0x7f {
				j++
			}
			if j == len(data) && !last {
				// Keep an incomplete UTF-8 sequence for the next read.
				for n := 1; n <= utf8.UTFMax-1 && n <= j-i; n++ {
					if utf8.RuneStart(data[j-n]) {
						if !utf8.FullRune(data[j-n : j]) {
							j -= n
							p.carry = append([]byte(nil), data[j:]...)
						}
						break
					}
				}
			}
			p.run(data[i:j])
			if p.carry != nil {
				return
			}
			i = j
			continue
		}
		p.out = append(p.out, c)
		i++
	}
}

// run passes a run of printable text on, as it is or as a mark.
func (p *pasteReader) run(b []byte) {
	rs := []rune(string(b)) // invalid UTF-8 becomes U+FFFD, as readline reads it
	for i, r := range rs {
		if r == pasteMark {
			rs[i] = utf8.RuneError
		}
	}
	if len(rs) >= pasteMinRunes {
		p.q.push(rs)
		p.out = utf8.AppendRune(p.out, pasteMark)
		return
	}
	for _, r := range rs {
		p.out = utf8.AppendRune(p.out, r)
	}
}

// pasteListener returns the readline Listener that replaces a mark just
// inserted with its text. A line may not grow past maxRunes: the text is
// dropped and cut is set, for the REPL to refuse the line. A mark that did
// not land in the line (typed into a Ctrl-R search) drops its text.
func pasteListener(q *pasteQueue, maxRunes int, cut *atomic.Bool) readline.Listener {
	return readline.FuncListener(func(line []rune, pos int, key rune) ([]rune, int, bool) {
		if key != pasteMark {
			return nil, 0, false
		}
		text, ok := q.pop()
		if !ok || pos < 1 || pos > len(line) || line[pos-1] != pasteMark {
			return nil, 0, false
		}
		if len(line)-1+len(text) > maxRunes {
			cut.Store(true)
			text = nil
		}
		out := make([]rune, 0, len(line)-1+len(text))
		out = append(out, line[:pos-1]...)
		out = append(out, text...)
		out = append(out, line[pos:]...)
		return out, pos - 1 + len(text), true
	})
}
