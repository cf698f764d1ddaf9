package script

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildP2P builds cmd/p2p into a temporary directory and returns its path,
// for tests that run real p2p processes.
func buildP2P(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "p2p")
	build := exec.Command("go", "build", "-o", bin, "github.com/p2p-chat/p2p/cmd/p2p")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// readAddrFile waits for a node's -addr-file and returns the address.
func readAddrFile(tb testing.TB, path string) string {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data))
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not appear", path)
		}
		time.Sleep(5 * time.Millisecond) // polling a file: there is no event to wait on
	}
}

// startP2P starts bin as node name with -json (and flags), listening on a
// free loopback port, reading commands from stdin; it returns the process,
// its stdout and its address. The process is killed when the test ends.
func startP2P(tb testing.TB, bin, dir, name string, stdin io.Reader, flags ...string) (*exec.Cmd, io.ReadCloser, string) {
	tb.Helper()
	addrFile := filepath.Join(dir, name+".addr")
	os.Remove(addrFile)
	args := append([]string{"-json", "-name", name, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-timeout", "5m"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	cmd.Stdin = stdin
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stdout, readAddrFile(tb, addrFile)
}
