package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
	"github.com/p2p-chat/p2p/script"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/*.txtar from the actual output")

// TestMain makes the test binary act as p2p when testscript runs it under
// that name, so the scenarios run the very code of cmd/p2p.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"p2p": func() { os.Exit(script.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScenarios runs testdata/*.txtar; see docs/scenarios.md.
func TestScenarios(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// A binary built with -race sleeps a second before it exits
			// (to let other goroutines report); the scenarios start many.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			// Key files (identity.DefaultPath) go in the scenario's own
			// directory, never in the user's.
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "config"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitaddr":  cmdWaitAddr,
			"jsonlines": cmdJSONLines,
			"redact":    cmdRedact,
			"rawtcp":    cmdRawTCP,
			"preclaim":  cmdPreclaim,
		},
	})
}

// addrWait bounds waitaddr.
const addrWait = 20 * time.Second

// addrVars is the environment variable in which waitaddr lists the
// variables it set, for redact.
const addrVars = "P2P_ADDR_VARS"

// otherAddr matches a loopback address that no variable names; nodeID a
// random node id (message ids start with one).
var (
	otherAddr = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	nodeID    = regexp.MustCompile(`\b[0-9a-f]{16}\b`)
	// outCounter is a stats line of frames or bytes written.
	outCounter = regexp.MustCompile(`(?m)^((?:control_)?(?:frames|bytes)_out) [0-9]+$`)
)

// cmdRedact is `redact SRC DST`: it copies SRC (a file, stdout or stderr)
// to DST with every address set by waitaddr replaced by its variable, as
// in $B, any other loopback address by 127.0.0.1:PORT and node ids by ID,
// so that golden
// files are stable and `cmp DST golden` can rewrite them with -update.
//
// With -out-counters first it also writes the counts of frames and bytes
// written (frames_out, bytes_out, control_frames_out, control_bytes_out)
// as N: a control frame queued a moment before `stats` (a catch-up
// round's SYNCED) may or may not have been written yet.
func cmdRedact(ts *testscript.TestScript, neg bool, args []string) {
	outCounters := len(args) > 0 && args[0] == "-out-counters"
	if outCounters {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: redact [-out-counters] SRC DST")
	}
	text := ts.ReadFile(args[0])
	var pairs []string
	for _, v := range strings.Fields(ts.Getenv(addrVars)) {
		if a := ts.Getenv(v); a != "" {
			pairs = append(pairs, a, "$"+v)
		}
	}
	text = strings.NewReplacer(pairs...).Replace(text)
	text = otherAddr.ReplaceAllString(text, "127.0.0.1:PORT")
	text = nodeID.ReplaceAllString(text, "ID")
	if outCounters {
		text = outCounter.ReplaceAllString(text, "$1 N")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o666))
}

// cmdWaitAddr is `waitaddr VAR FILE`: it waits until FILE (written
// atomically by p2p -addr-file once the node listens) exists, then sets
// the environment variable VAR to the address in it.
func cmdWaitAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitaddr VAR FILE")
	}
	path := ts.MkAbs(args[1])
	deadline := time.Now().Add(addrWait)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			ts.Setenv(args[0], strings.TrimSpace(string(data)))
			ts.Setenv(addrVars, strings.TrimSpace(ts.Getenv(addrVars)+" "+args[0]))
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitaddr: %s did not appear within %v", args[1], addrWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cmdJSONLines is `jsonlines FILE`: every line of FILE (or stdout, or
// stderr) must be a JSON object with a string field "event".
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonlines FILE")
	}
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(args[0])))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			ts.Fatalf("%s:%d: not a JSON object: %v: %s", args[0], n, err, sc.Text())
		}
		if _, ok := obj["event"].(string); !ok {
			ts.Fatalf("%s:%d: no \"event\" field: %s", args[0], n, sc.Text())
		}
	}
	if n == 0 {
		ts.Fatalf("%s: no lines", args[0])
	}
}

// cmdRawTCP is `rawtcp ADDR FILE`: it plays a raw client, not a p2p node:
// it dials ADDR, writes FILE's bytes as they are, and copies what comes
// back until the other side closes to stdout.
func cmdRawTCP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: rawtcp ADDR FILE")
	}
	conn, err := net.DialTimeout("tcp", args[0], addrWait)
	ts.Check(err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(addrWait))
	_, err = conn.Write([]byte(ts.ReadFile(args[1])))
	ts.Check(err)
	reply, err := io.ReadAll(conn)
	ts.Check(err)
	ts.Stdout().Write(reply)
}

// cmdPreclaim is `preclaim ADDR VICTIM-ID N`: it plays the attacker of
// docs/security.md's first row, as a protocol 2 node with a key of its own.
// It connects to ADDR, waits for a message of the victim's (the node with
// that id) to learn its key and last sequence number, and sends N messages in the victim's key with the
// next N numbers and signatures that are not the victim's. Once the node
// has cut it, it connects again and sends one genuine message of its own,
// "attack done" (with a new key), so the victim knows when to speak. It prints what the
// node said to it.
func cmdPreclaim(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: preclaim ADDR VICTIM-ID N")
	}
	count, err := strconv.Atoi(args[2])
	ts.Check(err)
	me, err := identity.Generate()
	ts.Check(err)

	conn, r := signedDial(ts, args[0], me)
	var last uint64
	var victimKey string
	for last == 0 {
		line, err := r.ReadString('\n')
		ts.Check(err)
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "SMSG" {
			continue
		}
		var buf [identity.PublicKeySize + 2]byte
		if pub, err := identity.DecodeKey(buf[:], []byte(f[3])); err == nil && identity.NodeID(pub) == args[1] {
			victimKey = f[3]
			last, err = strconv.ParseUint(f[4], 10, 64)
			ts.Check(err)
		}
	}
	var claims strings.Builder
	for i := range uint64(count) {
		signed := wire.SignedPart(victimKey, last+1+i, time.Now().UnixMilli(), "v", "censored")
		claims.WriteString(wire.EncodeSignedMsg(1, strings.Repeat("A", identity.EncodedSigLen), signed))
	}
	conn.Write([]byte(claims.String())) // the node cuts us part way
	reply, _ := io.ReadAll(r)
	for _, line := range strings.Split(string(reply), "\n") {
		if strings.HasPrefix(line, "ERR ") {
			fmt.Fprintln(ts.Stdout(), line)
		}
	}
	conn.Close()

	// A new key: the node may not have let go of the cut connection yet
	// (it would refuse the same node as already connected), and keys are
	// free anyway.
	me, err = identity.Generate()
	ts.Check(err)
	conn, _ = signedDial(ts, args[0], me)
	defer conn.Close()
	signed := wire.SignedPart(me.PublicText(), 1, time.Now().UnixMilli(), "mallory", "attack done")
	_, err = conn.Write([]byte(wire.EncodeSignedMsg(1, me.SignMessage(signed), signed)))
	ts.Check(err)
	conn.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, conn)
}

// signedDial connects to addr and completes a protocol 2 handshake as a
// node named mallory with key.
func signedDial(ts *testscript.TestScript, addr string, key *identity.Key) (net.Conn, *bufio.Reader) {
	conn, err := net.DialTimeout("tcp", addr, addrWait)
	ts.Check(err)
	conn.SetDeadline(time.Now().Add(addrWait))
	r := bufio.NewReader(conn)
	ours := identity.NewNonce()
	_, err = conn.Write([]byte(wire.EncodeHello(2, key.ID(), "mallory", "", 65536, key.PublicText(), ours)))
	ts.Check(err)
	hello, err := r.ReadString('\n')
	ts.Check(err)
	f := strings.Fields(hello)
	var theirs string
	for _, opt := range f {
		if v, ok := strings.CutPrefix(opt, "nonce="); ok {
			theirs = v
		}
	}
	if len(f) < 3 || f[0] != "HELLO" || theirs == "" {
		ts.Fatalf("preclaim: the node answered %q", hello)
	}
	proof := key.SignProof(identity.Transcript(true, []byte(theirs), []byte(ours), key.ID(), f[2], nil))
	_, err = conn.Write([]byte(wire.EncodeAuth(proof)))
	ts.Check(err)
	if auth, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(auth, "AUTH ") {
		ts.Fatalf("preclaim: the node answered %q (%v) to our proof", auth, err)
	}
	return conn, r
}
