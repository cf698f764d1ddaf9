// sim.js: the simulator's page. It fetches a traced virtual run (every
// frame with its link, times and fate), lays the graph out with d3-force,
// and replays the run on a virtual clock in one panel per mode. A click
// on a node adds a step (send from it, or kill it) and fetches the run
// again with that step: the simulator is deterministic, so it is the same
// run with one more message.
"use strict";

// window.p2p is what a test (or a curious student in the console) can read:
// ready (first frame drawn) and readyMs (when, from the start of loading),
// done (the replay reached its end), fps while playing, errors caught,
// settled() (the layout has stopped moving), steps() and
// nodeOnScreen(panel, node) (its position in the window, CSS pixels).
const P = (window.p2p = { ready: false, done: false, fps: 0, errors: [], readyMs: 0 });
P.settled = () => !!layout && layout.alpha() <= layout.alphaMin();
P.steps = () => steps;
P.nodeOnScreen = (panel, i) => {
  const canvas = panels[panel].canvas, view = viewFor(canvas), rect = canvas.getBoundingClientRect();
  return { x: rect.left + view.x(nodes[i].x) / view.dpr, y: rect.top + view.y(nodes[i].y) / view.dpr };
};
window.addEventListener("error", (e) => P.errors.push(String(e.message || e)));
window.addEventListener("unhandledrejection", (e) => P.errors.push(String(e.reason)));

const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 64];
const RATE = 20; // virtual µs per real ms at 1x: a 10 ms link crossing takes half a second
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

let graph = null, panels = [], nodes = [], layout = null, steps = [];
let vt = 0, end = 0, playing = false, lastReal = 0;
let speed = 1;
const pendingDead = new Set();
let fpsFrames = 0, fpsTime = 0;
let dirty = true; // something changed: draw the next frame even when paused and the layout is still

function status(text, error) {
  $("status").textContent = text;
  $("status").classList.toggle("error", !!error);
}

async function fetchRun(withSteps) {
  const res = withSteps
    ? await fetch("api/run", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ steps: withSteps }) })
    : await fetch("api/run");
  if (!res.ok) throw new Error((await res.text()).trim());
  return res.json();
}

// show replaces the run on screen; the layout is kept when the graph is
// the same.
function show(data) {
  const same = graph && graph.nodes === data.nodes;
  graph = { nodes: data.nodes, edges: data.edges };
  steps = data.steps;
  if (!same) startLayout();
  const root = $("panels");
  root.textContent = "";
  panels = data.runs.map((run) => {
    const el = $("panel").content.firstElementChild.cloneNode(true);
    root.appendChild(el);
    return new Panel(run, graph, el);
  });
  end = Math.max(...panels.map((p) => p.end));
  const r = data.runs[0].result;
  $("graph").textContent = `${r.topology}, ${r.nodes} nodes, ${r.edges} links (D = ${r.degree.toFixed(2)}), seed ${r.seed}, ` +
    `${data.runs[0].messages.length} message(s)`;
  for (const c of document.querySelectorAll("canvas")) c.addEventListener("click", onClick);
  pendingDead.clear();
  dirty = true;
}

function startLayout() {
  const n = graph.nodes, R = 12 * Math.sqrt(n) + 40;
  nodes = Array.from({ length: n }, (_, i) => ({ x: R * Math.cos(2 * Math.PI * i / n - Math.PI / 2), y: R * Math.sin(2 * Math.PI * i / n - Math.PI / 2) }));
  const links = graph.edges.map(([a, b]) => ({ source: a, target: b }));
  layout = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).distance(n > 300 ? 18 : 30))
    .force("charge", d3.forceManyBody().strength(n > 300 ? -18 : -60).distanceMax(400))
    .force("x", d3.forceX(0).strength(0.03))
    .force("y", d3.forceY(0).strength(0.03))
    .stop(); // ticked by the page's own frame loop
}

// view fits the layout into a canvas.
function viewFor(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of nodes) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  const radius = Math.max(1.5, Math.min(9, 220 / Math.sqrt(nodes.length))) * dpr;
  const m = radius + 6 * dpr;
  const s = Math.min((w - 2 * m) / Math.max(1, x1 - x0), (h - 2 * m) / Math.max(1, y1 - y0));
  const ox = (w - s * (x1 + x0)) / 2, oy = (h - s * (y1 + y0)) / 2;
  return { x: (x) => ox + s * x, y: (y) => oy + s * y, inv: (px, py) => [(px - ox) / s, (py - oy) / s], radius, px: dpr, pendingDead, dpr };
}

