package script

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLivePageShowsAMessageFromAnotherProcess: node a runs with -http; the
// page, in headless chromium, shows b (another process) as a peer, then
// the message b sends, with its path (1 hop, from b), and a text that
// looks like HTML as text; the page's send box sends as a, and b gets it.
// The time from b's send to the page showing it is reported (goal: 1 s).
func TestLivePageShowsAMessageFromAnotherProcess(t *testing.T) {
	bin := buildP2P(t)
	dir := t.TempDir()
	a := startNode(t, bin, dir, "a", "-http", "127.0.0.1:0")
	page := a.next("http")
	b := startNode(t, bin, dir, "b")
	br := newBrowser(t)
	br.do(t, "loading the page", chromedp.Navigate(page["url"].(string)))
	br.wait(t, `window.p2p && window.p2p.connected`)

	b.do("connect %s", a.addr)
	b.next("connected")
	a.next("connected")
	br.wait(t, `window.p2p.state && window.p2p.state.peers.peers.length === 1 && window.p2p.state.peers.peers[0].name === "b"`)

	sentAt := time.Now()
	b.do("send hello from b")
	a.next("message")
	br.wait(t, `window.p2p.arrived["hello from b"] > 0`)
	shownAt := eval[float64](t, br, `window.p2p.arrived["hello from b"]`)
	t.Logf("b's message on a's page %v after b's send", time.UnixMilli(int64(shownAt)).Sub(sentAt).Round(time.Millisecond))
	row := eval[[]string](t, br, `[...document.querySelector("#log tbody tr.msg").cells].map(c => c.textContent)`)
	if len(row) != 4 || row[1] != "b" || row[2] != "1 hop, from b" || row[3] != "hello from b" {
		t.Errorf("the message's row is %q, want origin b, 1 hop from b, the text", row)
	}

	html := `<img src=x onerror="window.p2p.errors.push('injected')">`
	b.do("send %s", html)
	a.next("message")
	br.wait(t, fmt.Sprintf(`window.p2p.arrived[%q] > 0`, html))
	if imgs := eval[int](t, br, `document.querySelectorAll("#log img").length`); imgs != 0 {
		t.Errorf("a message's text became %d HTML elements on the page", imgs)
	}

	br.do(t, "typing and sending", chromedp.SendKeys(chromedp.CSS("#text"), "hello from the page"), chromedp.Click(chromedp.CSS("#send")))
	got := b.next("message")
	if got["text"] != "hello from the page" || got["origin"] != "a" {
		t.Errorf("b got %v, want the page's text from a", got)
	}
	br.wait(t, `[...document.querySelectorAll("#log tbody tr.msg")].some(r => r.cells[2].textContent.startsWith("sent here"))`)
	br.wait(t, `window.p2p.state.stats.delivered === 2 && window.p2p.state.stats.sent === 1`)
	br.screenshot(t, "node-page.png")
	br.noJSErrors(t)
	a.drainUntilEcho()
	b.drainUntilEcho()
}
