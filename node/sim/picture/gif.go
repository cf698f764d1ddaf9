package picture

import (
	"fmt"
	"image"
	"image/gif"
	"io"
	"math"
)

// GIFOptions sets the animation's size and length.
type GIFOptions struct {
	Size      int // side of each panel, in pixels (default 360)
	MaxFrames int // at most this many frames (default 400)
}

// WriteGIF writes an animation of each run's last message, the runs side
// by side (flood beside tree): the sender in gold, each copy a dot moving
// along its link, blue for the first copy a node gets and red for a
// duplicate, orange for a tree rule's control frames, black for a lost
// one; a node turns blue when it has the message, a link that carried a
// first copy turns blue and thick, one that carried a duplicate red. The
// counts under each panel run with the animation. Every arrival has a
// frame of its own, so every hop shows.
func WriteGIF(w io.Writer, runs []Run, titles []string, opt GIFOptions) error {
	if len(runs) == 0 || len(runs) != len(titles) {
		return fmt.Errorf("picture: %d runs, %d titles", len(runs), len(titles))
	}
	if opt.Size <= 0 {
		opt.Size = 360
	}
	if opt.MaxFrames < 2 {
		opt.MaxFrames = 400
	}
	size := opt.Size
	height := size + 16
	bounds := image.Rect(0, 0, size*len(runs), height)
	panels := make([]*panel, len(runs))
	for i, r := range runs {
		if len(r.Trace.Messages) == 0 {
			return fmt.Errorf("picture: run %d has no message", i)
		}
		panels[i] = newPanel(r, titles[i], image.Pt(i*size, 0), size)
	}
	times := frameTimes(panels, opt.MaxFrames)
	crossing := int64(math.MaxInt64) // the shortest link crossing: half a second on screen
	for _, p := range panels {
		crossing = max(1, min(crossing, p.shortest()))
	}
	anim := &gif.GIF{LoopCount: 0}
	var prev *image.Paletted
	for i, t := range times {
		img := image.NewPaletted(bounds, palette)
		for j, p := range panels {
			c := p.draw(img, p.start+t)
			p.caption(img, image.Pt(j*size, 0), size, p.start+t, c)
		}
		delay := 300 // the last frame stays 3 s
		if i+1 < len(times) {
			// About half a second for a link crossing.
			delay = int(max(2, min(50, (times[i+1]-t)*50/crossing)))
		}
		// Each frame after the first holds only the rectangle that
		// changed, drawn over the frame before (disposal none).
		frame := img
		if prev != nil {
			frame = img.SubImage(changed(prev, img)).(*image.Paletted)
		}
		prev = img
		anim.Image = append(anim.Image, frame)
		anim.Delay = append(anim.Delay, delay)
		anim.Disposal = append(anim.Disposal, gif.DisposalNone)
	}
	return gif.EncodeAll(w, anim)
}

// changed is the smallest rectangle holding every pixel that differs
// between a and b (one pixel if none does: a GIF frame cannot be empty).
func changed(a, b *image.Paletted) image.Rectangle {
	r := image.Rectangle{}
	w := b.Rect.Dx()
	for y := range b.Rect.Dy() {
		row := y * b.Stride
		for x := range w {
			if a.Pix[row+x] != b.Pix[row+x] {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if r.Empty() {
		return image.Rect(0, 0, 1, 1)
	}
	return r
}
