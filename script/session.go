package script

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node"
	"github.com/p2p-chat/p2p/node/store"
)

// Session is a running node with its output and the state that `wait`
// blocks on. One goroutine, the pump, drains the node's events: it prints
// each one, then updates the tracker. Commands run on the caller's
// goroutine.
type Session struct {
	n    *node.Node
	out  *output
	opts *options
	cmds *commandTable
	t    *tracker

	lookupEnv func(string) (string, bool)
	syncReq   chan chan struct{} // asks the pump to print every pending event
	pumpDone  chan struct{}
	closeOnce sync.Once
	closeKey  func()                   // releases the key file
	page      atomic.Pointer[livePage] // -http; nil when none
	failures  int                      // failed commands; owned by the goroutine running commands

	// cmdMu guards cmdCancel: how to stop the REPL command that is running
	// (nil when none is).
	cmdMu     sync.Mutex
	cmdCancel context.CancelFunc
}

// newSession starts a node and its event pump. The addr file, if asked for,
// is written once the node listens.
func newSession(opts *options, out *output, lookupEnv func(string) (string, bool)) (*Session, error) {
	key, closeKey, note, err := openIdentity(opts)
	if err != nil {
		return nil, err
	}
	cfg := opts.cfg
	cfg.Key = key
	if opts.dataDir != "" && !cfg.Unsigned {
		st, err := store.Open(opts.dataDir, store.Limits{Max: cfg.HistoryMax, Bytes: cfg.HistoryBytes, MaxAge: cfg.HistoryAge})
		if err != nil {
			closeKey()
			return nil, fmt.Errorf("-data: %w", err)
		}
		cfg.Store = st
		releaseKey := closeKey
		closeKey = func() { st.Close(); releaseKey() } // after the node is closed
	}
	n, err := node.New(cfg)
	if err != nil {
		closeKey()
		return nil, err
	}
	out.name, out.nodeID = n.Name(), n.ID()
	out.treeMode = n.Config().Mode == "tree"
	s := &Session{
		n:         n,
		out:       out,
		opts:      opts,
		cmds:      newCommandTable(),
		t:         newTracker(),
		lookupEnv: lookupEnv,
		syncReq:   make(chan chan struct{}),
		pumpDone:  make(chan struct{}),
		closeKey:  closeKey,
	}
	go s.pump()
	s.sync() // the listening event is the first line, before any command's
	if note != "" {
		out.identity(note)
	}
	if opts.httpAddr != "" {
		if err := s.startPage(opts.httpAddr, opts.httpPages); err != nil {
			s.Close()
			return nil, fmt.Errorf("-http: %w", err)
		}
	}
	if opts.addrFile != "" {
		if err := writeFileAtomic(opts.addrFile, n.Addr()+"\n"); err != nil {
			s.Close()
			return nil, fmt.Errorf("addr file: %w", err)
		}
	}
	return s, nil
}

// pump prints events until the node closes its event channel.
func (s *Session) pump() {
	defer close(s.pumpDone)
	events := s.n.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.handle(ev)
		case req := <-s.syncReq:
			for len(events) > 0 {
				ev, ok := <-events
				if !ok {
					break
				}
				s.handle(ev)
			}
			close(req)
		}
	}
}

func (s *Session) handle(ev node.Event) {
	s.out.event(ev)
	s.t.onEvent(ev)
	if pg := s.page.Load(); pg != nil && pg.srv.Watched() {
		pg.srv.Publish(s.out.appendEventJSON(nil, ev))
	}
}

// sync returns once every event the node emitted before the call has been
// printed, so a command's output follows the events it caused.
func (s *Session) sync() {
	req := make(chan struct{})
	select {
	case s.syncReq <- req:
		<-req
	case <-s.pumpDone:
	}
}

// interruptCommand stops the REPL command that is running, if one is, and
// reports whether it did.
func (s *Session) interruptCommand() bool {
	s.cmdMu.Lock()
	defer s.cmdMu.Unlock()
	if s.cmdCancel == nil {
		return false
	}
	s.cmdCancel()
	s.cmdCancel = nil
	return true
}

// runningCommand records how to stop the command that starts now (nil when
// it has ended).
func (s *Session) runningCommand(cancel context.CancelFunc) {
	s.cmdMu.Lock()
	s.cmdCancel = cancel
	s.cmdMu.Unlock()
}

// sessionBox holds the session for runWithSignals' signal goroutine, which starts
// before the session exists. mu guards s.
type sessionBox struct {
	mu sync.Mutex
	s  *Session
}

func (b *sessionBox) set(s *Session) {
	b.mu.Lock()
	b.s = s
	b.mu.Unlock()
}

func (b *sessionBox) get() *Session {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// Close closes the node (it flushes its queues and says BYE), waits for
// the pump to print the last events, and for the output to be written. It is safe to
// call more than once.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.stopPage()
		s.n.Close()
		<-s.pumpDone
		s.closeKey()
		s.out.flush()
	})
}

// closeWithin closes the session but returns after at most d even if the
// node is still waiting on a peer; the process is about to exit.
func (s *Session) closeWithin(d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.out.warn(fmt.Sprintf("p2p: leaving after %v before every peer acknowledged the end of its connection", d))
	}
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it, so a reader never sees a partial file.
func writeFileAtomic(path, data string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
