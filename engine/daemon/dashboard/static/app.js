// The hearth dashboard: reads the daemon's /v1 API every few seconds and
// draws it with plain DOM and SVG. Text always goes in with textContent,
// never as HTML, so member names and rule sources cannot inject markup.
"use strict";

const REFRESH_MS = 4000;
// A population count scans every member: the page asks for one when it
// opens, then draws the daemon's own samples, so open pages add no scans.
const TOKEN_KEY = "hearth.token";
const PALETTE = ["#3d6fb4", "#d9622b", "#2f8a57", "#8a5cc2", "#b8892c", "#4aa3a8", "#c2507a", "#6b7384"];
const COMMIT_COLORS = { p50: "#3d6fb4", p99: "#d9622b" };

const state = { outboxStatus: "pending", outboxLimit: 25, outboxCounts: {}, populationAt: 0, population: null, status: null, ladder: [], moderated: false, waitingForToken: false, stepsOpen: new Set(), firing: [], views: {}, reportCampaigns: {}, segDays: [] };

// ---- DOM helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") el.textContent = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === undefined || n === null ? "–" : Number(n).toLocaleString("en"));
const fmtTime = (s) => {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) || d.getFullYear() < 2 ? "" : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
};
const ago = (s) => {
  const secs = Math.round((Date.now() - new Date(s)) / 1000);
  if (secs < 60) return secs + "s ago";
  if (secs < 3600) return Math.round(secs / 60) + " min ago";
  if (secs < 86400) return Math.round(secs / 3600) + " h ago";
  return fmtTime(s);
};

function replace(id, ...nodes) { $(id).replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined)); }

// Go durations such as "2.966181ms" read better rounded: "3.0 ms".
const fmtDuration = (s) => {
  const m = /^([\d.]+)(ns|µs|ms|s)$/.exec(s || "");
  return m ? `${Number(m[1]).toFixed(m[2] === "s" ? 2 : 1)} ${m[2]}` : s || "";
};

// ---- API ----

class AuthNeeded extends Error {}

