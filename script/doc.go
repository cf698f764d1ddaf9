// Package script is the p2p command language and its front ends: it turns
// lines such as "connect 127.0.0.1:55555" or "send hello" into calls on a
// node.Node, and prints the node's events and the commands' results as
// text or as JSON. cmd/p2p is a thin main around Main.
//
// # Input
//
// One runner serves three front ends:
//
//   - a terminal: a readline REPL with the node's name as prompt, history,
//     and tab completion of command names and arguments. A line that is not
//     a command is sent as a message (as in the tutorial);
//   - a pipe (p2p < scenario.txt): plain lines, no prompt, no history;
//   - files (p2p a.txt b.txt): run in order.
//
// In pipes and files blank lines and lines starting with # are skipped and
// every other line must be a command. A failed command prints FILE:LINE:
// error on stderr (an error event with -json) and stops the script with
// exit status 1, unless -keep-going. At the end of the input the node
// closes (its queues are flushed) and p2p exits 0, or keeps running with
// -stay until SIGINT or SIGTERM, which close it gracefully with status 0.
//
// # Commands
//
//	connect ADDR          connect to the node listening at ADDR
//	join ADDR             connect, then keep -peers connections on its own
//	                      (auto-join: peer exchange, redial with backoff)
//	known                 list the known addresses and their state
//	disconnect PEER       end the connection to PEER (name, id or address)
//	send TEXT             flood TEXT (the rest of the line) to the network
//	peers                 list the connected peers
//	seen                  list the remembered message ids
//	stats                 show the node's counters
//	wait [-t D] peers N   until N peers are connected (also >=N, <=N, >N, <N)
//	wait [-t D] message TEXT | message /RE/
//	                      until a message with that text (or matching RE) has
//	                      been delivered; earlier messages count, each wait
//	                      takes one
//	wait [-t D] messages N
//	                      until N messages have been delivered since the
//	                      start; an exact N fails as soon as more arrive
//	sleep DURATION        pause (never needed to synchronise)
//	echo [TEXT]           print TEXT after the events so far
//	source FILE           run the commands in FILE (a relative FILE is
//	                      taken from the sourcing file's directory)
//	help [COMMAND]        list the commands or explain one
//	quit, exit            close the node and leave
//
// Arguments may use $NAME and ${NAME} from the environment; $$ is a
// literal $, a $ not followed by a name is kept, and a variable that is not
// set is an error. There is no quoting: commands that take text take the
// rest of the line as it is.
//
// # Output
//
// Text lines use node names, not ports, so they are stable:
//
//	listening on 127.0.0.1:55555 as a
//	connected to b (outbound)
//	message from c via b (2 hops): hello
//	disconnected from b: peer left: node shutting down
//
// With -json every event and every command result is one object per line,
// with an "event" field: listening, connected, disconnected, message,
// error, dial, dial_failed, sent, connect, join, disconnect, peers, known,
// seen, stats, wait, sleep, echo, help, hint, source, quit.
// docs/commands.md lists every field.
//
// # Subcommands
//
// p2p sim runs many nodes in one process and reports what flooding costs
// (see package node/sim and docs/bandwidth.md); p2p help [COMMAND] and p2p
// version print the usage and the version. A bad flag or flag value exits
// 2 before a node starts, naming the flag; no flag takes 0 for "the
// default". A script file argument that does not exist and is a command
// word is refused the same way.
//
// Every printed line is written to stdout at once by the output's writer
// goroutine, which batches whatever was printed during its previous write;
// no line waits in a buffer while p2p waits for input, a peer or a timer.
package script