function frame(now) {
  requestAnimationFrame(frame);
  // The layout settles while the page is paused; on a big graph it holds
  // still while a message plays (a tick of thousands of nodes costs frames).
  const moving = layout && layout.alpha() > layout.alphaMin() && !(playing && nodes.length > 1000);
  if (moving) layout.tick();
  if (playing) {
    vt = Math.min(end, vt + (now - lastReal) * RATE * speed);
    fpsFrames++; fpsTime += now - lastReal;
    if (fpsTime >= 500) P.fps = Math.round(1000 * fpsFrames / fpsTime);
    if (vt >= end) pause();
  }
  lastReal = now;
  // Paused with the layout settled, nothing moves: draw nothing.
  if (!playing && !moving && !dirty) return;
  dirty = false;
  for (const p of panels) {
    p.advance(vt);
    p.draw(nodes, viewFor(p.canvas));
    p.counters();
  }
  P.done = vt >= end;
  if (panels.length && !P.ready) { P.ready = true; P.readyMs = performance.now(); }
  if (playing) status(`t = ${(vt / 1000).toFixed(1)} ms of ${(end / 1000).toFixed(1)} ms (virtual)` + (P.fps ? `, ${P.fps} frames/s` : ""));
}

function play() {
  if (vt >= end) restart();
  playing = true; fpsFrames = 0; fpsTime = 0;
  $("play").textContent = "pause";
}

function pause() {
  playing = false;
  dirty = true;
  $("play").textContent = "play";
  status(`t = ${(vt / 1000).toFixed(1)} ms (virtual)` + (vt >= end ? ": done" : ", paused") + (P.fps ? `; played at ${P.fps} frames/s` : ""));
}

function restart() { vt = 0; dirty = true; for (const p of panels) p.reset(); }

// step moves to the next arrival in any panel.
function step() {
  pause();
  let next = Infinity;
  for (const p of panels) {
    if (p.pa < p.count) next = Math.min(next, p.F[p.byAt[p.pa] * 7 + AT]);
    if (p.next < p.starts.length) next = Math.min(next, p.starts[p.next]);
  }
  if (next !== Infinity) vt = next;
  dirty = true;
  status(`t = ${(vt / 1000).toFixed(3)} ms (virtual), stepped`);
}

// nodeAt is the node under a click, or -1.
function nodeAt(canvas, ev) {
  const view = viewFor(canvas);
  const rect = canvas.getBoundingClientRect();
  const px = (ev.clientX - rect.left) * view.dpr, py = (ev.clientY - rect.top) * view.dpr;
  let best = -1, bestD = (view.radius + 6 * view.dpr) ** 2;
  nodes.forEach((p, i) => {
    const d = (view.x(p.x) - px) ** 2 + (view.y(p.y) - py) ** 2;
    if (d < bestD) { best = i; bestD = d; }
  });
  return best;
}

async function onClick(ev) {
  const v = nodeAt(ev.currentTarget, ev);
  if (v < 0) return;
  const tool = document.querySelector("input[name=tool]:checked").value;
  const dead = new Set(steps.filter((s) => s.kill).map((s) => s.node));
  if (dead.has(v) || pendingDead.has(v)) { status(`node ${v} is dead`, true); return; }
  if (tool === "kill") {
    pendingDead.add(v);
    dirty = true;
    status(`node ${v} will die before the next message: click a node to send from it`);
    return;
  }
  const more = steps.concat([...pendingDead].map((n) => ({ node: n, kill: true })), [{ node: v }]);
  await rerun(more, `node ${v} sends`);
}

async function rerun(more, what) {
  status(`${what}: running the simulation...`);
  try {
    const data = more ? await fetchRun(more) : await fetchRun(null);
    show(data);
    const starts = panels.map((p) => p.starts[p.starts.length - 1]);
    vt = more ? Math.max(0, Math.min(...starts)) : 0;
    play();
  } catch (e) {
    status(String(e.message || e), true);
  }
}

function setSpeed(i) {
  speed = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i))];
  $("speedx").textContent = speed + "x";
}

window.addEventListener("resize", () => { dirty = true; });

async function main() {
  $("play").onclick = () => (playing ? pause() : play());
  $("step").onclick = step;
  $("restart").onclick = () => { restart(); play(); };
  $("reset").onclick = () => rerun(null, "reset");
  $("speed").oninput = (e) => setSpeed(+e.target.value);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return;
    if (e.key === " ") { e.preventDefault(); playing ? pause() : play(); }
    if (e.key === "ArrowRight") step();
  });
  const sp = SPEEDS.indexOf(+params.get("speed"));
  if (sp >= 0) { $("speed").value = sp; setSpeed(sp); }
  try {
    show(await fetchRun(null));
    status("press play, or click a node to send from it");
    if (params.has("play")) play();
  } catch (e) {
    status(String(e.message || e), true);
  }
  requestAnimationFrame((t) => { lastReal = t; frame(t); });
}

main();
