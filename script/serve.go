package script

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/p2p-chat/p2p/node/sim"
	"github.com/p2p-chat/p2p/node/web"
)

// serveSim is `p2p sim -serve ADDR`: the page that replays the run, until
// ctx ends (a signal).
func serveSim(ctx context.Context, stdout, stderr io.Writer, addr string, cfg sim.VirtualConfig, mode string) int {
	modes := []string{mode}
	if mode == "both" {
		modes = []string{"flood", "tree"}
	}
	srv, err := web.NewSim(cfg, modes)
	if err != nil {
		fmt.Fprintf(stderr, "p2p sim: %v\n", err)
		return exitUsage
	}
	return serveHTTP(ctx, stdout, stderr, "p2p sim", addr, srv.Handler())
}

// serveHTTP listens on addr, prints the page's address, and serves h until
// ctx ends.
func serveHTTP(ctx context.Context, stdout, stderr io.Writer, who, addr string, h http.Handler) int {
	ln, err := net.Listen("tcp", loopbackUnlessSaid(addr))
	if err != nil {
		fmt.Fprintf(stderr, "%s: -serve: %v\n", who, err)
		return exitFail
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "%s: serving http://%s/ (Ctrl-C to stop)\n", who, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		hs.Shutdown(shut)
		<-done
		return exitOK
	case err := <-done:
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitFail
	}
}

// loopbackUnlessSaid is addr with the host 127.0.0.1 when it names none
// (":8080", or just "8080"): a page is on loopback unless its user says
// otherwise (0.0.0.0:8080, or an address of the machine's).
func loopbackUnlessSaid(addr string) string {
	if !strings.Contains(addr, ":") {
		return net.JoinHostPort("127.0.0.1", addr)
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}