// Paths are relative to the page (v1/status, not from the root), so
// the dashboard works behind a reverse proxy that serves it under a
// prefix (host/hearth/): the page is that prefix's root.
async function api(path) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  const resp = await fetch(path, { headers, cache: "no-store" });
  if (resp.status === 401) throw new AuthNeeded();
  let body = null;
  try { body = await resp.json(); } catch (e) { /* not JSON */ }
  if (!resp.ok) {
    const err = new Error((body && body.error) || resp.status + " " + resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return body;
}

function askToken(message) {
  if (state.waitingForToken) return;
  state.waitingForToken = true;
  $("auth-error").textContent = message || "";
  $("auth").showModal();
}

$("auth-form").addEventListener("submit", () => {
  const t = $("auth-token").value.trim();
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  $("auth-token").value = "";
  state.waitingForToken = false;
  refresh(true);
});

// ---- charts ----

// lineChart draws series [{name, color, points: [[ms, value], ...]}] into
// the element, with a y axis from 0 and time ticks at both ends.
function lineChart(el, series, opts) {
  const w = el.clientWidth || 600, hgt = el.clientHeight || 130;
  const pad = { l: 12, r: 8, t: 8, b: 18 };
  const all = series.flatMap((s) => s.points);
  const root = svg("svg", { viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": opts.label });
  if (all.length < 2) {
    root.append(svg("text", { x: w / 2, y: hgt / 2, "text-anchor": "middle", class: "empty", text: opts.empty || "collecting samples (one a minute)…" }));
    el.replaceChildren(root);
    return;
  }
  const x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  // Counts are whole numbers: at least 4 keeps the ticks integers.
  let ymax = Math.max(4, ...all.map((p) => p[1]));
  const mag = Math.pow(10, Math.floor(Math.log10(ymax)));
  ymax = Math.ceil(ymax / mag) * mag;
  pad.l += 7 * fmt(ymax).length; // room for the widest tick label
  const X = (t) => pad.l + ((t - x0) / Math.max(1, x1 - x0)) * (w - pad.l - pad.r);
  const Y = (v) => pad.t + (1 - v / ymax) * (hgt - pad.t - pad.b);
  for (const v of [0, ymax / 2, ymax]) {
    root.append(svg("line", { x1: pad.l, x2: w - pad.r, y1: Y(v), y2: Y(v), class: "axis" }));
    root.append(svg("text", { x: pad.l - 6, y: Y(v) + 3, "text-anchor": "end", class: "tick", text: fmt(Math.round(v)) }));
  }
  // Over more than a day and a half (a chart seeded with stored days),
  // the ends are dates.
  const tfmt = x1 - x0 > 36 * 3600000
    ? (t) => new Date(t).toLocaleDateString("en-GB", { day: "numeric", month: "short" })
    : (t) => new Date(t).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  root.append(svg("text", { x: pad.l, y: hgt - 3, class: "tick", text: tfmt(x0) }));
  root.append(svg("text", { x: w - pad.r, y: hgt - 3, "text-anchor": "end", class: "tick", text: tfmt(x1) }));
  for (const s of series) {
    if (s.points.length === 0) continue;
    // Steps, not slopes: a sample holds until the next one, and a line
    // drawn between two samples would show values nobody measured.
    const d = s.points.map((p, i) => {
      const x = X(p[0]).toFixed(1), y = Y(p[1]).toFixed(1);
      return i ? `H${x} V${y}` : `M${x} ${y}`;
    }).join(" ");
    if (opts.area && series.length === 1) {
      const first = s.points[0], last = s.points[s.points.length - 1];
      root.append(svg("path", { d: `${d} L${X(last[0])} ${Y(0)} L${X(first[0])} ${Y(0)} Z`, class: "area" }));
    }
    const line = svg("path", { d, class: "line" });
    if (s.color) line.setAttribute("stroke", s.color), (line.style.stroke = s.color);
    root.append(line);
    if (s.points.length === 1) {
      // One sample draws no line: mark it.
      const dot = svg("circle", { cx: X(s.points[0][0]), cy: Y(s.points[0][1]), r: 3, class: "point" });
      if (s.color) dot.style.fill = s.color;
      root.append(dot);
    }
  }
  el.replaceChildren(root);
}

function barRow(name, sub, n, max, cls) {
  const fill = h("div", { class: "fill" });
  fill.style.width = (max > 0 ? (100 * n) / max : 0) + "%";
  return h("div", { class: "bar-row " + (cls || ""), "data-name": name },
    h("span", { class: "name", title: name }, name, sub ? h("small", { text: sub }) : null),
    h("div", { class: "track" }, fill),
    h("span", { class: "count", text: fmt(n) }));
}

// npsRow draws a score from -100 to +100 out from the middle of its
// track: left and red below zero, right above, so -55 and +55 differ at
// a glance (a plain bar has no length for a negative score).
function npsRow(name, sub, score) {
  const v = Math.max(-100, Math.min(100, score || 0));
  const fill = h("div", { class: "fill" + (v < 0 ? " neg" : "") });
  fill.style.left = (v < 0 ? 50 + v / 2 : 50) + "%";
  fill.style.width = Math.abs(v) / 2 + "%";
  return h("div", { class: "bar-row nps", "data-name": name, "data-score": String(score) },
    h("span", { class: "name", title: name }, name, sub ? h("small", { text: sub }) : null),
    h("div", { class: "track signed" }, fill),
    h("span", { class: "count", text: (score > 0 ? "+" : "") + (Number.isInteger(score) ? score : score.toFixed(1)) }));
}

// ---- sections ----

function renderStatus(st) {
  state.status = st;
  state.ladder = (st.config && st.config.ladder) || [];
  const c = st.config || {};
  let meta = `${c.dir}  ·  config ${String(c.hash || "").slice(0, 10)}  ·  loaded ${ago(c.loaded_at)}`;
  const bus = st.bus;
  if (bus && bus.replica && bus.partitions) {
    // With -bus: this replica's share of the partitions and its lag.
    const owned = bus.owned || [];
    meta += `  ·  replica ${bus.replica}: ${owned.length} of ${bus.partitions} partitions, ${fmt(bus.waiting || 0)} events waiting`;
  }
  if (st.reevaluating > 0) {
    // The segment, tier or badge rules changed: members are being moved.
    meta += `  ·  re-evaluating ${fmt(st.reevaluating)} members under the new rules`;
  }
  const store = st.state;
  if (store && store.status === "ok" && store.failures > 0) {
    // Failed and recovered since the start: nothing to do, worth knowing.
    meta += `  ·  state store recovered (${fmt(store.failures)} ${store.failures === 1 ? "failure" : "failures"} since the start)`;
  }
  replace("meta", meta);

  const last = st.last_reload;
  const storeDown = store && store.status !== "ok";
  const pill = $("health");
  if (storeDown) {
    pill.className = "pill bad";
    pill.textContent = store.status === "failed" ? "state store failed" : "state store failing";
  } else if (last && !last.ok) {
    pill.className = "pill bad";
    pill.textContent = "last reload failed";
  } else if (st.stopping) {
    pill.className = "pill bad";
    pill.textContent = "stopping";
  } else if (st.reload_held) {
    pill.className = "pill warn";
    pill.textContent = "reload held";
  } else {
    pill.className = "pill ok";
    pill.textContent = "running";
  }
  renderAlerts(st);
  renderAttention();
  const s = st.stats || {};
  $("k-accepted").textContent = fmt(s.accepted);
  $("k-duplicates").textContent = fmt(s.duplicates);
  $("k-rejected").textContent = fmt(s.rejected);
  $("k-rejected").parentElement.classList.toggle("warn", s.rejected > 0);
  // Why events are refused as too old: the retention and the id horizon.
  const ret = st.retention;
  // Events refused one by one; requests refused as a whole (wrong
  // content type, host, method ...) are told apart, in the tooltip.
  $("k-rejected").parentElement.title =
    `events refused one by one; ${fmt(s.refused_requests || 0)} requests refused as a whole` +
    (ret
      ? `; ${fmt(s.too_old || 0)} refused as too old` +
        (ret.event_id_retention ? `; event ids are kept ${ret.event_id_retention}` : "") +
        (ret.id_horizon ? `; events before ${ret.id_horizon} are refused` : "")
      : "");
  if (st.outbox) {
    state.outboxCounts = st.outbox;
    $("k-pending").textContent = fmt(st.outbox.pending);
    $("k-dead").textContent = fmt(st.outbox.dead);
    $("k-dead").parentElement.classList.toggle("warn", st.outbox.dead > 0);
  }
  renderReloads(st.reloads || []);
}

// renderAlerts draws, above the cards, what an operator must see at once
// (GET /v1/status): the state store refusing writes ("state", as /readyz
// answers 503) and a reload held back because a file was emptied
// ("reload_held"). Nothing while all is well.
function renderAlerts(st) {
  const out = [];
  const store = st.state;
  if (store && store.status !== "ok") {
    const failed = store.status === "failed";
    const tries = store.retries ? `; ${fmt(store.retries)} ${store.retries === 1 ? "try" : "tries"} to recover so far` : "";
    out.push(h("div", { class: "alert bad", "data-alert": "state" },
      h("strong", { text: failed ? "The state store failed" : "The state store is failing" }),
      h("span", { text: `since ${fmtTime(store.since)}${tries}.` }),
      h("div", { class: "detail", text: failed
        ? "It cannot recover by itself: hearth run stops so that its supervisor restarts it; what it acknowledged is on disk."
        : "Events are refused (503, to be sent again) and /readyz answers 503 until it recovers, which it tries by itself (for a full disk: once there is space again)." }),
      h("div", { class: "detail" }, "Error: ", h("code", { text: store.error || "" })),
      store.retry_error ? h("div", { class: "detail" }, "Last try: ", h("code", { text: store.retry_error })) : null));
  }
  const held = st.reload_held;
  if (held) {
    out.push(h("div", { class: "alert warn", "data-alert": "reload-held" },
      h("strong", { text: "A reload is held back" }),
      h("span", { text: `since ${fmtTime(held.since)}: ${(held.files || []).length === 1 ? "a file has" : "files have"} no blocks left, taken as a save under way. The configuration in force stays; if the files stay so, the reload removing their blocks is applied at ${fmtTime(held.until)}.` }),
      (held.files || []).map((f) => h("div", { class: "detail", "data-file": f.file },
        h("code", { text: f.file }), ` would remove ${(f.blocks || []).join(", ")}`))));
  }
  // Alerts firing, with what they are for, from GET /v1/communities
  // (renderCommunities keeps them in state.firing).
  for (const a of state.firing) {
    out.push(h("div", { class: "alert " + (a.severity === "critical" ? "bad" : "warn"), "data-alert": "firing", "data-name": a.name },
      h("strong", { text: `Alert ${a.name} is firing` }),
      h("span", { text: `(${a.severity}) in ${a.community}` + (a.since ? `, fired ${fmtTime(a.since)}` : "") + "." }),
      a.description ? h("div", { class: "detail", text: a.description }) : null));
  }
  replace("alerts", out);
}

// renderAttention puts in the header what needs someone now besides the
// daemon's own health: alerts firing (red when one is critical) and
// dead letters, each a link to its section; hidden while there is none.
function renderAttention() {
  const el = $("attention");
  const dead = (state.status && state.status.outbox && state.status.outbox.dead) || 0;
  const firing = state.firing;
  const parts = [];
  if (firing.length) {
    const critical = firing.some((a) => a.severity === "critical");
    const link = h("a", { href: "#moderation", class: "pill " + (critical ? "bad" : "warn"), "data-attention": "alerts",
      title: firing.map((a) => `${a.name} (${a.severity})${a.description ? ": " + a.description : ""}`).join("\n"),
      text: `${fmt(firing.length)} ${firing.length === 1 ? "alert" : "alerts"} firing` });
    parts.push(link);
  }
  if (dead > 0) {
    const link = h("a", { href: "#outbox", class: "pill bad", "data-attention": "dead",
      title: "actions the outbox gave up on: open the Dead tab to see why, POST /v1/outbox/retry?status=dead to try again",
      text: `${fmt(dead)} ${dead === 1 ? "dead letter" : "dead letters"}` });
    link.addEventListener("click", () => showOutboxTab("dead"));
    parts.push(link);
  }
  el.hidden = !parts.length;
  el.replaceChildren(...parts.flatMap((p, i) => (i ? [h("span", { class: "muted", text: "·" }), p] : [p])));
  // "running" in green beside them would read as all clear.
  const pill = $("health");
  if (parts.length && pill.classList.contains("ok")) pill.className = "pill";
}

function renderReloads(reloads) {
  const items = reloads.slice().reverse().slice(0, 8).map((r) => {
    const diags = (r.diagnostics && r.diagnostics.diagnostics) || [];
    // A reload that read the same configuration again swapped nothing.
    const kind = !r.ok ? "failed" : r.unchanged ? "unchanged" : "ok";
    return h("div", { class: "reload " + kind },
      h("div", { class: "reload-head" },
        h("span", { class: "status", text: { ok: "OK", failed: "FAILED", unchanged: "UNCHANGED" }[kind] }),
        h("span", { text: r.trigger }),
        h("span", { class: "muted", text: fmtTime(r.at) }),
        h("span", { class: "muted", text: fmtDuration(r.duration) }),
        r.ok && r.hash ? h("code", { class: "muted", text: r.hash.slice(0, 10) }) : null,
        r.unchanged ? h("span", { class: "muted", text: "same configuration; nothing was swapped" }) : null,
        !r.ok ? h("span", { class: "muted", text: "the previous configuration stays in force" }) : null),
      // Read only at start: in force once hearth run restarts.
      r.restart_needed && r.restart_needed.length ? h("div", { class: "diag warning" },
        h("span", { class: "summary", text: "takes effect when hearth run restarts: " + r.restart_needed.join(", ") })) : null,
      diags.map((d) => h("div", { class: "diag " + d.severity },
        d.range ? h("span", { class: "where", text: `${d.range.filename}:${d.range.start.line}  ` }) : null,
        h("span", { class: "summary", text: d.summary }),
        d.detail ? h("div", { class: "detail", text: d.detail }) : null)));
  });
  replace("reload-list", items.length ? items : h("p", { class: "muted", text: "no reloads yet" }));
}

function renderPopulation(p) {
  state.population = p;
  // Members who left are kept in the store but are no longer members:
  // the count, the ladder and the segments are of those still here, as
  // the health report's "current".
  const current = p.members - (p.left || 0);
  $("k-members").textContent = fmt(current);
  $("k-members-sub").textContent = p.left ? `${fmt(p.left)} left` : "";
  // Highest rung on top, members without a tier at the bottom.
  const known = new Set(state.ladder);
  const ladder = state.ladder.filter((t) => t in p.tiers).concat(Object.keys(p.tiers).filter((t) => t && !known.has(t)));
  const max = Math.max(0, ...Object.values(p.tiers));
  const rows = ladder.map((t, i) => listable(barRow(t, i === 0 ? "top" : "", p.tiers[t], max, "rung"), "tier", t));
  rows.push(barRow("no tier", "", p.tiers[""] || 0, max, "none"));
  replace("tier-bars", rows);
  const held = current - (p.tiers[""] || 0);
  $("tier-note").textContent = current
    ? `${fmt(held)} of ${fmt(current)} members hold a tier (${Math.round((100 * held) / current)}%)` : "no members yet";

  const segs = Object.entries(p.segments).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const smax = Math.max(0, ...segs.map((s) => s[1]));
  replace("segment-bars", segs.length ? segs.map(([n, c]) => listable(barRow(n, "", c, smax), "segment", n)) : h("p", { class: "muted", text: "no segments configured" }));

  renderCampaigns(p.campaigns || {}, p.splits || {}, p.held || {}, p.keys_kept || {}, p.before_split || {});
}

// exited: runs stop_when ended, out of the campaign and no success.
const STAGES = ["entered", "active", "goal", "exited", "finished", "left", "stopped"];

// variantTable compares a split's variants: each one's goal rate over
// every run that entered it (running ones not converted yet, so a
// campaign written as a loop is not 100%), and against the control (the split's control, else its
// first variant), the difference and the p-value of a two-proportion
// z-test, judged at 0.05 or, with more comparisons, Bonferroni's 0.05
// divided by their number (hearth campaign show has the same). A last
// row holds the runs the split gave no variant, so the rows add up.
function variantTable(name, variants, before) {
  const control = variants.find((v) => v.control) || variants[0];
  const comparisons = variants.length - 1;
  const alpha = 0.05 / Math.max(1, comparisons);
  const rate = (v) => v.entered ? (100 * v.goal / v.entered).toFixed(1) + "%" : "–";
  // Delivered is counted from the outbox, in the campaign's view
  // (GET /v1/campaigns/NAME) read when the page opened: "–" until then.
  const viewed = state.views[name];
  const delivered = (variant) => {
    const v = viewed && (viewed.view.variants || []).find((x) => x.name === variant);
    return v ? fmt(v.delivered || 0) : "–";
  };
  let small = false;
  const rows = variants.map((v) => {
    let against = "–";
    if (v !== control) {
      const sig = v.significant ?? ((v.p ?? 1) < alpha);
      const signed = (x) => `${x >= 0 ? "+" : ""}${(100 * (x || 0)).toFixed(1)}`;
      let verdict = sig ? `significant at ${+alpha.toFixed(4)}` : "could be chance";
      if (v.small_sample) { verdict += "; small sample"; small = true; }
      against = v.entered && control.entered
        ? `${signed(v.lift)} points`
          + (v.relative_lift != null ? ` (${signed(v.relative_lift)}%)` : "")
          + (v.lift_ci_low != null && v.lift_ci_high != null ? `, 95% CI ${signed(v.lift_ci_low)} to ${signed(v.lift_ci_high)}` : "")
          + `, p = ${(v.p ?? 1).toFixed(3)} (${verdict})`
        : "no runs to compare";
    }
    return h("tr", { "data-variant": v.name }, [v.name, fmt(v.entered), fmt(v.active), fmt(v.goal), rate(v), fmt(v.sends || 0), delivered(v.name), against].map((t) => h("td", { text: t })));
  });
  if (before && before.entered) {
    const b = viewed && viewed.view.before_split;
    rows.push(h("tr", { "data-variant": "", class: "muted" }, ["(before split)", fmt(before.entered), fmt(before.active), fmt(before.goal), rate(before), fmt(before.sends || 0), b ? fmt(b.delivered || 0) : "–", "–"].map((t) => h("td", { text: t }))));
  }
  const running = variants.reduce((n, v) => n + (v.active || 0), 0);
  let note = `goal rate: of every run each row entered, ${fmt(running)} still running counted as not converted yet; queued: the messages its runs queued (what its goals cost); delivered: of those, the ones the outbox delivered` + (viewed ? ` (counted ${viewed.at})` : " (counted when the page opens)") + `; against ${control.name}: the difference in points, relative to ${control.name}'s rate in parentheses, its 95% confidence interval (Newcombe) and p-value`;
  if (small) note += `; small sample: fewer than 30 runs or 5 expected goals or non-goals on a side, too few to trust the p-value`;
  if (before && before.entered) note += "; (before split): runs the split gave no variant";
  if (comparisons > 1) note += `; ${variants.length} variants: p-values not corrected for multiple comparisons, significant below ${+alpha.toFixed(4)} (Bonferroni)`;
  return h("div", { class: "variants-box" },
    h("table", { class: "variants", "data-split": name },
      h("thead", {}, h("tr", {}, ["variant", "entered", "running", "goal", "goal rate", "queued", "delivered", "against " + control.name].map((t) => h("th", { text: t })))),
      h("tbody", {}, rows)),
    h("p", { class: "muted variants-note", text: note }));
}

// heldNote says how many of a campaign's running members have their
// send held back, and by what (hearth campaign show counts them per
// step); null when none is.
function heldNote(name, held) {
  const parts = [];
  if (held.quiet_hours) parts.push(`${fmt(held.quiet_hours)} by quiet hours`);
  if (held.frequency_cap) parts.push(`${fmt(held.frequency_cap)} by a frequency cap`);
  if (!parts.length) return null;
  return h("p", { class: "held muted", "data-held": name, title: "running members whose step's message waits for the quiet hours to end or a frequency cap to free up (hearth member why says until when)", text: "sends held back: " + parts.join(", ") });
}

// keysKeptNote says how many of a campaign's ended runs retention kept
// as their key alone, which the funnel does not count (hearth campaign
// show says the same); null when none is.
function keysKeptNote(name, n) {
  if (!n) return null;
  return h("p", { class: "kept muted", "data-keys-kept": name, title: "ended runs of a run_key campaign with reentry = \"never\" that retention made compact: only the key and its end are kept, and the key is still refused (hearth member show counts them per member)",
    text: `not counted here: ${fmt(n)} ended ${n === 1 ? "run" : "runs"} retention kept as the key alone` });
}

// SKIP_TEXT names why a step's sends were skipped, as hearth campaign
// show does.
const SKIP_TEXT = { unsubscribed: "unsubscribed", left: "left", back: "came back", until: "past its until", frequency_cap: "frequency cap", expired: "expired", forgotten: "forgotten member", other: "other" };

// stepsTable draws GET /v1/campaigns/NAME's steps: what became of each
// step's message (hearth campaign show prints the same table).
function stepsTable(name, view) {
  const steps = view.steps || [];
  const rec = view.step_records;
  if (!rec) return h("p", { class: "muted", text: "this state store keeps no records to count steps from" });
  if (!steps.length) return h("p", { class: "muted", text: "no step sends a message, and none has records" });
  const goal = view.has_goal || steps.some((st) => st.goal > 0);
  const head = ["step", "reached", "queued", "delivered", "pending", "skipped", "held", "failed"].concat(goal ? ["goal", "goal rate"] : []);
  const why = (st) => Object.entries(st.skipped_by || {}).filter(([, n]) => n > 0).map(([k, n]) => `${fmt(n)} ${SKIP_TEXT[k] || k}`).join(", ");
  const rows = steps.map((st) => {
    const cells = [st.step + (st.removed ? " (removed)" : ""), fmt(st.reached), fmt(st.sends), fmt(st.delivered), fmt(st.pending),
      fmt(st.skipped), fmt(st.held), fmt(st.failed + st.dead)];
    if (goal) cells.push(fmt(st.goal), st.runs_sent_ended ? (100 * st.goal / st.runs_sent_ended).toFixed(1) + "%" : "–");
    return h("tr", { "data-step": st.step }, cells.map((t, i) => h("td", { text: t, title: i === 5 && why(st) ? why(st) : null })));
  });
  const kept = rec.outcome_retention ? `outcomes are forgotten after ${rec.outcome_retention}` : "outcomes are kept for good";
  const outbox = rec.outbox_retention ? `finished outbox entries after ${rec.outbox_retention}` : "outbox entries too";
  return [
    h("table", { class: "steps", "data-steps": name }, h("thead", {}, h("tr", {}, head.map((t) => h("th", { text: t })))), h("tbody", {}, rows)),
    h("p", { class: "kept muted", title: "reached: runs whose step came due (sent, skipped, held, failed or timed out); queued: messages put in the outbox, delivered or not; goal: runs given the step's message that reached the goal, of those that ended; failed counts dead letters too",
      text: `every run the records tell of; ${kept}, ${outbox}` }),
  ];
}

// stepsDetails is a campaign card's steps, read when opened: the view
// scans every member, so it is not polled with the rest of the page.
function stepsDetails(name) {
  const body = h("div", { class: "steps-body" });
  // A details element made open fires its toggle too: loaded keeps that
  // from reading twice.
  let loaded = false;
  const load = () => {
    loaded = true;
    api(`v1/campaigns/${encodeURIComponent(name)}`)
      .then((view) => {
        keepView(name, view);
        body.replaceChildren(...[stepsTable(name, view)].flat());
      })
      .catch((e) => {
        if (e instanceof AuthNeeded) return askToken();
        body.replaceChildren(h("p", { class: "error", text: e.message }));
      });
  };
  const open = state.stepsOpen.has(name);
  const det = h("details", { class: "steps", open: open, "data-steps-for": name }, h("summary", { text: "messages by step" }), body);
  body.append(h("p", { class: "muted", text: "counting…" }));
  det.addEventListener("toggle", () => {
    if (!det.open) {
      state.stepsOpen.delete(name);
      loaded = false;
      return;
    }
    state.stepsOpen.add(name);
    if (!loaded) load();
  });
  // Drawn again with the population (once a minute): an open one reads
  // again, so its figures keep up.
  if (open) load();
  return det;
}

// keepView keeps a campaign's view (GET /v1/campaigns/NAME) for its
// headline and variants, and redraws the headline.
function keepView(name, view) {
  state.views[name] = { view, at: new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }) };
  const el = document.querySelector(`[data-headline="${CSS.escape(name)}"]`);
  if (el) el.replaceWith(campaignHeadline(name));
  const p = state.population || {};
  const box = document.querySelector(`[data-campaign="${CSS.escape(name)}"] .variants-box`);
  const split = (p.splits || {})[name];
  if (box && split && split.length) box.replaceWith(variantTable(name, split, (p.before_split || {})[name]));
}

// loadViews reads every campaign's view once, when the page opens: it
// scans every member, so it is not polled (a campaign's steps, opened,
// read it again with the population, once a minute).
async function loadViews(names) {
  for (const name of names) {
    try {
      keepView(name, await api(`v1/campaigns/${encodeURIComponent(name)}`));
    } catch (e) {
      if (e instanceof AuthNeeded) return askToken();
      // The steps, opened, say what failed; the headline goes without.
    }
  }
}

// campaignHeadline is the line under a campaign's name: its goal rate of
// the runs that ended (GET /v1/report's goal_rate, as hearth campaign
// show), and what became of its messages (from its view): delivered,
// pending, skipped (expired among them) and dead.
function campaignHeadline(name) {
  const parts = [];
  const rep = state.reportCampaigns[name];
  if (rep && rep.no_goal) parts.push(h("span", { class: "muted", text: "no goal" }));
  else if (rep && rep.goal_rate != null) {
    parts.push(h("span", { class: "goal-rate", title: "runs that reached the goal, of those that ended (running ones may still reach it), as hearth campaign show and hearth report count them" },
      h("strong", { text: (100 * rep.goal_rate).toFixed(1) + "%" }), ` goal rate (${fmt(rep.goal)} of ${fmt(rep.ended)} ended runs)`));
  } else if (rep) parts.push(h("span", { class: "muted", text: "goal rate: no run has ended yet" }));
  const viewed = state.views[name];
  if (viewed) {
    const v = viewed.view, t = v.total || {};
    const steps = v.steps || [];
    let skipped = t.skipped_at_delivery || 0, expired = 0;
    if (steps.length) {
      skipped = steps.reduce((n, st) => n + (st.skipped || 0), 0);
      expired = steps.reduce((n, st) => n + ((st.skipped_by || {}).expired || 0), 0);
    }
    parts.push(h("span", { class: "sends", "data-sends": name, title: "queued: messages its runs put in the outbox; delivered, pending and dead: what the outbox did with those it still keeps; skipped: sends not made, at the step or at delivery" },
      `${fmt(t.sends || 0)} queued: `, h("strong", { text: fmt(t.delivered || 0) }), " delivered · ",
      `${fmt(t.pending || 0)} pending · ${fmt(skipped)} skipped` + (expired ? ` (${fmt(expired)} expired)` : "") +
      ` · ${fmt(t.dead || 0)} dead`, h("span", { class: "muted", text: ` · counted ${viewed.at}` })));
  }
  return h("div", { class: "campaign-headline", "data-headline": name }, parts.flatMap((p, i) => (i ? [h("span", { class: "muted", text: "  ·  " }), p] : [p])));
}

function renderCampaigns(campaigns, splits, held, keysKept, beforeSplit) {
  const names = Object.keys(campaigns).sort();
  if (!names.length) {
    replace("campaign-list", h("p", { class: "muted", text: "no campaigns configured" }));
    return;
  }
  const paused = (state.status && state.status.config && state.status.config.paused) || [];
  replace("campaign-list", names.map((name) => {
    const c = campaigns[name];
    const counts = { entered: Object.values(c).reduce((a, b) => a + b, 0) };
    for (const s of STAGES.slice(1)) counts[s] = c[s] || 0;
    const max = Math.max(1, counts.entered);
    return h("div", { class: "campaign", "data-campaign": name },
      h("div", { class: "campaign-head" }, h("h3", { text: name }),
        paused.includes(name) ? h("span", { class: "pill bad", title: "paused = true: nobody enters, members wait at their step, its messages wait in the outbox", text: "paused" }) : null),
      campaignHeadline(name),
      h("div", { class: "funnel" }, STAGES.map((s) => {
        const fill = h("div", { class: "fill" });
        fill.style.height = (100 * counts[s]) / max + "%";
        return h("div", { class: "stage " + s, "data-stage": s },
          h("div", { class: "stage-top" }, h("span", { class: "muted", text: s }), h("span", { class: "n", text: fmt(counts[s]) })),
          h("div", { class: "track" }, fill));
      })),
      heldNote(name, held[name] || {}),
      keysKeptNote(name, keysKept[name] || 0),
      splits[name] && splits[name].length ? variantTable(name, splits[name], (beforeSplit || {})[name]) : null,
      stepsDetails(name));
  }));
}

// sinceLabel says what the charts over time cover: the daemon's own
// samples, kept in memory (a bounded number) since it started, so that
// they do not read as the community's whole history.
function sinceLabel(samples) {
  const hm = (d) => d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }) +
    (Date.now() - d > 86400000 ? " on " + d.toLocaleDateString("en-GB", { dateStyle: "medium" }) : "");
  const started = state.status && state.status.started_at ? new Date(state.status.started_at) : null;
  const first = samples.length ? new Date(samples[0].at) : null;
  let text = "";
  if (first && started && !isNaN(started) && first - started > 5 * 60000) text = "from " + hm(first) + ", the oldest sample the daemon keeps";
  else if (started && !isNaN(started)) text = "since the daemon started " + hm(started);
  for (const el of document.querySelectorAll(".since-start")) el.textContent = text;
}

