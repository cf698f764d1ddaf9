package picture

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	"github.com/p2p-chat/p2p/node/sim"
)

// WriteSVG writes a still of each run's last message, once it has stopped
// moving, the runs side by side: every link grey, the links that carried
// a node's first copy blue with an arrow (the tree the message took),
// those that carried a duplicate red and dashed (the waste), the sender
// gold, dead nodes black, each node labelled with its number, and the
// counts under each panel.
func WriteSVG(w io.Writer, runs []Run, titles []string, size int) error {
	if len(runs) == 0 || len(runs) != len(titles) {
		return fmt.Errorf("picture: %d runs, %d titles", len(runs), len(titles))
	}
	if size <= 0 {
		size = 480
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", size*len(runs), size+20)
	fmt.Fprintf(bw, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker></defs>`+"\n", hex(palette[firstBlue]))
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, r := range runs {
		if len(r.Trace.Messages) == 0 {
			return fmt.Errorf("picture: run %d has no message", i)
		}
		p := newPanel(r, titles[i], image.Pt(i*size, 0), size)
		p.svg(bw, i*size, size)
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func (p *panel) svg(w io.Writer, x0, size int) {
	r := p.run.Result
	for _, e := range r.EdgeList {
		a, b := p.pos[e[0]], p.pos[e[1]]
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", a.X, a.Y, b.X, b.Y, hex(palette[linkGrey]))
	}
	var c counts
	has := make([]bool, r.Nodes)
	for _, f := range p.frames {
		c.add(f)
		if f.Kind != sim.KindPayload || f.Fate == sim.Lost {
			continue
		}
		a, b := p.pos[f.From], p.pos[f.To]
		if f.Fate == sim.First {
			has[f.To] = true
			// Stop the arrow at the receiver's edge.
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" marker-end="url(#arrow)"/>`+"\n",
				a.X, a.Y, shorten(a, b, p.radius), shortenY(a, b, p.radius), hex(palette[firstBlue]))
		} else {
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-dasharray="4 3"/>`+"\n", a.X, a.Y, b.X, b.Y, hex(palette[dupRed]))
		}
	}
	sender := p.run.Trace.Messages[p.msg].Sender
	for i, at := range p.pos {
		fill := palette[white]
		switch {
		case p.dead[i]:
			fill = palette[deadBlack]
		case i == sender:
			fill = palette[senderGold]
		case has[i]:
			fill = palette[hasBlue]
		}
		fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="%d" fill="%s" stroke="%s"><title>node %d</title></circle>`+"\n", at.X, at.Y, p.radius, hex(fill), hex(palette[ink]), i)
		if p.radius >= 7 {
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-size="%d">%d</text>`+"\n", at.X, at.Y+p.radius/2, p.radius, i)
		}
	}
	fmt.Fprintf(w, `<text x="%d" y="14">%s: %s, %d nodes, D=%.1f, message %d</text>`+"\n", x0+6, p.title, r.Topology, r.Nodes, r.Degree, p.msg+1)
	fmt.Fprintf(w, `<text x="%d" y="%d">sent %d, duplicates %d, control %d, lost %d; N*D=%.0f, N(D-1)+1=%.0f, N-1=%d</text>`+"\n",
		x0+6, size+14, c.payload, c.dup, c.control, c.lost, r.RefTutorial, r.RefNoSendBack, r.Nodes-1)
}

// shorten and shortenY give the point r pixels before b on the way from a.
func shorten(a, b image.Point, r int) float64 {
	x, _ := before(a, b, r)
	return x
}

func shortenY(a, b image.Point, r int) float64 {
	_, y := before(a, b, r)
	return y
}

func before(a, b image.Point, r int) (float64, float64) {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	l := max(1, math.Hypot(dx, dy))
	return float64(b.X) - dx*float64(r)/l, float64(b.Y) - dy*float64(r)/l
}

func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
