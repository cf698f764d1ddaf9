package script

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/p2p-chat/p2p/node/identity"
)

// openIdentity gives the node its key. With -identity FILE the key is in
// FILE (made there if missing); any problem with it is an error. Without
// it the key is in identity.DefaultPath for the node's name; if that file
// is held by another p2p process (three nodes started without -name in
// three terminals), or there is no config directory, the node runs with a
// throwaway key and note says why. -ephemeral and -unsigned use no file.
// closeKey releases the file's lock when the session ends.
func openIdentity(opts *options) (key *identity.Key, closeKey func(), note string, err error) {
	nop := func() {}
	if opts.cfg.Unsigned || opts.ephemeral {
		return nil, nop, "", nil
	}
	path := opts.identityFile
	if path == "" && opts.dataDir != "" {
		// The node's key lives with the rest of what it keeps.
		path = filepath.Join(opts.dataDir, "key.pem")
		if err := os.MkdirAll(opts.dataDir, 0o700); err != nil {
			return nil, nil, "", fmt.Errorf("-data %s: %w", opts.dataDir, err)
		}
	}
	if path == "" {
		p, err := identity.DefaultPath(opts.cfg.Name)
		if err != nil {
			return nil, nop, fmt.Sprintf("a throwaway key: %v", err), nil
		}
		path = p
	}
	f, err := identity.Open(path)
	if errors.Is(err, identity.ErrInUse) && opts.identityFile == "" && opts.dataDir == "" {
		return nil, nop, fmt.Sprintf("a throwaway key: %v", err), nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	return f.Key, func() { f.Close() }, "", nil
}

// identityLine is the note printed when the node could not use its key
// file and runs with a throwaway key.
type identityLine struct {
	Note string `json:"note"`
}
