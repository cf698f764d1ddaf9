package script

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

// startProfile is for measuring p2p as its users run it (docs/performance.md):
// with P2P_CPUPROFILE=FILE in the environment, p2p writes a CPU profile of
// its first P2P_CPUPROFILE_FOR (default 10s) to FILE, or of its whole run
// if it ends sooner; a driver that kills the process still gets one.
// It returns the function that stops it early.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("P2P_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	span := 10 * time.Second
	if v := os.Getenv("P2P_CPUPROFILE_FOR"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "p2p: P2P_CPUPROFILE_FOR=%q: a duration such as 5s\n", v)
			return func() {}
		}
		span = d
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "p2p: P2P_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "p2p: P2P_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}
	timer := time.AfterFunc(span, stop)
	return func() { timer.Stop(); stop() }
}
