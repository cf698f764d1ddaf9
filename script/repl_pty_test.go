package script

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/p2p-chat/p2p/node/notify"
)

// ptyP2P is a p2p process whose terminal is a pseudo-terminal: what it
// writes is gathered in out, and each read wakes waiters.
type ptyP2P struct {
	t    *testing.T
	ptmx *os.File
	cmd  *exec.Cmd
	in   chan string // written to the terminal in order, by a goroutine

	// mu guards out, seen and changed.
	mu      sync.Mutex
	out     []byte
	seen    int           // out[:seen] has been matched by expect already
	changed notify.Signal // broadcast when out grows or the terminal closes
	eof     bool
}

// startPTY starts bin with args on a new pseudo-terminal.
func startPTY(t *testing.T, bin string, args ...string) *ptyP2P {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "GORACE=atexit_sleep_ms=0", "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	p := &ptyP2P{t: t, ptmx: ptmx, cmd: cmd, in: make(chan string, 16)}
	go p.read()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for s := range p.in {
			ptmx.WriteString(s) // blocks while p2p does not read; fails once it is gone
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		close(p.in)
		ptmx.Close()
		<-writerDone
	})
	return p
}

func (p *ptyP2P) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := p.ptmx.Read(buf)
		p.mu.Lock()
		p.out = append(p.out, buf[:n]...)
		if err != nil {
			p.eof = true
		}
		p.changed.Broadcast()
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// expect waits until want appears in the output after what earlier
// expects matched, and returns how long that took.
func (p *ptyP2P) expect(want string, within time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		p.mu.Lock()
		if i := bytes.Index(p.out[p.seen:], []byte(want)); i >= 0 {
			p.seen += i + len(want)
			p.mu.Unlock()
			return time.Since(start)
		}
		ch, eof := p.changed.Wait(), p.eof
		tail := p.out[max(0, len(p.out)-300):]
		p.mu.Unlock()
		if eof {
			p.t.Fatalf("the terminal closed before %q appeared; last output: %q", want, tail)
		}
		select {
		case <-ch:
		case <-timer.C:
			p.t.Fatalf("%q did not appear within %v; last output: %q", want, within, tail)
		}
	}
}

// write writes s to the terminal, as typing or pasting does, without
// waiting for p2p to read it (expect bounds the wait).
func (p *ptyP2P) write(s string) { p.in <- s }

// pasteText is n bytes of text that is not a command: a chat line.
func pasteText(n int) string {
	s := strings.Repeat("pasted words ", n/13+1)
	return s[:n]
}

// TestREPLPaste pastes long lines into a real REPL on a pseudo-terminal:
// a line of 65,000 bytes is sent, Ctrl-C right after a 65,000-byte paste
// clears the line, a longer paste is refused with a message, and a paste
// of two lines runs both. Each must answer within 10 s (a generous bound:
// readline used to take minutes for such a paste).
func TestREPLPaste(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs p2p on a pseudo-terminal")
	}
	bin := buildP2P(t)
	p := startPTY(t, bin, "-name", "p", "-listen", "127.0.0.1:0", "-no-history")
	const bound = 10 * time.Second
	p.expect("p> ", bound)

	// A 65,000-byte chat line is sent (to no one: there are no peers).
	start := time.Now()
	p.write(pasteText(65000) + "\r")
	p.expect("no peers: the message was sent to no one", bound)
	t.Logf("65,000-byte paste and Enter: sent after %v", time.Since(start).Round(time.Millisecond))
	p.expect("p> ", bound)

	// Ctrl-C right after a long paste answers at once.
	start = time.Now()
	p.write(pasteText(65000))
	p.write("\x03")
	p.expect("^C", bound)
	t.Logf("65,000-byte paste and Ctrl-C: answered after %v", time.Since(start).Round(time.Millisecond))
	p.expect("p> ", bound)

	// A paste longer than the longest line is refused, and says why.
	start = time.Now()
	p.write(pasteText(70000) + "\r")
	p.expect("error: the line was longer than 65536 characters", bound)
	t.Logf("70,000-byte paste: refused after %v", time.Since(start).Round(time.Millisecond))
	p.expect("p> ", bound)

	// Two lines pasted at once run one after the other.
	p.write(pasteText(100) + "\r" + pasteText(200) + "\r")
	p.expect("no peers: the message was sent to no one", bound)
	p.expect("no peers: the message was sent to no one", bound)
	p.expect("p> ", bound)

	p.write("quit\r")
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("p2p after quit: %v", err)
	}
}
