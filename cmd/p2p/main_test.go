package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

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
)

// cmdRedact is `redact SRC DST`: it copies SRC (a file, stdout or stderr)
// to DST with every address set by waitaddr replaced by its variable, as
// in $B, any other loopback address by 127.0.0.1:PORT and node ids by ID,
// so that golden
// files are stable and `cmp DST golden` can rewrite them with -update.
func cmdRedact(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: redact SRC DST")
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
