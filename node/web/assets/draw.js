// draw.js: one panel of the simulator's page: a run in one mode (flood or
// tree) replayed on a canvas up to virtual time vt, with its counters.
"use strict";

const COLOUR = {
  link: "#d0d0d0", first: "#1f77b4", dup: "#d62728", control: "#ff7f0e", lost: "#000",
  none: "#fff", has: "#9ecae1", sender: "#ffbb00", dead: "#000", ink: "#333",
};
// A frame's seven numbers, as the server sends them.
const MSG = 0, FROM = 1, TO = 2, SENT = 3, AT = 4, KIND = 5, FATE = 6;
const PAYLOAD = 0, FIRST = 0, DUP = 1, CONTROL = 2, LOST = 3;

class Panel {
  constructor(run, graph, root) {
    this.run = run;
    this.graph = graph;
    this.F = run.frames;
    this.count = this.F.length / 7;
    const idx = Array.from({ length: this.count }, (_, i) => i);
    this.byAt = Float64Array.from(idx).sort((a, b) => this.F[a * 7 + AT] - this.F[b * 7 + AT] || a - b);
    this.bySent = Float64Array.from(idx).sort((a, b) => this.F[a * 7 + SENT] - this.F[b * 7 + SENT] || a - b);
    this.starts = run.messages.map((m) => m.start / 1e3); // µs
    this.end = 0;
    for (let i = 0; i < this.count; i++) this.end = Math.max(this.end, this.F[i * 7 + AT]);
    this.end = Math.max(this.end, this.starts.length ? this.starts[this.starts.length - 1] : 0);
    this.root = root;
    root.querySelector("h2").textContent = run.mode + (run.mode === "tree" ? " (Plumtree: eager and lazy links)" : " (every node sends to every other neighbour)");
    this.canvas = root.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.cells = {};
    for (const td of root.querySelectorAll("[data-c]")) this.cells[td.dataset.c] = td;
    const r = run.result, n = graph.nodes;
    this.cells.ref_nd.textContent = (r.ref_tutorial_nd).toFixed(0);
    this.cells.ref_no_back.textContent = (r.ref_no_send_back).toFixed(0);
    this.cells.ref_tree.textContent = String(n - 1);
    this.reset();
  }

  // reset goes back to before the first message.
  reset() {
    const n = this.graph.nodes;
    this.t = -1;
    this.pa = 0; // next in byAt
    this.ps = 0; // next in bySent
    this.next = 0; // next message to start
    this.cur = -1;
    this.active = [];
    this.has = new Uint8Array(n);
    this.dead = new Uint8Array(n);
    this.mark = new Map(); // link key -> 1 first copy, 2 duplicate, 3 IHAVE only (current message)
    this.c = { messages: 0, deliveries: 0, transmissions: 0, duplicates: 0, control: 0, lost: 0 };
  }

  key(a, b) { return a < b ? a * this.graph.nodes + b : b * this.graph.nodes + a; }

  // advance moves the replay to virtual time vt (µs), forward only
  // (a step back resets first).
  advance(vt) {
    if (!(vt >= 0)) throw new Error("advance: a bad time " + vt);
    if (vt < this.t) this.reset();
    const F = this.F;
    for (;;) {
      const fa = this.pa < this.count ? F[this.byAt[this.pa] * 7 + AT] : Infinity;
      const ms = this.next < this.starts.length ? this.starts[this.next] : Infinity;
      if (Math.min(fa, ms) > vt) break;
      if (fa <= ms) this.arrive(this.byAt[this.pa++]);
      else this.begin(this.next++);
    }
    while (this.ps < this.count && F[this.bySent[this.ps] * 7 + SENT] <= vt) {
      const i = this.bySent[this.ps++];
      if (F[i * 7 + AT] > vt) this.active.push(i);
    }
    this.active = this.active.filter((i) => F[i * 7 + AT] > vt);
    this.t = vt;
  }

  begin(k) {
    const m = this.run.messages[k];
    this.cur = k;
    this.c.messages = k + 1;
    this.has.fill(0);
    this.mark.clear();
    for (const v of m.killed || []) this.dead[v] = 1;
    this.has[m.sender] = 1;
  }

