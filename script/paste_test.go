package script

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
)

// chunks is a terminal that returns one chunk per Read.
type chunks struct{ c []string }

func (c *chunks) Read(b []byte) (int, error) {
	if len(c.c) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.c[0])
	c.c = c.c[1:]
	return n, nil
}

func (c *chunks) Close() error { return nil }

// TestPasteReader: long printable runs in one read become one mark each;
// short runs, control characters and escape sequences (even split between
// reads) pass unchanged; a rune split between reads is not broken; a
// literal mark cannot pose as one.
func TestPasteReader(t *testing.T) {
	long := strings.Repeat("x", pasteMinRunes)
	const m = string(pasteMark)
	for _, tc := range []struct {
		name   string
		in     []string
		want   string
		pastes []string
	}{
		{"typing", []string{"h", "i", "\r"}, "hi\r", nil},
		{"short run", []string{"hello\r"}, "hello\r", nil},
		{"paste", []string{long + "\r"}, m + "\r", []string{long}},
		{"two lines", []string{long + "\r" + long + "y\r"}, m + "\r" + m + "\r", []string{long, long + "y"}},
		{"tab ends a run", []string{"ab\t" + long}, "ab\t" + m, []string{long}},
		{"escape sequence", []string{"\x1b[200~" + long + "\x1b[201~"}, "\x1b[200~" + m + "\x1b[201~", []string{long}},
		{"split escape", []string{"\x1b", "[A" + long}, "\x1b[A" + m, []string{long}},
		{"split CSI", []string{"\x1b[20", "0~" + long}, "\x1b[200~" + m, []string{long}},
		{"meta key", []string{"\x1bb" + long}, "\x1bb" + m, []string{long}},
		{"split rune", []string{long + "\xc3", "\xa9" + long}, m + m, []string{long, "é" + long}},
		{"literal mark", []string{"a" + m + "b"}, "a\uFFFDb", nil},
		{"literal mark in a paste", []string{long + m}, m, []string{long + "\uFFFD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &pasteQueue{}
			got, err := io.ReadAll(newPasteReader(&chunks{c: tc.in}, q))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			var pastes []string
			for r, ok := q.pop(); ok; r, ok = q.pop() {
				pastes = append(pastes, string(r))
			}
			if strings.Join(pastes, "|") != strings.Join(tc.pastes, "|") {
				t.Errorf("pastes %q, want %q", pastes, tc.pastes)
			}
		})
	}
}

// TestPasteListener: the mark just typed becomes its text, with the cursor
// after it; past the limit the text is dropped and the line marked cut; a
// mark that is not in the line (a Ctrl-R search) only drops its text.
func TestPasteListener(t *testing.T) {
	q := &pasteQueue{}
	var cut atomic.Bool
	l := pasteListener(q, 20, &cut)
	q.push([]rune("pasted"))
	line, pos, ok := l.OnChange([]rune("ab"+string(pasteMark)+"cd"), 3, pasteMark)
	if !ok || string(line) != "abpastedcd" || pos != 8 || cut.Load() {
		t.Fatalf("got %q %d %v cut=%v", string(line), pos, ok, cut.Load())
	}
	if _, _, ok := l.OnChange([]rune("abc"), 3, 'c'); ok {
		t.Fatal("a plain key changed the line")
	}
	q.push([]rune(strings.Repeat("y", 30)))
	line, pos, ok = l.OnChange([]rune("ab"+string(pasteMark)), 3, pasteMark)
	if !ok || string(line) != "ab" || pos != 2 || !cut.Load() {
		t.Fatalf("too long: got %q %d %v cut=%v", string(line), pos, ok, cut.Load())
	}
	q.push([]rune("z"))
	if _, _, ok := l.OnChange([]rune("search"), 6, pasteMark); ok {
		t.Fatal("a mark not in the line changed it")
	}
	if _, ok := q.pop(); ok {
		t.Fatal("the text of a mark not in the line stayed queued")
	}
}
