package script

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestSIGTERMReportsUnrunInput: SIGTERM while piped input waits behind a
// blocking command says on stderr how many lines were read but not run,
// and which was the first (the interrupted wait is not run), so a driver
// knows where to resume; p2p still exits 0.
func TestSIGTERMReportsUnrunInput(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	for _, tc := range []struct {
		name  string
		sends int
		want  string // a regexp for stderr
	}{
		// One small write: p2p has read all of it when "started" appears.
		{"exact", 2, `^p2p: stopped by SIGTERM; 3 lines of input were read but not run, the first was stdin:2\n$`},
		// Thousands of lines: as many as p2p read ahead.
		{"read-ahead", 5000, `^p2p: stopped by SIGTERM; [0-9]+ lines of input were read but not run, the first was stdin:2\n$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var input bytes.Buffer
			input.WriteString("echo started\nwait -t 1m peers 1\n")
			for i := range tc.sends {
				fmt.Fprintf(&input, "send %d\n", i)
			}
			inR, inW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer inW.Close()
			cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "GORACE=atexit_sleep_ms=0")
			cmd.Stdin = inR
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			inR.Close()
			defer cmd.Process.Kill()
			go inW.Write(input.Bytes()) // blocks while p2p does not read; fails once it is gone
			sc := bufio.NewScanner(stdout)
			for sc.Scan() && sc.Text() != "started" {
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, stdout)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after SIGTERM: %v (want exit status 0); stderr %q", err, stderr.String())
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr.String()) {
				t.Fatalf("stderr %q, want %s", stderr.String(), tc.want)
			}
			if n := strings.Count(stderr.String(), "\n"); n != 1 {
				t.Fatalf("%d lines on stderr", n)
			}
		})
	}
}
