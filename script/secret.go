package script

import (
	"bytes"
	"fmt"
	"os"

	"github.com/p2p-chat/p2p/node/transport/secure"
)

// maxSecretFile bounds what is read of a -secret file.
const maxSecretFile = 4096

// loadSecret reads the network secret of -secret FILE or -secret-env VAR
// into the node's config. A file that others may read is refused (like a
// key file); so is a secret shorter than secure.MinSecret bytes. Trailing
// white space (a newline) is not part of the secret.
func loadSecret(o *options, lookupEnv func(string) (string, bool)) error {
	var secret []byte
	switch {
	case o.secretFile != "":
		fi, err := os.Stat(o.secretFile)
		if err != nil {
			return fmt.Errorf("-secret: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("-secret %s: the file may be read by others (mode %04o); run chmod 600 %s", o.secretFile, fi.Mode().Perm(), o.secretFile)
		}
		if fi.Size() > maxSecretFile {
			return fmt.Errorf("-secret %s: %d bytes; a secret file holds at most %d", o.secretFile, fi.Size(), maxSecretFile)
		}
		if secret, err = os.ReadFile(o.secretFile); err != nil {
			return fmt.Errorf("-secret: %w", err)
		}
	case o.secretEnv != "":
		v, ok := lookupEnv(o.secretEnv)
		if !ok {
			return fmt.Errorf("-secret-env %s: the variable is not set", o.secretEnv)
		}
		secret = []byte(v)
	default:
		return nil
	}
	secret = bytes.TrimRight(secret, " \t\r\n")
	if len(secret) < secure.MinSecret {
		name := "-secret " + o.secretFile
		if o.secretEnv != "" {
			name = "-secret-env " + o.secretEnv
		}
		return fmt.Errorf("%s: the secret has %d bytes; it needs at least %d (make one with: head -c 32 /dev/urandom | base64 > FILE)", name, len(secret), secure.MinSecret)
	}
	o.cfg.Secret = secret
	return nil
}
