package identity

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInUse is a key file held by another running process.
var ErrInUse = errors.New("identity file is in use by another p2p process")

// maxFileBytes bounds what is read of a key file.
const maxFileBytes = 16 << 10

// DefaultPath is where a node named name keeps its key when no file is
// given: <user config dir>/p2p/keys/<name>.pem ("default.pem" without a
// name), so nodes with different names on one machine have different
// identities.
func DefaultPath(name string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("identity: no config directory to keep the key in (%v): give -identity FILE, or -ephemeral", err)
	}
	if name == "" {
		name = "default"
	}
	return filepath.Join(dir, "p2p", "keys", name+".pem"), nil
}

// File is a key loaded from a file that this process holds locked until
// Close.
type File struct {
	*Key
	Path    string
	Created bool // the file did not exist and was made now
	f       *os.File
}

// Close releases the file's lock.
func (f *File) Close() error { return f.f.Close() }

// Open loads the key in path, or makes a new key and writes it there (mode
// 0600, in a directory of mode 0700) if there is no such file. It refuses
// a file that others may read, and one another process holds: two nodes
// with one identity would refuse each other and drop each other's
// messages as duplicates.
func Open(path string) (*File, error) {
	f, created, err := openOrCreate(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("identity %s: %w; give this node its own -identity FILE (or -name), or -ephemeral", path, ErrInUse)
		}
		return nil, fmt.Errorf("identity %s: lock: %w", path, err)
	}
	var key *Key
	if created {
		key, err = writeNew(f)
	} else {
		key, err = readKey(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("identity %s: %w", path, err)
	}
	return &File{Key: key, Path: path, Created: created, f: f}, nil
}

// openOrCreate opens path for reading and writing, creating it (and its
// directory) if it does not exist. A file made by a process that died
// before writing its key is empty: readKey refuses it with a clear error.
func openOrCreate(path string) (*os.File, bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("identity: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("identity: %w", err)
	}
	f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false, fmt.Errorf("identity: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("identity: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		f.Close()
		return nil, false, fmt.Errorf("identity %s: the key file may be read by others (mode %04o); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return f, false, nil
}

func writeNew(f *os.File) (*Key, error) {
	key, err := Generate()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key.priv)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return key, nil
}

func readKey(f *os.File) (*Key, error) {
	buf := make([]byte, maxFileBytes)
	n, err := f.ReadAt(buf, 0)
	if n == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, errors.New("the key file is empty (remove it to make a new identity)")
	}
	block, _ := pem.Decode(buf[:n])
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" file (an ed25519 key in PKCS #8, as p2p writes)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("bad key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not an ed25519 key", k)
	}
	return fromPrivate(priv), nil
}