function renderSeries(ts) {
  const samples = ts.samples || [];
  sinceLabel(samples);
  const rate = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const dt = (new Date(b.at) - new Date(a.at)) / 60000;
    if (dt <= 0) continue;
    // The rate holds over the interval: drawn from its start.
    rate.push([+new Date(a.at), Math.max(0, b.accepted - a.accepted) / dt]);
  }
  if (rate.length) rate.push([+new Date(samples[samples.length - 1].at), rate[rate.length - 1][1]]);
  $("rate-now").textContent = rate.length ? fmt(Math.round(rate[rate.length - 1][1])) + " / min now" : "";
  lineChart($("rate-chart"), [{ name: "accepted", points: rate }], { area: true, label: "events accepted per minute" });

  // Commit time: from a batch's start to its durable commit, the median
  // and 99th percentile of the batches between two samples.
  const timed = samples.filter((s) => s.commit_p99_ms !== undefined);
  const p50 = timed.map((s) => [+new Date(s.at), s.commit_p50_ms]);
  const p99 = timed.map((s) => [+new Date(s.at), s.commit_p99_ms]);
  const lastTimed = timed[timed.length - 1];
  $("commit-now").textContent = lastTimed ? `p99 ${lastTimed.commit_p99_ms.toFixed(1)} ms in the last sample` : "";
  lineChart($("commit-chart"), [
    { name: "p50", color: COMMIT_COLORS.p50, points: p50 },
    { name: "p99", color: COMMIT_COLORS.p99, points: p99 },
  ], {
    label: "batch commit time in milliseconds, median and 99th percentile",
    // Samples come once a minute: until two have, batches may well have
    // been committed already.
    empty: samples.length >= 2 ? "no batch committed yet…" : undefined,
  });

  const withPop = samples.filter((s) => s.segments);
  const latest = withPop[withPop.length - 1];
  if (latest && latest.members !== undefined && +new Date(latest.at) > state.populationAt) {
    state.populationAt = +new Date(latest.at);
    renderPopulation({ members: latest.members, left: latest.left || 0, segments: latest.segments, tiers: latest.tiers || {}, campaigns: latest.campaigns || {}, splits: latest.splits || {}, held: latest.held || {}, keys_kept: latest.keys_kept || {}, before_split: latest.before_split || {} });
  }
  // The page's own count when it opened may be newer than the daemon's
  // last sample (taken once a minute): it ends the lines, so the chart and
  // its legend agree with the segment bars above.
  const pop = state.population;
  const popAt = state.populationAt;
  const counted = withPop.map((s) => [+new Date(s.at), s.segments]);
  // Before the daemon's samples, the sizes the store kept at the end of
  // each of the last 30 days (GET /v1/report?by=day, read once), so a
  // restart does not wipe the history from the chart.
  const firstAt = counted.length ? counted[0][0] : Date.now();
  const seeded = state.segDays.filter(([at]) => at < firstAt);
  counted.unshift(...seeded);
  const seg = $("seg-since");
  if (seeded.length) seg.textContent = `daily from ${new Date(seeded[0][0]).toLocaleDateString("en-GB", { dateStyle: "medium" })} (stored), then ${seg.textContent.replace(/^since/, "by the minute since")}`;
  if (pop && (!counted.length || popAt > counted[counted.length - 1][0])) counted.push([popAt, pop.segments]);
  const names = [...new Set(counted.flatMap(([, segs]) => Object.keys(segs)))].sort();
  const series = names.map((n, i) => ({
    name: n, color: PALETTE[i % PALETTE.length],
    points: counted.map(([at, segs]) => [at, segs[n] || 0]),
  }));
  // With no segment configured there is nothing to wait for.
  const none = pop && !Object.keys(pop.segments || {}).length;
  lineChart($("segment-chart"), series, { label: "segment sizes over time", empty: none ? "no segments configured" : "segment sizes are counted once a minute…" });
  replace("seg-legend", names.map((n, i) => {
    const dot = h("span", { class: "dot" });
    dot.style.background = PALETTE[i % PALETTE.length];
    const last = series[i].points[series[i].points.length - 1];
    return h("span", {}, dot, n, h("span", { class: "muted", text: last ? "  " + fmt(last[1]) : "" }));
  }));
}

