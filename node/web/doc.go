// Package web serves the pages that show p2p at work, built with net/http
// and embedded with go:embed (they work offline: no CDN, no build step):
//
//   - the simulator's page (NewSim, `p2p sim -serve ADDR`): a virtual run
//     replayed in a force layout, each copy moving along its link, first
//     copies blue and duplicates red, live counters beside the references;
//     a click picks the sender or kills a node, and the server runs the
//     scripted simulation again (package sim is deterministic, so the page
//     gets the same run with one more step);
//   - a live node's page (NewNode, `p2p -http ADDR`): its peers, known
//     addresses and counters, the messages as they arrive (hops, the
//     neighbour they came from) by Server-Sent Events, and a send box.
//
// The layout is d3-force (with d3-quadtree, d3-dispatch and d3-timer),
// vendored from the npm registry in assets/vendor with their licences;
// the drawing is a canvas. docs/see-it.md explains what the pages show.
package web
