package script

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A SIGINT in the middle of a burst loses nothing that was already queued
// to a live peer: every message A reports as sent to a peer reaches B.
// Real processes, real TCP; A's input is still flowing when the signal
// comes, so the signal lands mid-burst by construction.
func TestSIGINTMidBurstLosesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	// B waits for A, then until A has left.
	bCmd, bOut, bAddr := startP2P(t, bin, dir, "b", strings.NewReader("wait peers 1\nwait -t 60s peers 0\n"))
	received := make(chan int) // B's delivered count, each time it passes a thousand
	bTotal := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(bOut)
		for sc.Scan() {
			if bytes.HasPrefix(sc.Bytes(), []byte(`{"event":"message"`)) {
				if n++; n%1000 == 0 {
					select {
					case received <- n:
					default:
					}
				}
			}
		}
		bTotal <- n
	}()

	// A connects to B and sends for as long as this test feeds it.
	pr, pw := io.Pipe()
	aCmd, aOut, _ := startP2P(t, bin, dir, "a", pr)
	stopFeeding := make(chan struct{})
	go func() {
		defer pw.Close()
		fmt.Fprintf(pw, "connect %s\n", bAddr)
		line := strings.Repeat("z", 90)
		for i := 0; ; i++ {
			select {
			case <-stopFeeding:
				return
			default:
			}
			if _, err := fmt.Fprintf(pw, "send %d %s\n", i, line); err != nil {
				return // A is gone
			}
		}
	}()
	aSent := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(aOut)
		for sc.Scan() {
			if bytes.HasPrefix(sc.Bytes(), []byte(`{"event":"sent"`)) && bytes.Contains(sc.Bytes(), []byte(`"peers":1`)) {
				n++
			}
		}
		aSent <- n
	}()

	// Once B has a few thousand, interrupt A mid-burst.
	timeout := time.After(60 * time.Second)
	for got := 0; got < 5000; {
		select {
		case got = <-received:
		case <-timeout:
			t.Fatal("B did not receive 5000 messages")
		}
	}
	if err := aCmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	close(stopFeeding)
	// Read each process's output to its end before Wait, which closes the
	// pipe once the process has exited.
	sent := <-aSent
	if err := aCmd.Wait(); err != nil {
		t.Fatalf("A after SIGINT: %v (want exit status 0)", err)
	}
	got := <-bTotal
	if err := bCmd.Wait(); err != nil {
		t.Fatalf("B: %v", err)
	}
	t.Logf("A queued %d messages to B before and while it was interrupted; B delivered %d", sent, got)
	if got != sent {
		t.Fatalf("B delivered %d messages, A had queued %d to it: %d lost", got, sent, sent-got)
	}
}
