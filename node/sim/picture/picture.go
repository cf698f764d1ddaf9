package picture

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/p2p-chat/p2p/node/sim"
)

// Run is one traced run to draw: its result and its trace. The picture is
// of the run's last message.
type Run struct {
	Result *sim.Result
	Trace  *sim.Trace
}

// The palette's colours, by index.
const (
	white uint8 = iota
	linkGrey
	ink
	firstBlue
	dupRed
	senderGold
	controlOrange
	hasBlue
	deadBlack
)

var palette = color.Palette{
	color.RGBA{255, 255, 255, 255}, // white: the background, a node without the message
	color.RGBA{205, 205, 205, 255}, // linkGrey: a link
	color.RGBA{40, 40, 40, 255},    // ink: outlines and text
	color.RGBA{31, 119, 180, 255},  // firstBlue: a first copy, and the link it took
	color.RGBA{214, 39, 40, 255},   // dupRed: a duplicate, and a link that carried one
	color.RGBA{255, 187, 0, 255},   // senderGold: the sender
	color.RGBA{255, 127, 14, 255},  // controlOrange: IHAVE, GRAFT, PRUNE
	color.RGBA{158, 202, 225, 255}, // hasBlue: a node that has the message
	color.RGBA{0, 0, 0, 255},       // deadBlack: a dead node, a lost frame
}

// panel is one run laid out in a square of side size at (x0, y0).
type panel struct {
	run    Run
	title  string
	msg    int // the message drawn
	frames []sim.TraceFrame
	start  int64
	pos    []image.Point
	radius int
	dead   []bool
}

// newPanel lays the nodes of run out on a circle, node 0 at the top, in
// the square of side size at origin.
func newPanel(run Run, title string, origin image.Point, size int) *panel {
	r := run.Result
	n := r.Nodes
	p := &panel{run: run, title: title, msg: len(run.Trace.Messages) - 1, pos: make([]image.Point, n), dead: make([]bool, n)}
	p.radius = max(2, min(9, int(float64(size)*1.2/float64(n))))
	centre := float64(size) / 2
	ring := centre - float64(p.radius) - 18
	for i := range n {
		a := 2*math.Pi*float64(i)/float64(n) - math.Pi/2
		p.pos[i] = image.Pt(origin.X+int(centre+ring*math.Cos(a)), origin.Y+16+int(centre-10+ring*math.Sin(a)))
	}
	m := run.Trace.Messages[p.msg]
	p.start = m.Start
	for _, tm := range run.Trace.Messages[:p.msg+1] {
		for _, v := range tm.Killed {
			p.dead[v] = true
		}
	}
	for _, f := range run.Trace.Frames {
		if int(f.Msg) == p.msg {
			p.frames = append(p.frames, f)
		}
	}
	return p
}

// end is when the panel's last frame arrives (virtual ns).
func (p *panel) end() int64 {
	e := p.start
	for _, f := range p.frames {
		e = max(e, f.At)
	}
	return e
}

// shortest is the shortest link crossing in the panel (virtual ns).
func (p *panel) shortest() int64 {
	s := int64(math.MaxInt64)
	for _, f := range p.frames {
		s = min(s, f.At-f.Sent)
	}
	return s
}

// counts is what has arrived by virtual time now.
type counts struct {
	payload, first, dup, control, lost int
}

// add counts one frame that arrived.
func (c *counts) add(f sim.TraceFrame) {
	switch {
	case f.Fate == sim.Lost:
		c.lost++
	case f.Kind != sim.KindPayload:
		c.control++
	case f.Fate == sim.First:
		c.payload++
		c.first++
	default:
		c.payload++
		c.dup++
	}
}

