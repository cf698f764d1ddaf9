package secure

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/flynn/noise"
)

// maxMessage is the largest Noise message; maxChunk the plaintext it
// carries (less the 16-byte authentication tag).
const (
	maxMessage = 65535
	maxChunk   = maxMessage - 16
)

// Conn is an encrypted connection. Read and Write may run on two
// goroutines at once (one each), as a peer's reader and writer do.
type Conn struct {
	net.Conn
	binding []byte

	rmu     sync.Mutex // guards the read state below
	recv    *noise.CipherState
	rbuf    []byte // bytes of the next message read so far (kept across a timeout)
	pbuf    []byte // decrypted bytes; plain is what is left of them
	plain   []byte
	ended   bool  // the other side's end marker came
	readErr error // a read error that ends reading (not a timeout)

	wmu    sync.Mutex // guards the write state below
	send   *noise.CipherState
	wbuf   []byte
	wpend  []byte // the rest of a message a write deadline cut
	closed bool   // our end marker was sent
}

// ChannelBinding is the handshake's hash: the same on both ends of this
// connection and no other, for proofs that must not be replayed on
// another connection (the node signs it in its HELLO proof).
func (c *Conn) ChannelBinding() []byte { return c.binding }

// ErrCorrupt is a message that does not decrypt: the connection was
// tampered with.
var ErrCorrupt = errors.New("secure: a message did not decrypt (the connection was tampered with)")

func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.plain) == 0 {
		if c.ended {
			return 0, io.EOF
		}
		if c.readErr != nil {
			return 0, c.readErr
		}
		msg, err := c.fill()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, err // what was read stays in rbuf for the next Read
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // closed without the end marker: cut
			}
			c.readErr = err
			return 0, err
		}
		out, err := c.recv.Decrypt(c.pbuf[:0], nil, msg)
		c.rbuf = c.rbuf[:0]
		if err != nil {
			c.readErr = ErrCorrupt
			return 0, ErrCorrupt
		}
		c.pbuf = out
		if len(out) == 0 {
			c.ended = true
			continue
		}
		c.plain = out
	}
	n := copy(b, c.plain)
	c.plain = c.plain[n:]
	return n, nil
}

// fill reads until rbuf holds one whole message and returns it (without
// its length).
func (c *Conn) fill() ([]byte, error) {
	for {
		need := 2
		if len(c.rbuf) >= 2 {
			need = 2 + int(binary.BigEndian.Uint16(c.rbuf))
			if len(c.rbuf) >= need {
				return c.rbuf[2:need], nil
			}
		}
		if cap(c.rbuf) < need {
			c.rbuf = append(make([]byte, 0, max(need, 4096)), c.rbuf...)
		}
		n, err := c.Conn.Read(c.rbuf[len(c.rbuf):need])
		c.rbuf = c.rbuf[:len(c.rbuf)+n]
		if err != nil {
			return nil, err
		}
	}
}

func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return 0, fmt.Errorf("secure: write after CloseWrite: %w", net.ErrClosed)
	}
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), maxChunk)]
		committed, err := c.writeMessage(chunk)
		if committed {
			written += len(chunk)
		}
		if err != nil {
			return written, err
		}
		b = b[len(chunk):]
	}
	return written, nil
}

// writeMessage encrypts one chunk and writes it with its length, and
// reports whether the chunk is committed: all sent, or partly sent with
// the rest kept in wpend for the next write (a deadline cut it), so the
// stream of messages stays whole. A write that moved no byte takes the
// nonce back: as if it never happened.
func (c *Conn) writeMessage(plain []byte) (committed bool, err error) {
	if err := c.flushPending(); err != nil {
		return false, err
	}
	nonce := c.send.Nonce()
	c.wbuf = append(c.wbuf[:0], 0, 0)
	out, err := c.send.Encrypt(c.wbuf, nil, plain)
	if err != nil {
		return false, err
	}
	binary.BigEndian.PutUint16(out, uint16(len(out)-2))
	n, err := c.Conn.Write(out)
	c.wbuf = out
	switch {
	case err == nil:
		return true, nil
	case n == 0:
		c.send.SetNonce(nonce)
		return false, err
	default:
		c.wpend = append(c.wpend[:0], out[n:]...)
		return true, err
	}
}

// flushPending writes the rest of a message a deadline cut.
func (c *Conn) flushPending() error {
	for len(c.wpend) > 0 {
		n, err := c.Conn.Write(c.wpend)
		c.wpend = c.wpend[n:]
		if err != nil {
			return err
		}
	}
	return nil
}

// Close sends the end marker, if it was not sent, within a short deadline
// (best effort), and closes the connection.
func (c *Conn) Close() error {
	c.wmu.Lock()
	if !c.closed {
		c.closed = true
		c.Conn.SetWriteDeadline(time.Now().Add(closeWait))
		c.writeMessage(nil) // best effort
	}
	c.wmu.Unlock()
	return c.Conn.Close()
}

// closeWait bounds the end marker's write in Close.
const closeWait = 100 * time.Millisecond

// CloseWrite sends the end marker and closes the write half of the inner
// connection, if it has one.
func (c *Conn) CloseWrite() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if _, err := c.writeMessage(nil); err != nil {
		return err
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writeFrame writes a handshake message with its length.
func writeFrame(w io.Writer, msg []byte) error {
	b := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(b, uint16(len(msg)))
	copy(b[2:], msg)
	_, err := w.Write(b)
	return err
}

// readFrame reads one length-prefixed message into buf's space.
func readFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if cap(buf) < n {
		buf = make([]byte, n, maxMessage)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
