// Command p2p is a flood-fill peer-to-peer chat node. Run it in a terminal
// for a REPL, or feed it commands from a pipe or script files:
//
//	p2p -name alice
//	p2p -name bob -listen 127.0.0.1:0 < scenario.txt
//	p2p -json scenario.txt
//
// The command language, flags and output are documented in package script
// and in docs/commands.md; `p2p -h` lists them.
package main

import (
	"os"

	"github.com/p2p-chat/p2p/script"
)

func main() {
	os.Exit(script.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
