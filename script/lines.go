package script

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/p2p-chat/p2p/node/wire"
)

// errFailed stops a runner after a command failed; the failure has already
// been reported.
var errFailed = errors.New("a command failed")

// execLine runs one line: a blank line or a comment does nothing, anything
// else must be a command.
func (s *Session) execLine(ctx context.Context, pos Pos, text string, depth int) (*command, error) {
	if isBlank(text) {
		return nil, nil
	}
	word, _ := splitWord(text)
	cmd, err := s.cmds.lookup(word)
	if err != nil {
		return nil, err
	}
	l, err := parseLine(text, s.lookupEnv, cmd.text)
	if err != nil {
		return cmd, fmt.Errorf("%s: %w", word, err)
	}
	if err := cmd.check(l); err != nil {
		return cmd, err
	}
	return cmd, cmd.run(ctx, s, &call{cmd: cmd, line: l, pos: pos, depth: depth})
}

// runOne runs a line and applies the failure policy of scripts: report the
// error at its position, count it, and stop unless -keep-going.
func (s *Session) runOne(ctx context.Context, pos Pos, text string, depth int) error {
	_, err := s.execLine(ctx, pos, text, depth)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errQuit):
		return errQuit
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errFailed):
		return errFailed // reported inside a sourced file
	}
	name, _ := splitWord(text)
	s.out.commandError(name, pos, err)
	s.failures++
	if s.opts.keepGoing {
		return nil
	}
	return errFailed
}

// inputLine is one line read from a script, or why it could not be read.
type inputLine struct {
	text string
	err  error
}

// runReader runs the commands read from r, named name in errors. Lines are
// read by a goroutine in batches, so that a command that blocks (wait)
// does not stop the reading and a signal is noticed while the input is
// silent. It returns nil at the end of the input, errQuit after quit,
// errFailed after a failure (already reported), or ctx's error; then, at
// the top level, it says on stderr how many lines it had read but not run.
func (s *Session) runReader(ctx context.Context, name string, r io.Reader, depth int) error {
	batches := make(chan []inputLine, 1)
	stop := make(chan struct{})
	defer close(stop)
	in := &lineCounter{r: r}
	go readLines(in, s.opts.maxInputLine, batches, stop)
	ran := 0 // lines run to their end
	stopped := func() error {
		if depth == 0 {
			s.reportUnrun(ctx, name, ran, in.lines())
		}
		return ctx.Err()
	}
	for {
		select {
		case batch, ok := <-batches:
			if !ok {
				return nil
			}
			for _, l := range batch {
				if ctx.Err() != nil {
					return stopped()
				}
				pos := Pos{File: name, Line: ran + 1}
				var err error
				if l.err != nil {
					s.out.commandError("", pos, l.err)
					s.failures++
					if !s.opts.keepGoing {
						err = errFailed
					}
				} else {
					err = s.runOne(ctx, pos, l.text, depth)
				}
				if err != nil && ctx.Err() != nil && !errors.Is(err, errQuit) {
					return stopped() // the signal cut this line short: it counts as not run
				}
				ran++
				if err != nil {
					return err
				}
			}
		case <-ctx.Done():
			return stopped()
		}
	}
}

// reportUnrun says on stderr, when a signal stopped p2p, how many lines
// of the input it had read (taken from the pipe or file) but not run, and
// the first of them, so that whoever feeds p2p knows where to resume.
func (s *Session) reportUnrun(ctx context.Context, name string, ran, read int) {
	n := read - ran
	if n <= 0 {
		return
	}
	why := fmt.Sprintf("stopped (%v)", context.Cause(ctx))
	var sig stopSignal
	if errors.As(context.Cause(ctx), &sig) {
		why = sig.Error()
	}
	if n == 1 {
		s.out.warn(fmt.Sprintf("p2p: %s; 1 line of input was read but not run: %s:%d", why, name, ran+1))
		return
	}
	s.out.warn(fmt.Sprintf("p2p: %s; %d lines of input were read but not run, the first was %s:%d", why, n, name, ran+1))
}

// lineCounter counts the lines read through it: the newlines, and a last
// line without one once the input has ended. The reading goroutine writes
// the counts; the runner reads them.
type lineCounter struct {
	r        io.Reader
	newlines atomic.Int64
	partial  atomic.Bool // bytes after the last newline
	ended    atomic.Bool
}

func (c *lineCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.newlines.Add(int64(bytes.Count(b[:n], []byte{'\n'})))
		c.partial.Store(b[n-1] != '\n')
	}
	if err != nil {
		c.ended.Store(true)
	}
	return n, err
}

// lines is the number of lines read so far, as readLines splits them.
func (c *lineCounter) lines() int {
	n := int(c.newlines.Load())
	if c.ended.Load() && c.partial.Load() {
		n++
	}
	return n
}

// readLines reads lines from r and sends them in batches: a batch ends
// when the reader's buffer is empty (the writer paused) or holds
// maxBatchLines lines or maxBatchBytes bytes. A line longer than maxLine is
// reported as an error, without buffering all of it. It closes out at the
// end of r, or returns when stop is closed.
func readLines(r io.Reader, maxLine int, out chan<- []inputLine, stop <-chan struct{}) {
	defer close(out)
	lr := wire.NewLineReader(r, 64<<10, maxLine)
	var batch []inputLine
	batchBytes := 0
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
			batch, batchBytes = nil, 0
			return true
		case <-stop:
			return false
		}
	}
	for {
		b, err := lr.ReadLine()
		switch {
		case errors.Is(err, wire.ErrLineTooLong):
			batch = append(batch, inputLine{err: fmt.Errorf("line longer than %d bytes", maxLine)})
		case err == nil || errors.Is(err, io.ErrUnexpectedEOF): // a last line without a newline counts
			batch = append(batch, inputLine{text: string(b)})
			batchBytes += len(b)
		case errors.Is(err, io.EOF):
			send()
			return
		default:
			batch = append(batch, inputLine{err: fmt.Errorf("read: %w", err)})
			send()
			return
		}
		if lr.Buffered() == 0 || len(batch) >= maxBatchLines || batchBytes >= maxBatchBytes {
			if !send() {
				return
			}
		}
	}
}

// A batch of input lines ends at this many lines or bytes, so that input
// read ahead while a command blocks (wait) stays small: at most three
// batches are held (one being run, one in the channel, one being read).
const (
	maxBatchLines = 1024
	maxBatchBytes = 256 << 10
)