// draw draws the panel as it is at virtual time now.
func (p *panel) draw(img *image.Paletted, now int64) counts {
	var c counts
	r := p.run.Result
	for _, e := range r.EdgeList {
		line(img, p.pos[e[0]], p.pos[e[1]], linkGrey)
	}
	has := make([]bool, r.Nodes)
	sender := p.run.Trace.Messages[p.msg].Sender
	has[sender] = true
	// Links that carried a copy, coloured by the first copy over them.
	for _, f := range p.frames {
		if f.At > now || f.Kind != sim.KindPayload {
			continue
		}
		switch f.Fate {
		case sim.First:
			has[f.To] = true
			thickLine(img, p.pos[f.From], p.pos[f.To], firstBlue)
		case sim.Duplicate:
			line(img, p.pos[f.From], p.pos[f.To], dupRed)
		}
	}
	for _, f := range p.frames {
		if f.At <= now {
			c.add(f)
			continue
		}
		if f.Sent > now {
			continue
		}
		// On its way: a dot between the two ends.
		t := float64(now-f.Sent) / float64(f.At-f.Sent)
		a, b := p.pos[f.From], p.pos[f.To]
		at := image.Pt(a.X+int(t*float64(b.X-a.X)), a.Y+int(t*float64(b.Y-a.Y)))
		colour := firstBlue
		switch {
		case f.Fate == sim.Lost:
			colour = deadBlack
		case f.Kind != sim.KindPayload:
			colour = controlOrange
		case f.Fate == sim.Duplicate:
			colour = dupRed
		}
		disc(img, at, max(2, p.radius/2), colour, colour)
	}
	for i, at := range p.pos {
		fill := white
		switch {
		case p.dead[i]:
			fill = deadBlack
		case i == sender:
			fill = senderGold
		case has[i]:
			fill = hasBlue
		}
		disc(img, at, p.radius, ink, fill)
	}
	return c
}

// caption writes the panel's title and counts above and below it.
func (p *panel) caption(img *image.Paletted, origin image.Point, size int, now int64, c counts) {
	r := p.run.Result
	text(img, origin.X+6, origin.Y+13, fmt.Sprintf("%s: %s, %d nodes, D=%.1f, message %d", p.title, r.Topology, r.Nodes, r.Degree, p.msg+1))
	line2 := fmt.Sprintf("t=%3dms sent %d dup %d", (now-p.start)/1e6, c.payload, c.dup)
	if c.control > 0 {
		line2 += fmt.Sprintf(" ctrl %d", c.control)
	}
	text(img, origin.X+6, origin.Y+size-4, line2)
	text(img, origin.X+6, origin.Y+size+10, fmt.Sprintf("N*D=%.0f N(D-1)+1=%.0f N-1=%d", r.RefTutorial, r.RefNoSendBack, r.Nodes-1))
}

// line draws a one-pixel line from a to b (Bresenham).
func line(img *image.Paletted, a, b image.Point, c uint8) {
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	err := dx + dy
	for x, y := a.X, a.Y; ; {
		img.SetColorIndex(x, y, c)
		if x == b.X && y == b.Y {
			return
		}
		if e2 := 2 * err; e2 >= dy {
			err += dy
			x += sx
		} else {
			err += dx
			y += sy
		}
	}
}

// thickLine draws a line two pixels wide.
func thickLine(img *image.Paletted, a, b image.Point, c uint8) {
	line(img, a, b, c)
	if abs(b.X-a.X) > abs(b.Y-a.Y) {
		line(img, a.Add(image.Pt(0, 1)), b.Add(image.Pt(0, 1)), c)
	} else {
		line(img, a.Add(image.Pt(1, 0)), b.Add(image.Pt(1, 0)), c)
	}
}

// disc draws a filled circle with an outline.
func disc(img *image.Paletted, at image.Point, r int, outline, fill uint8) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			d := x*x + y*y
			switch {
			case d <= (r-1)*(r-1):
				img.SetColorIndex(at.X+x, at.Y+y, fill)
			case d <= r*r:
				img.SetColorIndex(at.X+x, at.Y+y, outline)
			}
		}
	}
}

// text writes s with its baseline at (x, y) in the ink colour.
func text(img *image.Paletted, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(palette[ink]), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func abs(v int) int { return max(v, -v) }

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// frameTimes are the virtual times of the animation's frames: from the
// send to the last arrival, a step short enough that every crossing shows
// on at least three frames (so every hop is seen: the copy on its way,
// then the node that got it), and no more than maxFrames (then a step as
// long as that needs).
func frameTimes(panels []*panel, maxFrames int) []int64 {
	start, end, shortest := panels[0].start, int64(0), int64(math.MaxInt64)
	for _, p := range panels {
		start = min(start, p.start)
		end = max(end, p.end())
		shortest = min(shortest, p.shortest())
	}
	span := end - start
	step := max(1, shortest/3)
	if span/step+1 > int64(maxFrames) {
		step = span/int64(maxFrames-1) + 1
	}
	var ts []int64
	for t := int64(0); t < span; t += step {
		ts = append(ts, t)
	}
	ts = append(ts, span)
	if len(ts) > maxFrames {
		ts = ts[:maxFrames-1]
		ts = append(ts, span)
	}
	return ts
}
