package script

import (
	"io"
	"sync"
)

// The output's writer. Printers append whole lines to o.pending under o.mu
// and return; one goroutine, started by newOutput, takes whatever is
// pending and writes it to stdout, again and again until nothing is left.
// So every line is on its way to stdout as soon as it is printed, and no
// printer has to remember to flush before it waits on something (input, a
// peer, a timer): the writer waits on nothing but stdout. A burst still
// costs few system calls, since the writer takes everything printed while
// its previous write was in progress in one write.
//
// Room: a printer waits while maxPending bytes are pending and the writer
// is busy, so a stdout that is not read stops the printers (and so the
// event pump, and so the node's readers) instead of growing memory.

// maxPending is how many bytes printers may append while the writer is
// busy with the previous write.
const maxPending = 64 << 10

// startWriter starts the writer goroutine; close stops it.
func (o *output) startWriter() {
	o.cond.L = &o.mu
	o.wake = make(chan struct{}, 1)
	o.stopped = make(chan struct{})
	go o.writeLoop()
}

func (o *output) writeLoop() {
	defer close(o.stopped)
	var chunk []byte
	o.mu.Lock()
	for {
		if len(o.pending) == 0 {
			if o.closed {
				o.mu.Unlock()
				return
			}
			o.idle = true
			o.mu.Unlock()
			<-o.wake
			o.mu.Lock()
			continue
		}
		chunk, o.pending = o.pending, chunk[:0]
		w := o.stdout
		o.writing = true
		o.cond.Broadcast() // room for printers
		o.mu.Unlock()
		w.Write(chunk) // an error (stdout closed) drops the lines: there is no one to tell
		if cap(chunk) > 4*maxPending {
			chunk = nil // do not keep one huge line's buffer
		}
		o.mu.Lock()
		o.writing = false
		o.cond.Broadcast() // drained, for flush
	}
}

// lineLocked locks o.mu, waits for room, and returns the pending buffer to
// append one line to; lineDone stores it back and unlocks.
func (o *output) lineLocked() []byte {
	o.mu.Lock()
	for len(o.pending) >= maxPending && o.writing && !o.closed {
		o.cond.Wait()
	}
	return o.pending
}

// lineDone stores the pending buffer with the new line appended, wakes the
// writer if it is idle, and unlocks o.mu.
func (o *output) lineDone(b []byte) {
	o.pending = b
	if o.closed {
		o.pending = o.pending[:0]
	}
	o.wakeLocked()
	o.mu.Unlock()
}

func (o *output) wakeLocked() {
	if o.idle && len(o.pending) > 0 {
		o.idle = false
		o.wake <- struct{}{} // capacity 1, and only sent while the writer is idle
	}
}

// drainLocked waits until everything printed so far has been written. The
// caller holds o.mu.
func (o *output) drainLocked() {
	for (len(o.pending) > 0 || o.writing) && !o.closed {
		o.wakeLocked()
		o.cond.Wait()
	}
}

// flush returns once everything printed so far has been written: before
// the process exits, and before output goes elsewhere.
func (o *output) flush() {
	o.mu.Lock()
	o.drainLocked()
	o.mu.Unlock()
}

// redirect writes out what is pending and prints to new writers from now
// on (the REPL prints through readline, so the line being typed is redrawn
// below the output).
func (o *output) redirect(stdout, stderr io.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drainLocked()
	o.stdout = stdout
	o.stderr = stderr
}

// close writes out what is pending and stops the writer goroutine. Lines
// printed after close are dropped. It is safe to call more than once.
func (o *output) close() {
	o.mu.Lock()
	o.drainLocked()
	o.closed = true
	o.pending = o.pending[:0]
	if o.idle {
		o.idle = false
		o.wake <- struct{}{}
	}
	o.cond.Broadcast()
	o.mu.Unlock()
	<-o.stopped
}

// writerState is the part of output that writer.go owns; o.mu guards it.
type writerState struct {
	cond    sync.Cond // on o.mu: a write started or ended, or close
	pending []byte    // printed, not yet taken by the writer
	stdout  io.Writer
	writing bool // the writer is writing a chunk
	idle    bool // the writer waits on wake
	closed  bool
	wake    chan struct{}
	stopped chan struct{} // closed when the writer goroutine has returned
}