// dayChart draws one bar per day for the members active that day, and
// lines for those active in the 7 and 30 days ending on it.
function dayChart(el, days, label) {
  const w = el.clientWidth || 600, hgt = el.clientHeight || 130;
  const pad = { l: 36, r: 8, t: 8, b: 18 };
  const root = svg("svg", { viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": label });
  const top = Math.max(4, ...days.map((d) => Math.max(d.active, d.active_7d || 0, d.active_30d || 0)));
  const bw = (w - pad.l - pad.r) / Math.max(1, days.length);
  const Y = (v) => pad.t + (1 - v / top) * (hgt - pad.t - pad.b);
  for (const v of [0, top]) {
    root.append(svg("line", { x1: pad.l, x2: w - pad.r, y1: Y(v), y2: Y(v), class: "axis" }));
    root.append(svg("text", { x: pad.l - 6, y: Y(v) + 3, "text-anchor": "end", class: "tick", text: fmt(v) }));
  }
  days.forEach((d, i) => {
    if (!d.active) return;
    const r = svg("rect", { class: "day", x: pad.l + i * bw, y: Y(d.active), width: Math.max(1, bw - 1), height: Y(0) - Y(d.active), "data-date": d.date });
    r.append(svg("title", { text: `${d.date}: ${d.active} active` }));
    root.append(r);
  });
  for (const [key, color] of [["active_7d", PALETTE[1]], ["active_30d", PALETTE[2]]]) {
    if (!days.length) break;
    const d = days.map((p, i) => `${i ? "L" : "M"}${(pad.l + (i + 0.5) * bw).toFixed(1)} ${Y(p[key] || 0).toFixed(1)}`).join(" ");
    const line = svg("path", { d, class: "line " + key });
    line.style.stroke = color;
    root.append(line);
  }
  if (days.length) {
    root.append(svg("text", { x: pad.l, y: hgt - 3, class: "tick", text: days[0].date }));
    root.append(svg("text", { x: w - pad.r, y: hgt - 3, "text-anchor": "end", class: "tick", text: days[days.length - 1].date }));
  }
  el.replaceChildren(root);
}

const pct = (f) => (100 * f).toFixed(1) + "%";

function renderReport(r) {
  state.reportCampaigns = Object.fromEntries((r.campaigns || []).map((c) => [c.name, c]));
  for (const el of document.querySelectorAll("[data-headline]")) el.replaceWith(campaignHeadline(el.dataset.headline));
  $("hr-asof").textContent = "as of " + r.as_of;
  $("hr-a1").textContent = pct(r.active.ratio_1d);
  $("hr-a7").textContent = pct(r.active.ratio_7d);
  $("hr-a30").textContent = pct(r.active.ratio_30d);
  // The shares are of the members here at some time in the window, those
  // who left during it included, so they differ from the Members count:
  // the figures they are of say so.
  for (const [id, d, of] of [["hr-a1-of", "d1", "of_1d"], ["hr-a7-of", "d7", "of_7d"], ["hr-a30-of", "d30", "of_30d"]]) {
    const el = $(id);
    el.textContent = r.active[of] != null ? `${fmt(r.active[d])} of ${fmt(r.active[of])}` : "";
    el.title = "members active, of the members here at some time in the window (those who left during it included)";
  }
  const nps = (r.surveys || []).find((s) => s.nps);
  $("hr-nps").textContent = nps && nps.responses ? (nps.nps.score > 0 ? "+" : "") + nps.nps.score.toFixed(1) : "–";
  $("hr-k").textContent = r.referrals.k_factor.toFixed(2);
  // No payer yet reads as no figure, as NPS does without answers: 0.00
  // would say members are worth nothing.
  $("hr-ltv").textContent = r.revenue.payers ? r.revenue.ltv.toFixed(2) : "–";
  const daily = r.daily || [];
  $("hr-daily-now").textContent = daily.length ? fmt(daily[daily.length - 1].active) + " on " + daily[daily.length - 1].date : "";
  dayChart($("hr-daily"), daily, "members active per day");

  const fmax = Math.max(0, ...r.funnel.map((s) => s.members));
  replace("hr-funnel", r.funnel.map((s) => barRow(s.name, pct(s.rate), s.members, fmax)));

  const cohorts = (r.weekly_cohorts || []).filter((c) => c.size > 0);
  if (!cohorts.length) {
    replace("hr-retention", h("p", { class: "muted", text: "nobody joined in the last 12 weeks" }));
  } else {
    const width = Math.max(...cohorts.map((c) => c.rate.length));
    const head = h("tr", {}, h("th", { text: "week of" }), h("th", { text: "size" }), [...Array(width).keys()].map((k) => h("th", { text: "w" + k })));
    const rows = cohorts.map((c) => h("tr", { "data-cohort": c.start }, h("td", { text: c.start }), h("td", { class: "cell", text: fmt(c.size) }),
      c.rate.map((f) => {
        const td = h("td", { class: "cell", text: pct(f) });
        td.style.background = `rgba(61, 111, 180, ${(0.08 + 0.7 * f).toFixed(2)})`;
        return td;
      })));
    replace("hr-retention", h("div", { class: "scroll" }, h("table", { class: "retention" }, h("thead", {}, head), h("tbody", {}, rows))));
  }

  const p = r.points;
  const pmax = Math.max(p.granted, p.spent, p.expired, 0);
  replace("hr-points", h("div", { class: "bars" }, barRow("granted", "", p.granted, pmax), barRow("spent", "", p.spent, pmax),
    barRow("expired", "", p.expired, pmax), barRow("outstanding", "", p.outstanding, pmax)));

  // Each badge's holders now, and its awards over 30 days beside the
  // name (the report's badges, as hearth report prints them).
  const badges = r.badges || [];
  const bmax = Math.max(0, ...badges.map((b) => b.holders));
  replace("hr-badges", badges.length
    ? h("div", { class: "bars" }, badges.map((b) => barRow(b.title || b.name, `${fmt(b.awarded_30d || 0)} awarded in 30 days`, b.holders, bmax)))
    : h("p", { class: "muted", text: "no badges configured" }));

  const surveys = r.surveys || [];
  replace("hr-surveys", surveys.length ? surveys.map((s) => {
    const title = h("div", { class: "muted", text: `${s.survey}.${s.question} · ${fmt(s.responses)} answers` });
    if (s.nps) {
      const groups = (s.by_tier || []).map((g) => ["tier " + g.name, g]).concat((s.by_segment || []).map((g) => ["segment " + g.name, g]));
      return h("div", { class: "survey", "data-question": s.survey + "." + s.question }, title,
        h("div", { class: "bars" }, npsRow("NPS", "", s.nps.score),
          groups.map(([n, g]) => npsRow(n, fmt(g.promoters + g.passives + g.detractors) + " answers", g.score))));
    }
    const cmax = Math.max(0, ...(s.choices || []).map((c) => c.count));
    return h("div", { class: "survey", "data-question": s.survey + "." + s.question }, title,
      h("div", { class: "bars" }, (s.choices || []).map((c) => barRow(c.choice, pct(c.share), c.count, cmax))));
  }) : h("p", { class: "muted", text: "no surveys configured" }));
}

// renderCommunities draws, for each community with moderation rules or
// alerts, what the rules caught lately and each alert's state: firing
// ones first, in red. Communities with neither keep no figures.
function renderCommunities(body) {
  state.moderated = (body.communities || []).some((c) => c.moderation_rules > 0);
  state.firing = (body.communities || []).flatMap((c) => Object.entries(c.alerts || {}).filter(([, a]) => a.holding)
    .map(([name, a]) => ({ name, community: (c.figures || {}).name, severity: a.severity || "warning", description: a.description || "", since: a.last_fired })))
    .sort((a, b) => (a.severity === "critical" ? 0 : 1) - (b.severity === "critical" ? 0 : 1) || a.name.localeCompare(b.name));
  renderAttention();
  if (state.status) renderAlerts(state.status);
  const list = (body.communities || []).filter((c) => c.moderation_rules > 0 || Object.keys(c.alerts || {}).length);
  $("moderation").hidden = !list.length;
  replace("community-list", list.map((c) => {
    const f = c.figures || {};
    const kpi = (label, n, warn, title) => h("div", { class: "kpi" + (warn && n > 0 ? " warn" : ""), "data-figure": label, title },
      h("span", { class: "label", text: label }), h("span", { class: "value", text: fmt(n) }));
    // The figures are kept in clock hours: _1h is the hour under way
    // (since HH:00), _24h it and the 23 before, so the labels say so.
    const hour = "since " + new Date().toLocaleTimeString("en-GB", { hour: "2-digit" }) + ":00, the clock hour under way (community." ;
    const day = "this clock hour and the 23 before (community.";
    const alerts = Object.entries(c.alerts || {}).sort((a, b) => (b[1].holding - a[1].holding) || a[0].localeCompare(b[0]));
    const table = alerts.length ? h("div", { class: "scroll" }, h("table", { class: "alerts" },
      h("thead", {}, h("tr", {}, ["Alert", "Severity", "Now", "Fired", "Suppressed", "Last fired"].map((t) => h("th", { text: t, class: t === "Fired" || t === "Suppressed" ? "num" : null })))),
      h("tbody", {}, alerts.map(([name, a]) => h("tr", { class: a.holding ? "firing" : "", "data-alert": name },
        h("td", {}, h("code", { text: name }), a.description ? h("div", { class: "muted description", text: a.description }) : null),
        h("td", { text: a.severity || "warning" }),
        h("td", { class: "state", text: a.holding ? "firing" : "quiet" }),
        h("td", { class: "num", text: fmt(a.fired || 0) }),
        h("td", { class: "num", text: fmt(a.suppressed || 0) }),
        h("td", { text: a.last_fired ? fmtTime(a.last_fired) : "never" }))))))
      : h("p", { class: "muted", text: "no alerts configured" });
    return h("div", { class: "community", "data-community": f.name },
      h("h3", { text: f.title || f.name }),
      h("div", { class: "kpis" },
        f.capacity > 0 ? h("div", { class: "kpi" + (f.members >= f.capacity ? " warn" : ""), "data-figure": "Members of capacity", title: "community.members of community.capacity" },
          h("span", { class: "label", text: "Members of capacity" }),
          h("span", { class: "value", text: `${fmt(f.members)} / ${fmt(f.capacity)}` }),
          h("span", { class: "sub muted", text: Math.round(100 * (f.capacity_used || 0)) + "% full" })) : null,
        kpi("Messages this hour", f.messages_1h, false, hour + "messages_1h)"), kpi("Messages 24h", f.messages_24h, false, day + "messages_24h)"),
        kpi("Caught this hour", f.flagged_1h, true, hour + "flagged_1h)"), kpi("Caught 24h", f.flagged_24h, true, day + "flagged_24h)"),
        kpi("Negative this hour", f.negative_1h, true, hour + "negative_1h)"), kpi("Negative 24h", f.negative_24h, true, day + "negative_24h)"),
        kpi("Reports 24h", f.reports_24h, true, day + "reports_24h)")),
      table);
  }));
}

// OUTBOX_PAGE is how many actions the outbox list shows at first and
// adds with each "Next" click; a refresh reloads as many as are shown,
// so the pages an operator opened stay open.
const OUTBOX_PAGE = 25;

function outboxURL(limit, after) {
  return `v1/outbox?limit=${limit}&status=${state.outboxStatus}` + (after ? `&after=${encodeURIComponent(after)}` : "");
}

// OUTBOX_WHEN heads the time column of each tab: when a pending action
// is tried next, or when a finished one finished (finished_at, which
// outbox_retention counts from); a pending one's row says when it was
// queued (what its wait counts from) in its tooltip, a finished one's
// when it was last due.
const OUTBOX_WHEN = { pending: "Next try", sent: "Sent", dead: "Gave up", skipped: "Skipped" };

// outboxFor is whom an action is for, when that is not its member: a
// campaign's step, or a target other than the member (a role.add's
// target is the member again, which the Member column shows).
function outboxFor(e) {
  if (e.campaign) return `${e.campaign} · ${e.step || ""}`;
  if (!e.target || e.target === e.member) return "";
  return e.target;
}

// OUTBOX_ERROR heads the last column: a skipped action's is why it was
// skipped, not an error.
const OUTBOX_ERROR = { skipped: "Reason", sent: "Note" };

function outboxRow(e) {
  const when = e.status === "pending"
    ? h("td", { class: "when", text: fmtTime(e.next_at), title: `queued ${fmtTime(e.queued_at)}` })
    : h("td", { class: "when", text: fmtTime(e.finished_at), title: `due ${fmtTime(e.next_at)}` });
  return h("tr", { class: e.status },
    h("td", {}, h("code", { text: e.kind || e.key || "" })),
    h("td", { text: outboxFor(e) }),
    h("td", { text: e.member || "" }),
    h("td", { text: e.status }),
    h("td", { class: "num", text: fmt(e.attempts) }),
    when,
    // renderOutbox's summary turns an error many rows share into a
    // pointer to the line above the table that gives it once.
    h("td", { class: "error-text", text: e.last_error || "" }));
}

// renderOutbox draws the actions due first, with a button for the next
// page while there is one, as the member list pages.
function renderOutbox(body) {
  const entries = body.entries || [];
  if (!entries.length) {
    replace("outbox-table", h("p", { class: "muted", text: `no ${state.outboxStatus} actions` }));
    return;
  }
  const head = h("tr", {}, ["Action", "For", "Member", "Status", "Attempts", OUTBOX_WHEN[state.outboxStatus] || "When", OUTBOX_ERROR[state.outboxStatus] || "Last error"].map((t) => h("th", { text: t })));
  const rows = h("tbody", {});
  // The same error on many actions (a channel down, a bad token) is
  // said once, with how many rows have it, above the table.
  const errors = new Map();
  const summary = h("div", { class: "error-summary" });
  const summarize = () => {
    const common = [...errors].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]);
    summary.replaceChildren(...common.map(([err, n], i) => h("div", { class: "same", "data-error": String(i + 1) },
      h("span", { class: "n", text: `${fmt(n)} ×` }), h("span", { class: "muted", text: ` (${i + 1}) ` }), h("code", { text: err }))));
    for (const td of rows.querySelectorAll("td.error-text, td.same-error")) {
      const err = td.title || td.textContent;
      const i = common.findIndex(([e]) => e === err);
      td.className = i >= 0 ? "muted same-error" : "error-text";
      td.title = i >= 0 ? err : "";
      td.textContent = i >= 0 ? `as above (${i + 1})` : err;
    }
  };
  const count = h("span", { class: "muted count" });
  const more = h("button", { type: "button", class: "more", text: `Next ${OUTBOX_PAGE}` });
  let shown = 0;
  const add = (page) => {
    for (const e of page.entries || []) {
      rows.append(outboxRow(e));
      if (e.last_error) errors.set(e.last_error, (errors.get(e.last_error) || 0) + 1);
      shown++;
    }
    summarize();
    const total = state.outboxCounts[state.outboxStatus];
    count.textContent = page.more
      ? `the ${fmt(shown)} due first` + (total > shown ? ` of ${fmt(total)}` : ", more follow")
      : `${fmt(shown)} ${shown === 1 ? "action" : "actions"}`;
    more.hidden = !page.more || !page.next;
    more.dataset.next = page.next || "";
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api(outboxURL(OUTBOX_PAGE, more.dataset.next));
      add(page);
      state.outboxLimit = shown;
    } catch (e) {
      if (e instanceof AuthNeeded) return askToken();
      count.textContent = e.message;
    } finally {
      more.disabled = false;
    }
  });
  add(body);
  replace("outbox-table", summary, h("div", { class: "scroll" }, h("table", {}, h("thead", {}, head), rows)),
    h("div", { class: "row note" }, count, more));
}

