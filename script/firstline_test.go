package script

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFirstLineIsFlushed: a driver that starts p2p and reads the listening
// line to learn the address gets it at once, although it has written
// nothing and no event follows: p2p writes every line out before it waits
// for input (stdin a pipe held open) or for a signal (-stay, stdin at its
// end). Real processes, 20 in a row per case, each with a bounded wait.
func TestFirstLineIsFlushed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string // "pipe": a pipe held open, "eof": /dev/null
		want  string
	}{
		{"text/pipe", nil, "pipe", "listening on 127.0.0.1:"},
		{"json/pipe", []string{"-json"}, "pipe", `{"event":"listening"`},
		{"text/stay", []string{"-stay"}, "eof", "listening on 127.0.0.1:"},
		{"json/stay", []string{"-json", "-stay"}, "eof", `{"event":"listening"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 20 {
				line := firstLine(t, bin, append(tc.args, "-listen", "127.0.0.1:0", "-no-history"), tc.stdin == "pipe")
				if !strings.HasPrefix(line, tc.want) {
					t.Fatalf("try %d: first line %q, want it to start with %q", i+1, line, tc.want)
				}
			}
		})
	}
}

// firstLine starts p2p with args, reads its first line of output within 10
// seconds, and stops it with SIGTERM.
func firstLine(t *testing.T, bin string, args []string, pipeIn bool) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "GORACE=atexit_sleep_ms=0")
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	var in *os.File
	if pipeIn {
		var inR *os.File
		inR, in, err = os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close() // held open, nothing written, until p2p is gone
		cmd.Stdin = inR
		defer inR.Close()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("no first line within 10s: %v (got %q)", err, line)
	}
	return line
}