  arrive(i) {
    const F = this.F, o = i * 7;
    // Counted whatever message is on screen (a frame lost on a link is
    // recorded with a nominal arrival that may fall after the next
    // message's start); drawn only while its message is.
    const here = F[o + MSG] === this.cur;
    const key = this.key(F[o + FROM], F[o + TO]);
    switch (F[o + FATE]) {
      case FIRST:
        this.c.transmissions++; this.c.deliveries++;
        if (here) { this.has[F[o + TO]] = 1; this.mark.set(key, 1); }
        break;
      case DUP:
        this.c.transmissions++; this.c.duplicates++;
        if (here && this.mark.get(key) !== 1) this.mark.set(key, 2);
        break;
      case CONTROL:
        this.c.control++;
        if (here && F[o + KIND] === 1 && !this.mark.has(key)) this.mark.set(key, 3);
        break;
      case LOST:
        this.c.lost++;
        break;
    }
  }

  // counters writes the counts so far into the panel's table.
  counters() {
    const c = this.c, n = this.graph.nodes;
    for (const k of ["messages", "deliveries", "transmissions", "duplicates", "control", "lost"]) this.cells[k].textContent = String(c[k]);
    this.cells.per_message.textContent = c.messages ? (c.transmissions / c.messages).toFixed(1) : "";
    this.cells.rmr.textContent = c.messages ? (c.transmissions / (c.messages * (n - 1)) - 1).toFixed(3) : "";
  }

  // draw draws the graph as it is at the panel's time; view maps layout
  // coordinates to the canvas.
  draw(nodes, view) {
    const ctx = this.ctx, F = this.F, g = this.graph, t = this.t;
    const w = this.canvas.width, h = this.canvas.height;
    ctx.clearRect(0, 0, w, h);
    const X = (i) => view.x(nodes[i].x), Y = (i) => view.y(nodes[i].y);
    ctx.lineWidth = 1;
    ctx.strokeStyle = COLOUR.link;
    ctx.beginPath();
    for (const [a, b] of g.edges) {
      if (this.mark.has(this.key(a, b))) continue;
      ctx.moveTo(X(a), Y(a)); ctx.lineTo(X(b), Y(b));
    }
    ctx.stroke();
    const stroke = (kind, width, colour, dash) => {
      ctx.lineWidth = width * view.px; ctx.strokeStyle = colour; ctx.setLineDash(dash);
      ctx.beginPath();
      for (const [a, b] of g.edges) {
        if (this.mark.get(this.key(a, b)) !== kind) continue;
        ctx.moveTo(X(a), Y(a)); ctx.lineTo(X(b), Y(b));
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    stroke(3, 1, COLOUR.control, [4 * view.px, 3 * view.px]);
    stroke(2, 1, COLOUR.dup, []);
    stroke(1, 2.5, COLOUR.first, []);
    // Nodes, one path per colour (a path per node is slow at thousands).
    const r = view.radius;
    const sender = this.cur >= 0 ? this.run.messages[this.cur].sender : -1;
    const colourOf = (i) => this.dead[i] || view.pendingDead.has(i) ? COLOUR.dead : i === sender ? COLOUR.sender : this.has[i] ? COLOUR.has : COLOUR.none;
    const all = new Path2D();
    for (const colour of [COLOUR.none, COLOUR.has, COLOUR.sender, COLOUR.dead]) {
      const path = new Path2D();
      for (let i = 0; i < g.nodes; i++) {
        if (colourOf(i) !== colour) continue;
        path.moveTo(X(i) + r, Y(i));
        path.arc(X(i), Y(i), r, 0, 2 * Math.PI);
      }
      ctx.fillStyle = colour;
      ctx.fill(path);
      all.addPath(path);
    }
    if (r > 2) { ctx.lineWidth = view.px; ctx.strokeStyle = COLOUR.ink; ctx.stroke(all); }
    const dot = Math.max(2 * view.px, r * 0.7);
    for (const i of this.active) {
      const o = i * 7, a = F[o + FROM], b = F[o + TO];
      const f = (t - F[o + SENT]) / (F[o + AT] - F[o + SENT]);
      const fate = F[o + FATE];
      ctx.fillStyle = fate === LOST ? COLOUR.lost : fate === CONTROL ? COLOUR.control : fate === DUP ? COLOUR.dup : COLOUR.first;
      ctx.beginPath();
      ctx.arc(X(a) + f * (X(b) - X(a)), Y(a) + f * (Y(b) - Y(a)), fate === CONTROL ? dot * 0.7 : dot, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
