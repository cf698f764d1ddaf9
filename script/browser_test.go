package script

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's chromium, headless, with chromedp. Where
// chromium is missing they are skipped, unless P2P_BROWSER=1 (as .ci/run
// sets, having installed it): then they fail.

// browser is a headless chromium tab and the JavaScript errors it logged.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	js  []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("P2P_BROWSER") == "1" {
			t.Fatal("P2P_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
		}
		t.Skip("no chromium on PATH: the browser tests need Debian's chromium (P2P_BROWSER=1 makes this a failure)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{ctx: ctx}
	// The first Do starts the browser; the context it runs on must have no
	// timeout (the browser lives as long as it), so the test's bound is
	// on each action (run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			b.js = append(b.js, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.js = append(b.js, "console.error: "+strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("listening to the page: %v", err)
	}
	return b
}

// do runs actions in the tab, within a minute.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// noJSErrors fails the test if the page logged a JavaScript error, or
// gathered one in window.p2p.errors.
func (b *browser) noJSErrors(t *testing.T) {
	t.Helper()
	pageErrs := eval[[]string](t, b, `(window.p2p && window.p2p.errors) || []`)
	b.mu.Lock()
	defer b.mu.Unlock()
	if all := append(b.js, pageErrs...); len(all) > 0 {
		t.Errorf("the page logged JavaScript errors: %q", all)
	}
}

// screenshot saves the page as PNG in the artefacts folder
// ($P2P_ARTEFACTS, else a folder in the system's temporary directory).
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	png := runAction(t, b, chromedp.FullScreenshot(100))
	dir := os.Getenv("P2P_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "p2p-artefacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// servePage runs serve (a p2p command that serves a page) until the test
// ends, and returns the address it printed.
func servePage(t *testing.T, serve func(ctx context.Context, stdout io.Writer) int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- serve(ctx, pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("the server exited %d", code)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		t.Fatalf("the server printed no address: %v", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("the server printed %q, no address", line)
	}
	return strings.Fields(line[i:])[0]
}

// wait polls a JavaScript expression until it is true (the page sets
// window.p2p's fields from its own events; there is no event to wait on
// from Go but this).
func (b *browser) wait(t *testing.T, expr string) {
	t.Helper()
	b.do(t, "waiting for "+expr, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(50*time.Second)))
}

// runAction runs an action that returns a value, within a minute.
func runAction[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fmtFloat(v float64) string { return fmt.Sprintf("%.3f", v) }