// showOutboxTab lists the outbox's actions of a status, as its tab does.
function showOutboxTab(status) {
  state.outboxStatus = status;
  state.outboxLimit = OUTBOX_PAGE;
  for (const o of document.querySelectorAll(".tabs button")) o.classList.toggle("on", o.dataset.status === status);
  api(outboxURL(state.outboxLimit)).then(renderOutbox).catch(showError);
}

for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showOutboxTab(b.dataset.status));

// ---- member lookup and "why" ----

function chips(list, cls) {
  return list.length ? list.map((t) => h("span", { class: "chip " + (cls || ""), text: t })) : h("span", { class: "muted", text: "none" });
}

async function lookup(id) {
  replace("member-view", h("p", { class: "muted", text: "looking up…" }));
  let m;
  try {
    m = await api("v1/members/" + encodeURIComponent(id));
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    replace("member-view", h("p", { class: "error", text: e.status === 404 ? `no member "${id}"` : e.message }));
    return;
  }
  const segs = Object.keys(m.segments || {}).sort();
  // A run of a campaign removed from the configuration is still the
  // member's: listed, and said to be a removed campaign's.
  const campaigns = Object.entries(m.campaigns || {}).map(([n, r]) =>
    `${n}${r.campaign_removed ? " (removed campaign)" : ""}: ${r.status === "done" ? r.reason : r.status}`);
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Member" }), h("dd", {}, h("strong", { text: m.name || m.id }), " ", h("code", { class: "muted", text: m.id })),
    h("dt", { text: "Points" }), h("dd", { class: "points", text: `${fmt(m.points)} points` }),
    h("dt", { text: "Tier" }), h("dd", {}, chips(m.tier && m.tier.name ? [m.tier.name] : [], "tier")),
    h("dt", { text: "Segments" }), h("dd", {}, chips(segs)),
    h("dt", { text: "Badges" }), h("dd", {}, chips(Object.keys(m.badges || {}).sort())),
    h("dt", { text: "Campaigns" }), h("dd", {}, chips(campaigns)),
    h("dt", { text: "Joined" }), h("dd", { text: fmtTime(m.joined_at) || "–" }),
    h("dt", { text: "Last active" }), h("dd", { text: fmtTime(m.last_active_at) || "–" }),
    m.left ? h("dt", { text: "Left" }) : null, m.left ? h("dd", { text: "yes" }) : null,
    moderationFacts(m));

  const p = state.population || { segments: {}, tiers: {} };
  const decided = ((m.moderation && m.moderation.decisions) || []).length > 0;
  const rules = Object.keys(p.segments).sort().map((s) => "segment." + s)
    .concat(state.ladder.map((t) => "tier." + t), state.moderated || decided ? ["moderation"] : []);
  const select = h("select", { id: "why-rule" }, rules.map((r) => h("option", { value: r, text: r })));
  const preferred = segs.length ? "segment." + segs[0] : (m.tier && m.tier.name ? "tier." + m.tier.name : decided ? "moderation" : rules[0]);
  if (preferred) select.value = preferred;
  const out = h("div", { id: "why-out" });
  const form = h("form", { class: "row" }, h("span", { class: "muted", text: "Why, for" }), select, h("button", { type: "submit", text: "Explain" }));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); why(m.id, select.value, out); });
  const hist = h("div", { class: "member-history", "data-history": m.id }, h("h3", { text: "History" }), h("p", { class: "muted", text: "reading…" }));
  replace("member-view", h("div", { class: "member-card" }, facts, h("div", { class: "why" }, form, out)), hist);
  if (select.value) why(m.id, select.value, out);
  history(m.id, hist);
}

