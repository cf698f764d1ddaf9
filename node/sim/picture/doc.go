// Package picture draws a traced virtual run (package sim) for a slide:
// an animated GIF of a message spreading, copy by copy, written with the
// standard library's image/gif, and an SVG still of where it went. Nodes
// sit on a circle (node 0 at the top, then clockwise), so a ring is a ring
// and the chords of a random graph show its shortcuts; flood and tree can
// be drawn side by side on the same graph. `p2p sim -gif` and `-svg` are
// its front ends; docs/see-it.md explains the colours.
package picture
