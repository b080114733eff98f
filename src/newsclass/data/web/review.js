// The review page of newsclass. Article text is only ever set as text (textContent),
// never parsed as markup. Every request carries the session token.
"use strict";
(function () {
  const token = document.querySelector('meta[name="review-token"]').content;
  const $ = (id) => document.getElementById(id);
  const DEFAULT = ["tech", "congress", "education", "charity", "other"];
  let labels = [];       // [{id, zh, key}]
  let rows = [];         // the filtered list, in review order
  let current = null;    // position (in review order) of the article shown
  let shown = null;      // the article shown, as the server sent it
  let total = 0;

  function colour(label) {
    const i = DEFAULT.indexOf(label);
    if (i >= 0) return "c-" + label;
    const j = labels.findIndex((l) => l.id === label);
    return "c-x" + (Math.max(j, 0) % 4);
  }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function zh(label) {
    const l = labels.find((x) => x.id === label);
    return l ? l.zh : label;
  }
  function tag(label) {
    const name = zh(label);
    return el("span", name === label ? label : label + " " + name, "tag " + colour(label));
  }
  async function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    init.headers["X-Review-Token"] = token;
    const response = await fetch(path, init);
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }
  function status(text, error) {
    const node = $("status");
    node.textContent = text;
    node.className = error ? "error" : "";
  }
  function progress(reviewed) {
    $("progress").textContent = "reviewed " + reviewed + " of " + total;
  }

  // The header: per label, the articles that have it now (the reviewer's label where
  // there is one, else the model's) and, after ✓, how many of them are reviewed. It
  // counts all articles, whatever the filters, and follows every decision.
  function showCounts(counts) {
    const box = $("counts");
    box.replaceChildren();
    for (const l of labels) {
      const c = counts[l.id] || { model: 0, now: 0, reviewed: 0 };
      const span = el("span");
      span.append(tag(l.id), " " + c.now);
      if (c.reviewed) span.append(el("span", " ✓" + c.reviewed, "reviewed"));
      span.title = c.now + " labelled " + l.id + " now (" + c.model + " by the model), " +
        c.reviewed + " of them reviewed";
      span.dataset.label = l.id;
      box.append(span);
    }
  }
  function listItem(row) {
    const li = el("li");
    li.dataset.pos = row.pos;
    if (row.decision) li.classList.add("done");
    li.append(el("span", row.confidence.toFixed(3), "conf"), el("span", row.title, "title"),
              tag(row.label));
    if (row.decision) li.append(el("span", "→ " + row.decision, "decided"));
    li.addEventListener("click", () => openArticle(row.pos));
    return li;
  }
  function markCurrent() {
    for (const li of $("list").children) {
      const on = Number(li.dataset.pos) === current;
      li.classList.toggle("current", on);
      if (on) li.scrollIntoView({ block: "nearest" });
    }
  }
  async function loadList() {
    const q = new URLSearchParams({
      label: $("f-label").value, source: $("f-source").value, min: $("f-min").value,
      max: $("f-max").value, q: $("f-q").value });
    const data = await api("/api/list?" + q.toString());
    rows = data.items;
    $("list").replaceChildren(...rows.map(listItem));
    $("shown").textContent = rows.length === total ? total + " articles"
      : rows.length + " of " + total + " articles";
    markCurrent();
  }

  function segments(target, parts) {
    target.replaceChildren();
    for (const [text, label] of parts) {
      if (label === null) {
        target.append(document.createTextNode(text));
      } else {
        const mark = el("mark", text, colour(label));
        mark.dataset.label = label;
        mark.title = "pushes towards " + label + " " + zh(label);
        target.append(mark);
      }
    }
  }
  function showArticle(a) {
    shown = a;
    current = a.pos;
    document.body.dataset.pos = a.pos;
    const meta = $("meta");
    meta.replaceChildren();
    const top = el("div", null, "top");
    a.top.forEach((t, i) => {
      const span = el("span");
      span.append(i === 0 ? "label " : i === 1 ? "runner-up " : "", tag(t.label),
                  " " + t.p.toFixed(4));
      top.append(span);
    });
    meta.append(el("div", a.id + " · " + a.source + (a.snippet ? " · start of the text only" : "")),
                top);
    segments($("title"), a.title);
    segments($("body"), a.body);
    const terms = $("terms");
    terms.replaceChildren(...a.terms.map((t) => {
      const li = el("li");
      li.append(el("mark", t.term, colour(t.label)), " " + t.weight);
      li.title = "pushes towards " + t.label;
      return li;
    }));
    showButtons();
    markCurrent();
    history.replaceState(null, "", "?token=" + encodeURIComponent(token) + "#" + a.pos);
  }
  function showButtons() {
    const box = $("buttons");
    box.replaceChildren(...labels.map((l) => {
      const b = el("button", l.key + " " + l.id + " " + l.zh, colour(l.id));
      b.type = "button";
      b.dataset.label = l.id;
      if (shown && shown.decision === l.id) b.classList.add("chosen");
      if (shown && shown.label === l.id) b.classList.add("model");
      b.addEventListener("click", () => decide(l.id, false));
      return b;
    }));
    status(shown && shown.decision ? "saved: " + shown.decision + " " + zh(shown.decision) : "");
  }
  async function openArticle(pos) {
    try {
      showArticle(await api("/api/article/" + pos));
    } catch (e) {
      status("could not load the article: " + e.message, true);
    }
  }

  async function decide(label, advance) {
    if (!shown) return;
    status("saving…");
    try {
      const r = await api("/api/decision", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pos: shown.pos, label: label }) });
      shown.decision = r.decision;
      progress(r.reviewed);
      showCounts(r.counts);
      showButtons();
      const li = $("list").querySelector('li[data-pos="' + r.pos + '"]');
      if (li) {
        const row = rows.find((x) => x.pos === r.pos);
        row.decision = r.decision;
        li.replaceWith(listItem(row));
        markCurrent();
      }
      if (advance) move(1);
    } catch (e) {
      status("NOT saved: " + e.message, true);
    }
  }
  function move(step) {
    const i = rows.findIndex((r) => r.pos === current);
    const next = rows[i + step];
    if (next) openArticle(next.pos);
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("#filters")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const k = Number(event.key);
    if (k >= 1 && k <= labels.length) {
      event.preventDefault();
      decide(labels[k - 1].id, false);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (shown && shown.decision) move(1);
      else if (shown) decide(shown.label, true);
    } else if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      event.preventDefault();
      move(-1);
    }
  });

  async function start() {
    const state = await api("/api/state");
    labels = state.labels;
    total = state.total;
    progress(state.reviewed);
    showCounts(state.counts);
    for (const l of labels) $("f-label").append(new Option(l.id + " " + l.zh, l.id));
    for (const s of state.sources) $("f-source").append(new Option(s, s));
    for (const id of ["f-label", "f-source", "f-min", "f-max", "f-q"]) {
      $(id).addEventListener("change", loadList);
    }
    $("f-q").addEventListener("input", loadList);
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    await loadList();
    const fromUrl = Number(location.hash.slice(1));
    const pos = location.hash && fromUrl >= 0 && fromUrl < total ? fromUrl : state.start;
    await openArticle(pos);
    document.body.dataset.ready = "1";
  }
  start().catch((e) => status("could not start: " + e.message, true));
})();
