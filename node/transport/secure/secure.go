package secure

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/flynn/noise"

	"github.com/p2p-chat/p2p/node/transport"
)

// MinSecret is the least number of bytes a network secret may have.
const MinSecret = 16

// KeyFromSecret derives the 32-byte pre-shared key from a network secret
// (any high-entropy bytes: a file's contents, an environment variable),
// with HKDF-SHA256 and a context string of its own.
func KeyFromSecret(secret []byte) ([]byte, error) {
	if len(secret) < MinSecret {
		return nil, fmt.Errorf("the network secret has %d bytes; it needs at least %d (make one with: head -c 32 /dev/urandom | base64 > FILE)", len(secret), MinSecret)
	}
	return hkdf.Key(sha256.New, secret, nil, "p2p/2 network key", 32)
}

var suite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashBLAKE2s)

// prologue binds the handshake to this protocol.
var prologue = []byte("p2p/2 secure transport")

// MaxHandshakes bounds the handshakes a listener runs at once; past it a
// new connection is closed at once.
const MaxHandshakes = 128

// PlainRefusal is what a node with a secret answers to a plaintext HELLO.
const PlainRefusal = "ERR private network: this node talks only to nodes started with its network's secret (-secret), encrypted\n"

// ErrHandshake is a failed secure handshake: the other side does not know
// the network's secret, or is not a p2p node with one.
var ErrHandshake = errors.New("secure handshake failed: the other side does not know this network's secret (or is not a p2p node started with one)")

// Transport is a transport.Transport whose connections are Noise
// sessions keyed by a pre-shared key.
type Transport struct {
	inner   transport.Transport
	psk     []byte
	timeout time.Duration
}

// New wraps inner. psk is the 32-byte key (KeyFromSecret); timeout bounds
// each handshake.
func New(inner transport.Transport, psk []byte, timeout time.Duration) *Transport {
	return &Transport{inner: inner, psk: psk, timeout: timeout}
}

// Dial connects to addr and runs the handshake as its initiator.
func (t *Transport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	raw, err := t.inner.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Now()) })
	defer stop()
	c, err := handshake(raw, t.psk, true, deadline)
	if err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return c, nil
}

// Listen listens on addr; its Accept returns connections whose handshake
// succeeded.
func (t *Transport) Listen(addr string) (net.Listener, error) {
	ln, err := t.inner.Listen(addr)
	if err != nil {
		return nil, err
	}
	l := &listener{Listener: ln, t: t, ready: make(chan net.Conn), done: make(chan struct{}), slots: make(chan struct{}, MaxHandshakes)}
	go l.acceptLoop()
	return l, nil
}

type listener struct {
	net.Listener
	t     *Transport
	ready chan net.Conn
	done  chan struct{}
	slots chan struct{} // handshakes under way

	once sync.Once
	mu   sync.Mutex // guards err
	err  error      // why the inner listener stopped
}

// acceptLoop accepts raw connections and runs each handshake on its own
// goroutine, so a silent stranger never holds up the others.
func (l *listener) acceptLoop() {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.close()
			return
		}
		select {
		case l.slots <- struct{}{}:
		default:
			raw.Close() // too many handshakes under way
			continue
		}
		go func() {
			defer func() { <-l.slots }()
			c, err := handshake(raw, l.t.psk, false, time.Now().Add(l.t.timeout))
			if err != nil {
				raw.Close()
				return
			}
			select {
			case l.ready <- c:
			case <-l.done:
				c.Close()
			}
		}()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.close()
	return l.Listener.Close()
}

func (l *listener) close() { l.once.Do(func() { close(l.done) }) }

// handshake runs NNpsk0 on raw, as initiator or responder, within the
// deadline, and returns the encrypted connection.
func handshake(raw net.Conn, psk []byte, initiator bool, deadline time.Time) (*Conn, error) {
	raw.SetDeadline(deadline)
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite: suite, Pattern: noise.HandshakeNN, Initiator: initiator,
		Prologue: prologue, PresharedKey: psk, PresharedKeyPlacement: 0,
	})
	if err != nil {
		return nil, err
	}
	var send, recv *noise.CipherState
	if initiator {
		msg, _, _, err := hs.WriteMessage(nil, nil)
		if err == nil {
			err = writeFrame(raw, msg)
		}
		var in []byte
		if err == nil {
			in, err = readFrame(raw, nil)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w (it hung up)", ErrHandshake)
		}
		if err != nil {
			return nil, err
		}
		if _, send, recv, err = hs.ReadMessage(nil, in); err != nil {
			return nil, ErrHandshake
		}
	} else {
		var hdr [2]byte
		if _, err := io.ReadFull(raw, hdr[:]); err != nil {
			return nil, err
		}
		if string(hdr[:]) == "HE" {
			// A plain p2p node or a person with netcat saying HELLO: tell
			// them in their own words, and hang up.
			raw.Write([]byte(PlainRefusal))
			return nil, ErrHandshake
		}
		in, err := readFrame(io.MultiReader(bytes.NewReader(hdr[:]), raw), nil)
		if err != nil {
			return nil, err
		}
		if _, _, _, err := hs.ReadMessage(nil, in); err != nil {
			return nil, ErrHandshake
		}
		msg, cs1, cs2, err := hs.WriteMessage(nil, nil)
		if err == nil {
			err = writeFrame(raw, msg)
		}
		if err != nil {
			return nil, err
		}
		send, recv = cs2, cs1
	}
	raw.SetDeadline(time.Time{})
	return &Conn{Conn: raw, send: send, recv: recv, binding: hs.ChannelBinding()}, nil
}
