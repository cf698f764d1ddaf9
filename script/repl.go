package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/chzyer/readline"
)

// runREPL reads commands from a terminal with readline: a prompt with the
// node's name, history, and completion from the command table. Events are
// printed through readline's writer, so the line being typed is redrawn
// below them instead of being garbled. Ctrl-C clears the line; Ctrl-D on
// an empty line, quit or exit leave. A line that is not a command is sent
// as a message, as in the tutorial.
func (s *Session) runREPL(ctx context.Context, stdin *os.File, stdout, stderr io.Writer) error {
	hist := s.opts.history
	if hist != "" {
		if err := os.MkdirAll(filepath.Dir(hist), 0o700); err != nil {
			fmt.Fprintf(stderr, "p2p: no history: %v\n", err)
			hist = ""
		}
	}
	pastes := &pasteQueue{}
	var cut atomic.Bool // pasted text was dropped from the line being edited
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            s.n.Name() + "> ",
		HistoryFile:       hist,
		HistoryLimit:      1000,
		HistorySearchFold: true,
		AutoComplete:      completer{s},
		InterruptPrompt:   "^C",
		EOFPrompt:         "quit",
		Stdin:             newPasteReader(readline.NewCancelableStdin(stdin), pastes),
		Listener:          pasteListener(pastes, s.opts.maxInputLine, &cut),
		Stdout:            stdout,
		Stderr:            stderr,
	})
	if err != nil {
		return fmt.Errorf("readline: %w", err)
	}
	s.out.redirect(rl.Stdout(), rl.Stderr())
	done := make(chan struct{})
	defer func() {
		close(done)
		s.out.redirect(stdout, stderr)
		rl.Close()
	}()
	go func() {
		select {
		case <-ctx.Done():
			rl.Close() // makes Readline return
		case <-done:
		}
	}()
	s.out.notice("hint", "type help for the commands; a line that is not a command is sent as a message")
	for {
		s.out.flush() // the command's output before the next prompt
		text, err := rl.Readline()
		wasCut := cut.Swap(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, readline.ErrInterrupt) {
			continue // Ctrl-C: the line is cleared
		}
		if err != nil { // io.EOF: Ctrl-D on an empty line
			return nil
		}
		if wasCut {
			s.out.commandError("", Pos{}, fmt.Errorf("the line was longer than %d characters: the pasted text past that was dropped and the line was not run (a message holds at most %d bytes)",
				s.opts.maxInputLine, s.n.Config().MaxTextBytes()))
			continue
		}
		// Ctrl-C while the command runs (the terminal is not in raw mode
		// then, so it is a SIGINT) stops this command, not p2p.
		cmdCtx, cancel := context.WithCancelCause(ctx)
		s.runningCommand(func() { cancel(errInterrupted) })
		err = s.replLine(cmdCtx, text)
		s.runningCommand(nil)
		cancel(nil)
		if errors.Is(err, errQuit) {
			return errQuit
		}
	}
}

// errInterrupted is why a REPL command stopped on Ctrl-C.
var errInterrupted = errors.New("interrupted (Ctrl-C)")

// replLine runs one line typed in the REPL. Errors are reported and do not
// end the session.
func (s *Session) replLine(ctx context.Context, text string) error {
	word, _ := splitWord(text)
	if word == "" {
		return nil
	}
	var err error
	if _, isCmd := s.cmds.byName[word]; isCmd || strings.HasPrefix(word, "#") {
		_, err = s.execLine(ctx, Pos{}, text, 0)
	} else if near := s.cmds.near(word); near != "" {
		err = fmt.Errorf("unknown command %q: did you mean %s? (nothing was sent; to send the line as a message, start it with send)", word, near)
	} else {
		err = runSend(ctx, s, &call{line: line{name: "send", rest: strings.TrimSpace(text)}})
	}
	if err != nil && !errors.Is(err, errQuit) {
		s.out.commandError(word, Pos{}, err)
	}
	return err
}

// completer adapts Session.complete to readline.
type completer struct{ s *Session }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	cands, n := c.s.complete(string(line[:pos]))
	out := make([][]rune, len(cands))
	for i, c := range cands {
		out[i] = []rune(c)
	}
	return out, n
}

// complete returns what may follow the text before the cursor: the rest of
// a command name, or of an argument the command knows how to complete, each
// with a trailing space; and the length in runes of the word being
// completed.
func (s *Session) complete(before string) ([]string, int) {
	words := strings.Fields(before)
	last, _ := utf8.DecodeLastRuneInString(before)
	endsInSpace := before == "" || unicode.IsSpace(last)
	prefix := ""
	if !endsInSpace {
		prefix = words[len(words)-1]
	}
	var cands []string
	if len(words) == 0 || len(words) == 1 && !endsInSpace {
		for _, c := range s.cmds.list {
			cands = append(cands, c.name)
		}
	} else {
		cmd := s.cmds.byName[words[0]]
		if cmd == nil || cmd.complete == nil {
			return nil, 0
		}
		i := len(words) - 1
		if !endsInSpace {
			i--
		}
		cands = cmd.complete(s, i, prefix)
	}
	slices.Sort(cands)
	var out []string
	for i, c := range cands {
		if strings.HasPrefix(c, prefix) && (i == 0 || c != cands[i-1]) {
			out = append(out, c[len(prefix):]+" ")
		}
	}
	return out, utf8.RuneCountInString(prefix)
}
