package script

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// runHistory is `history [-n N] [-from NAME] [-since DURATION]`: the
// stored messages (signed, delivered or sent by this node), oldest first;
// with -n the last N of those that match.
func runHistory(ctx context.Context, s *Session, c *call) error {
	last, from, since := 0, "", time.Duration(0)
	args := c.line.args
	for len(args) > 0 {
		if len(args) < 2 {
			return fmt.Errorf("history: %s needs a value (usage: history [-n N] [-from NAME] [-since DURATION])", args[0])
		}
		switch args[0] {
		case "-n":
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return fmt.Errorf("history: -n expects a count from 1, got %q", args[1])
			}
			last = n
		case "-from":
			from = args[1]
		case "-since":
			d, err := time.ParseDuration(args[1])
			if err != nil || d <= 0 {
				return fmt.Errorf("history: -since expects a duration such as 10m, got %q", args[1])
			}
			since = d
		default:
			return fmt.Errorf("history: unknown option %q (usage: history [-n N] [-from NAME] [-since DURATION])", args[0])
		}
		args = args[2:]
	}
	s.sync()
	now := time.Now()
	es := s.n.History(func(e node.HistoryEntry) bool {
		return (from == "" || e.Origin == from) && (since == 0 || now.Sub(e.At) <= since)
	})
	if last > 0 && len(es) > last {
		es = es[len(es)-last:]
	}
	s.out.history(es)
	return nil
}

// history prints stored messages: in text "TIME ORIGIN: TEXT" (the time
// this node got it, UTC), in JSON one line with them all.
func (o *output) history(es []node.HistoryEntry) {
	o.print("history", func(b []byte) []byte {
		if len(es) == 0 {
			return append(b, "no history\n"...)
		}
		for _, e := range es {
			b = fmt.Appendf(b, "%s %s: %s\n", e.At.UTC().Format("2006-01-02T15:04:05.000Z"), e.Origin, e.Text)
		}
		return b
	}, newHistoryLine(es))
}

type historyLine struct {
	Messages []historyRow `json:"messages"` // [] when there are none
}

type historyRow struct {
	ID     string `json:"id"`
	Origin string `json:"origin"`
	From   string `json:"from"`
	Text   string `json:"text"`
	At     string `json:"at"` // when this node delivered or sent it
}

func newHistoryLine(es []node.HistoryEntry) historyLine {
	rows := make([]historyRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, historyRow{ID: e.ID, Origin: e.Origin, From: e.From, Text: e.Text, At: jsonTime(e.At)})
	}
	return historyLine{rows}
}