// HISTORY_SHOWN is how many of a member's latest outcomes the card lists.
const HISTORY_SHOWN = 15;

// history lists what happened to the member, latest first (GET
// /v1/members/ID/history, as hearth member history prints it): points,
// badges, tier and segment moves, campaign steps, actions, moderation.
async function history(id, el) {
  let body;
  try {
    body = await api(`v1/members/${encodeURIComponent(id)}/history`);
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    el.replaceChildren(el.firstChild, h("p", { class: "muted", text: e.message }));
    return;
  }
  const all = (body.history || []).slice().sort((a, b) => new Date(b.at) - new Date(a.at));
  const line = (o) => {
    let what = o.kind + " " + (o.change ? o.change + " " : "") + o.name;
    if (o.points) what += ` (${o.points > 0 ? "+" : ""}${fmt(o.points)} points)`;
    if (o.from && o.to) what += ` ${o.from} → ${o.to}`;
    else if (o.to) what += " to " + o.to;
    else if (o.from) what += " from " + o.from;
    return h("li", { "data-kind": o.kind },
      h("span", { class: "muted", text: fmtTime(o.at) + "  " }), what,
      o.rule ? h("span", { class: "muted", text: "  by " + o.rule }) : null,
      o.detail ? h("span", { class: "muted", text: ": " + o.detail }) : null);
  };
  el.replaceChildren(...[el.firstChild, all.length
    ? h("ol", { class: "history" }, all.slice(0, HISTORY_SHOWN).map(line))
    : h("p", { class: "muted", text: "nothing recorded" }),
  all.length > HISTORY_SHOWN ? h("p", { class: "muted", text: `the latest ${HISTORY_SHOWN} of ${fmt(all.length)}; hearth member history ${id} lists them all` }) : null].filter(Boolean));
}

