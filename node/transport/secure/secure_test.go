package secure

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

func testKey(t testing.TB, secret string) []byte {
	k, err := KeyFromSecret([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pair returns both ends of one secure connection over memnet.
func pair(t testing.TB, dialKey, listenKey []byte) (dialed, accepted net.Conn, err error) {
	inner := memnet.New(0)
	ln, err := New(inner, listenKey, time.Second).Listen("")
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			got <- c
		}
		close(got)
	}()
	dialed, err = New(inner, dialKey, time.Second).Dial(context.Background(), ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	return dialed, <-got, nil
}

// TestConnIsANetConn runs x/net's conformance suite for net.Conn on a
// secure connection.
func TestConnIsANetConn(t *testing.T) {
	k := testKey(t, "a network secret of some length")
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2, err = pair(t, k, k)
		if err != nil {
			return nil, nil, nil, err
		}
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

func TestLargeWritesAndHalfClose(t *testing.T) {
	k := testKey(t, "a network secret of some length")
	a, b, err := pair(t, k, k)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if !bytes.Equal(a.(*Conn).ChannelBinding(), b.(*Conn).ChannelBinding()) || len(a.(*Conn).ChannelBinding()) == 0 {
		t.Fatal("the two ends have different channel bindings")
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 20_000) // 320 KB: several Noise messages
	go func() {
		a.Write(data)
		a.(*Conn).CloseWrite()
	}()
	got, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v), want %d intact", len(got), err, len(data))
	}
	// The other half still works after the first closed.
	go b.Write([]byte("back"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(a, buf); err != nil || string(buf) != "back" {
		t.Fatalf("the other direction after CloseWrite: %q %v", buf, err)
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	// The listener's side: a dialer with another secret never comes out of
	// Accept; the genuine dialer after it does.
	kb := testKey(t, "the secret of the network B")
	inner := memnet.New(0)
	ln, err := New(inner, kb, time.Second).Listen("")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	if _, err := New(inner, testKey(t, "the secret of the network A"), time.Second).Dial(context.Background(), ln.Addr().String()); err == nil {
		t.Fatal("a dial with another secret succeeded")
	}
	good, err := New(inner, kb, time.Second).Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	good.Write([]byte("g"))
	first := <-accepted
	buf := make([]byte, 1)
	first.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(first, buf); err != nil || buf[0] != 'g' {
		t.Fatalf("the first connection out of Accept is not the genuine one: %q %v", buf, err)
	}

	_, _, err = pair(t, testKey(t, "the secret of the network A"), kb)
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("dial with another secret: %v, want ErrHandshake", err)
	}
	if !strings.Contains(err.Error(), "does not know this network's secret") {
		t.Fatalf("the error does not say why: %v", err)
	}
	if _, err := KeyFromSecret([]byte("short")); err == nil {
		t.Fatal("a 5-byte secret was taken")
	}
}

// TestStrangerNeverReachesAccept: plaintext, silence and garbage never
// come out of Accept, and a silent stranger does not hold up a genuine
// node behind it.
func TestStrangerNeverReachesAccept(t *testing.T) {
	k := testKey(t, "a network secret of some length")
	inner := memnet.New(0)
	ln, err := New(inner, k, 200*time.Millisecond).Listen("")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	silent, _ := inner.Dial(context.Background(), ln.Addr().String())
	defer silent.Close()
	plain, _ := inner.Dial(context.Background(), ln.Addr().String())
	plain.Write([]byte("HELLO 2 0000000000000001 stranger - max-line=512\n"))
	defer plain.Close()
	c, err := New(inner, k, time.Second).Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatalf("a genuine dial behind a silent stranger: %v", err)
	}
	defer c.Close()
	first := <-accepted
	c.Write([]byte("genuine"))
	buf := make([]byte, 7)
	if _, err := io.ReadFull(first, buf); err != nil || string(buf) != "genuine" {
		t.Fatalf("the first accepted connection read %q (%v): not the genuine one", buf, err)
	}
	// The stranger that said HELLO in plain text was told why, and closed.
	plain.SetReadDeadline(time.Now().Add(2 * time.Second))
	if got, err := io.ReadAll(plain); err != nil || string(got) != PlainRefusal {
		t.Fatalf("the plaintext stranger read %q (%v), want %q and the end", got, err, PlainRefusal)
	}
	select {
	case c := <-accepted:
		t.Fatalf("a stranger came out of Accept: %v", c.RemoteAddr())
	default:
	}
}

func TestTamperingIsDetected(t *testing.T) {
	k := testKey(t, "a network secret of some length")
	a, b, err := pair(t, k, k)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Write a valid message, then one with a flipped byte under the inner conn.
	a.Write([]byte("fine"))
	raw := a.(*Conn).Conn
	raw.Write([]byte{0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "fine" {
		t.Fatalf("%q %v", buf, err)
	}
	if _, err := b.Read(buf); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a forged message: %v, want ErrCorrupt", err)
	}
	// A connection cut without the end marker is not a clean end.
	a2, b2, _ := pair(t, k, k)
	defer b2.Close()
	a2.(*Conn).Conn.Close()
	if _, err := b2.Read(buf); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a cut connection: %v, want io.ErrUnexpectedEOF", err)
	}
}

var _ transport.Transport = (*Transport)(nil)

func BenchmarkThroughput(b *testing.B) {
	k := testKey(b, "a network secret of some length")
	for _, mode := range []string{"plain", "secure"} {
		b.Run(mode, func(b *testing.B) {
			var c1, c2 net.Conn
			if mode == "secure" {
				var err error
				if c1, c2, err = pair(b, k, k); err != nil {
					b.Fatal(err)
				}
			} else {
				inner := memnet.New(0)
				ln, _ := inner.Listen("")
				go func() { c2, _ = ln.Accept() }()
				c1, _ = inner.Dial(context.Background(), ln.Addr().String())
				for c2 == nil {
					time.Sleep(time.Millisecond) // the accept above; a benchmark setup
				}
			}
			buf := make([]byte, 16<<10)
			go io.Copy(io.Discard, c2)
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for b.Loop() {
				c1.Write(buf)
			}
		})
	}
}
