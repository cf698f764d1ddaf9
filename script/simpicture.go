package script

import (
	"fmt"
	"io"
	"os"

	"github.com/p2p-chat/p2p/node/sim"
	"github.com/p2p-chat/p2p/node/sim/picture"
)

// Bounds of what p2p sim draws: a picture or a page holds every frame of
// the run, about N*D per message.
const (
	maxDrawnFrames = 4_000_000 // -gif, -svg: N*D*messages
	maxServedNodes = 5_000     // -serve: nodes in the page
)

// checkDrawable refuses runs too big to trace or to show.
func checkDrawable(cfg sim.Config, serve bool, offline float64, partition bool) error {
	if offline > 0 || partition {
		return fmt.Errorf("-gif, -svg and -serve do not draw -offline or -partition runs (their catch-up is counted, not traced)")
	}
	if serve && cfg.Nodes > maxServedNodes {
		return fmt.Errorf("-serve shows at most %d nodes, got -n %d", maxServedNodes, cfg.Nodes)
	}
	if frames := cfg.Nodes * max(cfg.Degree, 1) * cfg.Messages; frames > maxDrawnFrames {
		return fmt.Errorf("a drawn run keeps every frame: -n times -d times -messages is %d, at most %d", frames, maxDrawnFrames)
	}
	return nil
}

// pictures are the -gif and -svg files asked for.
type pictures struct {
	gif, svg string
}

func (p pictures) wanted() bool { return p.gif != "" || p.svg != "" }

// write draws the runs (their last messages, side by side) to the files.
func (p pictures) write(runs []picture.Run, titles []string) error {
	if p.gif != "" {
		if err := writeFileWith(p.gif, func(w io.Writer) error {
			return picture.WriteGIF(w, runs, titles, picture.GIFOptions{})
		}); err != nil {
			return fmt.Errorf("-gif: %w", err)
		}
	}
	if p.svg != "" {
		if err := writeFileWith(p.svg, func(w io.Writer) error {
			return picture.WriteSVG(w, runs, titles, 0)
		}); err != nil {
			return fmt.Errorf("-svg: %w", err)
		}
	}
	return nil
}

// writeFileWith creates path and writes it with write; on failure the
// file is removed.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