// moderationFacts are the member's live strikes, a mute or ban in force
// and the latest decisions with their evidence, for a member the rules
// ever decided about.
function moderationFacts(m) {
  const mod = m.moderation || {};
  const decisions = mod.decisions || [];
  if (!decisions.length && !m.strikes) return null;
  let now = `${fmt(m.strikes || 0)} live ${m.strikes === 1 ? "strike" : "strikes"}`;
  if (mod.muted_until && new Date(mod.muted_until) > Date.now()) now += ` · muted until ${fmtTime(mod.muted_until)}`;
  if (mod.banned && !mod.banned_until) now += " · banned";
  else if (mod.banned && new Date(mod.banned_until) > Date.now()) now += ` · banned until ${fmtTime(mod.banned_until)}`;
  const latest = decisions.slice(-3).reverse().map((d) => h("li", {},
    h("span", { class: "muted", text: fmtTime(d.at) + " " }),
    h("strong", { text: d.action + (d.duration ? " " + d.duration : "") }), " ",
    h("code", { text: String(d.rule).replace(/^community\.[^.]+\.moderation\./, "") }),
    h("span", { class: "muted", text: d.evidence ? ": " + d.evidence : "" })));
  return [h("dt", { text: "Moderation" }), h("dd", { class: "moderation" }, h("div", { class: "strikes", text: now }),
    latest.length ? h("ul", { class: "decisions" }, latest) : null)];
}

