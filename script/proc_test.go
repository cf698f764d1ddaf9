package script

import (
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
