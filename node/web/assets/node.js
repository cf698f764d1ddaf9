// node.js: a live node's page. Its state (peers, known addresses,
// counters) is fetched every second; its events (messages with the path
// they took, peers coming and going) stream in by Server-Sent Events, one
// JSON line each, the same lines as p2p -json prints. Everything a peer
// sent is shown with textContent, never as HTML.
"use strict";

// window.p2p, for tests and the console: connected (the event stream is
// open), messages (shown so far), arrived (text -> when it was shown, ms
// since the epoch), lagged (events this page missed), state (the last).
const P = (window.p2p = { errors: [], connected: false, messages: 0, arrived: {}, lagged: 0, state: null });
window.addEventListener("error", (e) => P.errors.push(String(e.message || e)));
window.addEventListener("unhandledrejection", (e) => P.errors.push(String(e.reason)));

const $ = (id) => document.getElementById(id);
const MAX_LOG = 500; // rows kept in the message log

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fill(tbody, rows, cols) {
  tbody.textContent = "";
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const c of cols) {
      const text = typeof c === "function" ? c(r) : r[c];
      // A tree link's kind in its colour: eager (blue) or lazy (orange).
      cell(tr, text, text === "eager" || String(text).startsWith("lazy") ? String(text).split(":")[0] : "");
    }
    tbody.appendChild(tr);
  }
}

async function refresh() {
  try {
    const res = await fetch("api/state", { cache: "no-store" });
    if (!res.ok) throw new Error(await res.text());
    const s = (P.state = await res.json());
    document.title = `p2p ${s.name}`;
    $("title").textContent = `p2p ${s.name}`;
    $("whoami").textContent = `${s.addr}, id ${s.id}, ${s.mode} mode`;
    fill($("peers").tBodies[0], s.peers.peers, ["name", "addr", (p) => (p.inbound ? "in" : "out"), (p) => p.link || "flood", "delivered", "duplicates", "sent"]);
    fill($("known").tBodies[0], s.known.known, ["addr", "name", "state", "source"]);
    fill($("stats").tBodies[0], Object.entries(s.stats), [(e) => e[0], (e) => e[1]]);
  } catch (e) {
    $("status").textContent = "cannot read the node: " + (e.message || e);
  }
}

function logRow(cells, cls) {
  const tbody = $("log").tBodies[0];
  const tr = document.createElement("tr");
  if (cls) tr.className = cls;
  for (const c of cells) cell(tr, c);
  tbody.insertBefore(tr, tbody.firstChild);
  while (tbody.rows.length > MAX_LOG) tbody.deleteRow(-1);
}

const now = () => new Date().toLocaleTimeString();

function onEvent(ev) {
  switch (ev.event) {
    case "message": {
      P.messages++;
      let path = ev.hops === 0 ? "sent here" : `${ev.hops} hop${ev.hops === 1 ? "" : "s"}, from ${ev.from}`;
      if (ev.catchup) path += ", by catch-up";
      if (ev.unverified) path += ", unverified";
      logRow([now(), ev.origin, path, ev.text], "msg");
      if (Object.keys(P.arrived).length < 1000) P.arrived[ev.text] = Date.now();
      break;
    }
    case "connected": logRow([now(), "", `${ev.peer} connected (${ev.inbound ? "in" : "out"})`, ""], "sys"); refresh(); break;
    case "disconnected": logRow([now(), "", `${ev.peer} disconnected: ${ev.reason}`, ""], "sys"); refresh(); break;
    case "catchup": logRow([now(), "", `caught up from ${ev.peer}: ${ev.messages} from ${ev.origins} origins`, ""], "sys"); break;
    case "lagged": P.lagged += ev.dropped; logRow([now(), "", `this page fell behind: ${ev.dropped} events not shown`, ""], "sys"); break;
    case "error": logRow([now(), "", `error: ${ev.error}`, ""], "sys"); break;
  }
}

function stream() {
  const es = new EventSource("api/events");
  es.onopen = () => { P.connected = true; $("status").textContent = "live"; };
  es.onmessage = (m) => onEvent(JSON.parse(m.data));
  es.onerror = () => { P.connected = false; $("status").textContent = "not connected to the node (retrying)"; };
}

$("sendform").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (!text) return;
  try {
    const res = await fetch("api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) });
    if (!res.ok) throw new Error((await res.text()).trim());
    const sent = await res.json();
    logRow([now(), sent.origin, `sent here, to ${sent.peers} peer${sent.peers === 1 ? "" : "s"}`, sent.text], "msg");
    $("sendstatus").textContent = "";
    $("text").value = "";
  } catch (err) {
    $("sendstatus").textContent = "not sent: " + (err.message || err);
  }
});

refresh();
setInterval(refresh, 1000);
stream();