async function why(id, rule, out) {
  out.replaceChildren(h("p", { class: "muted", text: "evaluating…" }));
  try {
    const w = await api(`v1/members/${encodeURIComponent(id)}/why?rule=${encodeURIComponent(rule)}`);
    out.replaceChildren(...(w.explanations || []).map((x) => {
      const yes = x.result === true;
      return h("div", { class: "explanation" },
        h("div", { class: "row" },
          h("code", { text: x.rule }),
          h("span", { class: "verdict " + (yes ? "yes" : "no"), text: x.error ? "error" : JSON.stringify(x.result) }),
          h("span", { class: "muted mono", text: x.at || "" })),
        h("pre", { text: x.source }),
        x.error ? h("p", { class: "error", text: x.error }) : null,
        (x.values || []).length ? h("table", {}, h("tbody", {}, x.values.map((v) =>
          h("tr", {}, h("td", {}, h("code", { text: v.name })), h("td", { class: "num", text: JSON.stringify(v.value) }))))) : null);
    }));
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    out.replaceChildren(h("p", { class: "error", text: e.message }));
  }
}

$("member-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("member-id").value.trim();
  if (text) find(text);
});

// memberExample puts a member's id from this state in the lookup's
// placeholder, so it shows what an id looks like in this community (the
// quickstart's u07 means nothing elsewhere); without one, the placeholder
// stays "member id or name".
async function memberExample() {
  try {
    const page = await api("v1/members?limit=1&left=false");
    const m = (page.members || [])[0];
    if (m && m.id) $("member-id").placeholder = "member id or name, e.g. " + m.id;
  } catch (e) {
    // The refresh beside it reports a failure; the placeholder can do
    // without an example.
  }
}

// looksLikeID tells ids (u07, 1234, discord:981, ann@example.org)
// from names (Ann, Ann Lee).
const looksLikeID = (text) => !/\s/.test(text) && /[\d:_@.\-]/.test(text);

// find opens the member whose id is text, or else lists the members
// whose id or name holds it, as an admin's user search does: people are
// looked up by name more often than by id.
async function find(text) {
  replace("member-view", h("p", { class: "muted", text: "looking up…" }));
  let page;
  // An id is found at once; a search reads every member. What looks
  // like a name (no digit, no id punctuation, or a space) goes to the
  // search, which matches ids too, so it asks for no id that is not
  // one (a 404 in the console for each name looked up).
  if (looksLikeID(text)) {
    try {
      await api("v1/members/" + encodeURIComponent(text));
      return lookup(text);
    } catch (e) {
      if (e instanceof AuthNeeded) return askToken();
      if (e.status !== 404) {
        replace("member-view", h("p", { class: "error", text: e.message }));
        return;
      }
    }
  }
  try {
    page = await api("v1/members?limit=50&q=" + encodeURIComponent(text));
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    replace("member-view", h("p", { class: "error", text: e.message }));
    return;
  }
  const hits = page.members || [];
  if (hits.length === 1 && !page.more) return lookup(hits[0].id);
  const exact = hits.find((m) => m.id === text);
  if (exact) return lookup(exact.id);
  if (!hits.length) {
    replace("member-view", h("p", { class: "error", text: `no member's id or name holds "${text}"` }));
    return;
  }
  memberList(`Members whose id or name holds "${text}"`, "q=" + encodeURIComponent(text), page);
}

// listable makes a segment's or tier's bar open the list of its members.
function listable(row, kind, name) {
  const open = () => {
    $("member").scrollIntoView({ behavior: "smooth" });
    showList(`Members ${kind === "tier" ? "on tier" : "in segment"} ${name}`, `${kind}=${encodeURIComponent(name)}`);
  };
  row.classList.add("listable");
  row.setAttribute("role", "button");
  row.setAttribute("tabindex", "0");
  row.title = `list the members ${kind === "tier" ? "on" : "in"} ${name}`;
  row.addEventListener("click", open);
  row.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); } });
  return row;
}

async function showList(title, query) {
  replace("member-view", h("p", { class: "muted", text: "listing…" }));
  try {
    memberList(title, query, await api("v1/members?limit=50&" + query));
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    replace("member-view", h("p", { class: "error", text: e.message }));
  }
}

// memberList draws a page of members, each opening the member's card,
// with a button for the next page while there is one.
function memberList(title, query, page) {
  const body = h("tbody", {});
  const count = h("span", { class: "muted" });
  const more = h("button", { type: "button", class: "more", text: "Next 50" });
  let shown = 0;
  const add = (p) => {
    for (const m of p.members || []) {
      const open = h("button", { type: "button", class: "link", text: m.id });
      open.addEventListener("click", () => lookup(m.id));
      body.append(h("tr", { class: m.left ? "left" : "" },
        h("td", {}, open),
        h("td", { text: m.name || "" }),
        h("td", { text: m.tier || "" }),
        h("td", { class: "num", text: fmt(m.points) }),
        h("td", { text: fmtTime(m.last_active_at) || "–" }),
        h("td", { class: "muted", text: m.left ? "left" : "" })));
      shown++;
    }
    count.textContent = p.more ? `${fmt(shown)} shown, more follow` : `${fmt(shown)} ${shown === 1 ? "member" : "members"}`;
    more.hidden = !p.more;
    more.dataset.next = p.next || "";
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      add(await api(`v1/members?limit=50&${query}&after=${encodeURIComponent(more.dataset.next)}`));
    } catch (e) {
      if (e instanceof AuthNeeded) return askToken();
      count.textContent = e.message;
    } finally {
      more.disabled = false;
    }
  });
  add(page);
  const head = h("tr", {}, ["Member", "Name", "Tier", "Points", "Last active", ""].map((t) => h("th", { text: t })));
  replace("member-view", h("div", { class: "member-list" },
    h("div", { class: "row" }, h("strong", { text: title }), count),
    (page.members || []).length ? h("div", { class: "scroll" }, h("table", {}, h("thead", {}, head), body)) : h("p", { class: "muted", text: "none" }),
    more));
}

// loadSegmentDays reads the segment sizes the store kept day by day
// (the report's series), once when the page opens, for the segment
// chart; a store without them leaves the chart to the daemon's samples.
async function loadSegmentDays() {
  try {
    const r = await api("v1/report?by=day&periods=30");
    state.segDays = ((r.series && r.series.periods) || []).filter((p) => p.segments)
      .map((p) => [Date.parse(p.end + "T23:59:59Z"), Object.fromEntries(p.segments.map((c) => [c.name, c.count]))])
      .filter(([at]) => !isNaN(at) && at < Date.now());
  } catch (e) {
    if (e instanceof AuthNeeded) throw e;
    state.segDays = [];
  }
}

// ---- refresh loop ----

function showError(e, storeDown) {
  if (e instanceof AuthNeeded) {
    askToken(sessionStorage.getItem(TOKEN_KEY) ? "That token was refused." : "");
    return;
  }
  if (storeDown) {
    // The daemon answered its status, which says why reads of the
    // state fail: the pill and the alert say it already.
    $("footer").textContent = "last error: " + e.message;
    return;
  }
  const pill = $("health");
  pill.className = "pill bad";
  pill.textContent = "unreachable";
  $("footer").textContent = "last error: " + e.message;
}

async function refresh(force) {
  if (state.waitingForToken) return;
  let storeDown = false;
  try {
    const st = await api("v1/status");
    renderStatus(st);
    storeDown = !!st.state && st.state.status !== "ok";
    const jobs = [
      api("v1/timeseries").then(renderSeries),
      api("v1/report").then(renderReport).catch((e) => {
        if (e.status === 501) replace("hr-funnel", h("p", { class: "muted", text: e.message }));
        else throw e;
      }),
      api("v1/communities").then(renderCommunities).catch((e) => {
        if (e.status !== 501) throw e; // a store without community figures: no section
      }),
      api(outboxURL(state.outboxLimit)).then(renderOutbox).catch((e) => {
        if (e.status === 501) replace("outbox-table", h("p", { class: "muted", text: e.message }));
        else throw e;
      }),
    ];
    if (force) {
      jobs.push(api("v1/population").then((p) => {
        state.populationAt = Date.now();
        renderPopulation(p);
        // Not awaited: the page draws without the campaigns' views.
        loadViews(Object.keys(p.campaigns || {}).sort());
      }));
      jobs.push(memberExample());
      jobs.push(loadSegmentDays());
    }
    await Promise.all(jobs);
    $("footer").textContent = "updated " + new Date().toLocaleTimeString("en-GB") + " · refreshes every " + REFRESH_MS / 1000 + " s";
    document.body.dataset.loaded = "true";
  } catch (e) {
    showError(e, storeDown);
  }
}

refresh(true);
setInterval(() => refresh(false), REFRESH_MS);
