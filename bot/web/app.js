// citebot chat page. Document text is untrusted: everything from the server is inserted with
// textContent or createTextNode, never as HTML.
"use strict";

const STORE = "citebot.conversation.v1";
const KEYS = { ask: "citebot.key.ask", admin: "citebot.key.admin" };
const $ = (id) => document.getElementById(id);
const log = $("log");
const form = $("ask-form");
const input = $("question");
const send = $("send");
const cancel = $("cancel");
const statusLine = $("status");

let state = load();
let pending = null;       // the AbortController of the question in flight
let viewerOpener = null;  // the control that opened the source view, to return focus to
let messageSeq = 0;

// ---------------------------------------------------------------- storage and small helpers

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE));
    if (saved && Array.isArray(saved.messages)) return saved;
  } catch (e) { /* a corrupt entry starts a fresh conversation */ }
  return { conversation_id: null, messages: [] };
}

function save() {
  localStorage.setItem(STORE, JSON.stringify(state));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function say(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function citeLink(citationId) {
  return `${location.origin}/#cite=${encodeURIComponent(citationId)}`;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function copyText(text, done) {
  try {
    await navigator.clipboard.writeText(text);
    say(done);
  } catch (e) {
    say("Copy failed: the browser refused the clipboard; select the text and copy it.", true);
  }
}

// ---------------------------------------------------------------- HTTP, with the access keys

function askForKey(admin, why) {
  const dialog = $("key-dialog");
  $("key-title").textContent = admin ? "Admin key needed" : "Access key needed";
  $("key-why").textContent = why || (admin ? "Adding and removing documents needs the admin key (BOT_ADMIN_API_KEY)."
    : "This server asks for a key before it answers (BOT_ASK_API_KEY).");
  $("key-input").value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const key = $("key-input").value.trim();
      if (dialog.returnValue === "ok" && key) {
        sessionStorage.setItem(admin ? KEYS.admin : KEYS.ask, key);
        resolve(key);
      } else resolve(null);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("key-input").focus();
  });
}

async function api(path, { method = "GET", json, body, admin = false, signal } = {}) {
  for (;;) {
    const headers = {};
    const key = sessionStorage.getItem(admin ? KEYS.admin : KEYS.ask);
    if (key) headers.Authorization = `Bearer ${key}`;
    if (json !== undefined) headers["Content-Type"] = "application/json";
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: json !== undefined ? JSON.stringify(json) : body, signal });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new Error("Could not reach the citebot server. Check the connection, or whether the server is running, and try again.");
    }
    if (resp.status !== 401) return resp;
    if (key) sessionStorage.removeItem(admin ? KEYS.admin : KEYS.ask);
    const got = await askForKey(admin, key ? "That key was not accepted; enter it again." : "");
    if (!got) throw new Error(admin ? "Adding or removing documents needs the admin key." : "This server needs an access key; none was given.");
  }
}

async function apiJson(path, options) {
  const resp = await api(path, options);
  const body = await resp.json().catch(() => null);
  if (!resp.ok) {
    const error = new Error(body && body.error ? body.error.message : `The server answered ${resp.status}.`);
    error.status = resp.status;
    error.code = body && body.error ? body.error.code : "";
    throw error;
  }
  return { body, resp };
}

// ---------------------------------------------------------------- answers

function quoteNodes(text) {
  // a source's own footnote markers ([2]) inside a quote stay verbatim but do not look like citebot's citations
  return text.split(/(\[\d+\])/).filter(Boolean).map((part) => /^\[\d+\]$/.test(part)
    ? el("span", { class: "srcnote", title: "The source's own footnote marker" }, part)
    : document.createTextNode(part));
}

function answerNodes(text, refButton) {
  const nodes = [];
  const pattern = /“[^”]*”|\[(\d+)\]/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    nodes.push(...(m[1] === undefined ? quoteNodes(m[0]) : [refButton(Number(m[1])) || document.createTextNode(m[0])]));
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function disagreements(facts) {
  // one line per measured thing (field and side) whose claims differ: "27 to 40–50+ killed (soldiers), 5 claims"
  const groups = new Map();
  for (const f of facts) {
    if (f.low == null) continue;
    const key = `${f.field}|${f.side}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  const lines = [];
  for (const claims of groups.values()) {
    if (new Set(claims.map((f) => `${f.low}|${f.high}`)).size < 2) continue;
    const top = (f) => (f.high == null ? Infinity : f.high);
    const low = claims.reduce((a, f) => (f.low < a.low ? f : a));
    const high = claims.reduce((a, f) => (top(f) > top(a) ? f : a));
    const what = claims[0].field + (claims[0].side ? ` (${claims[0].side})` : "");
    const sources = new Set(claims.map((f) => f.claimant || "unattributed")).size;
    lines.push(`${low.value} to ${high.value} ${what}: ${claims.length} claims from ${sources} source${sources === 1 ? "" : "s"}`);
  }
  return lines;
}

function factTable(body, refId) {
  const events = new Set(body.facts.map((f) => f.event));
  const oneEvent = events.size === 1 ? [...events][0] : null;
  const numbered = body.facts.map((f, i) => ({ f, n: i + 1 }));
  const byClaimant = new Map();
  for (const row of numbered) {
    const who = row.f.claimant || "Claimant not stated";
    if (!byClaimant.has(who)) byClaimant.set(who, []);
    byClaimant.get(who).push(row);
  }
  const columns = oneEvent ? 4 : 5;
  const rows = [];
  for (const [who, group] of byClaimant) {
    if (byClaimant.size > 1) {
      rows.push(el("tr", { class: "group" }, el("td", { colspan: String(columns) },
        `${who} (${group.length} claim${group.length === 1 ? "" : "s"})`)));
    }
    for (const { f, n } of group) {
      rows.push(el("tr", { id: refId(n), tabindex: "-1" },
        el("td", {}, `[${n}]`),
        oneEvent ? null : el("td", {}, f.event),
        el("td", {}, f.value),
        el("td", {}, f.field + (f.side ? ` (${f.side})` : "") + (byClaimant.size > 1 ? "" : f.claimant ? `, per ${f.claimant}` : "")),
        el("td", {},
          el("details", {}, el("summary", {}, "Quote"), el("blockquote", {}, ...quoteNodes(f.quote))),
          el("button", { type: "button", class: "cite-link", "aria-label": `Open source of claim ${n}`,
            onclick: (e) => openCitation(f.citation_id, e.currentTarget) }, "Open source"))));
    }
  }
  return el("div", { class: "scroll" }, el("table", { class: "facts" },
    el("caption", { class: oneEvent ? "event" : "sr-only" }, oneEvent || "Claims and their sources"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "#"), oneEvent ? null : el("th", { scope: "col" }, "Event"),
      el("th", { scope: "col" }, "Value"), el("th", { scope: "col" }, "What"), el("th", { scope: "col" }, "Evidence"))),
    el("tbody", {}, ...rows)));
}

function renderAnswer(body) {
  const mid = `m${++messageSeq}`;
  const refId = (n) => `${mid}-ref${n}`;
  const facts = body.facts || [];
  const passages = body.passages || [];
  const first = body.mode === "fact" ? facts.length + 1 : 1;  // related passages are numbered after the facts
  const total = body.mode === "fact" ? facts.length : passages.length;
  const jump = (n) => {
    const target = document.getElementById(refId(n));
    if (!target) return;
    target.scrollIntoView({ block: "center", behavior: "smooth" });
    target.classList.remove("flash");
    void target.offsetWidth;
    target.classList.add("flash");
    target.focus({ preventScroll: true });
  };
  const refButton = (n) => (n >= 1 && n <= total
    ? el("button", { type: "button", class: "ref", "aria-label": `[${n}]: go to source ${n}`, onclick: () => jump(n) }, `[${n}]`)
    : null);
  const item = el("li", { class: "msg bot", "data-mode": body.mode });
  item.appendChild(el("span", { class: "sr-only" }, "citebot answered: "));
  item.appendChild(el("p", { class: "answer" }, ...answerNodes(body.answer, refButton)));
  const mode = { passage: "quoted passage", fact: "figures with claimants", none: "not answered by the documents" }[body.mode] || body.mode;
  const said = body.assessment ? `${body.assessment} · ` : "";
  item.appendChild(el("p", { class: "meta" }, `${said}${mode} · confidence ${Number(body.confidence).toFixed(2)}`));
  const conflicts = disagreements(facts);
  if (conflicts.length) {
    item.appendChild(el("div", { class: "conflict", role: "note" }, el("strong", {}, "⚠ Sources disagree: "),
      conflicts.join("; "), "."));
  }
  if (facts.length) item.appendChild(factTable(body, refId));
  if (passages.length) {
    const heading = body.mode === "none" ? "Related reading" : body.mode === "fact" ? "Related passages" : "Evidence";
    item.appendChild(el("p", { class: "meta" }, heading));
    const cards = passages.map((p, i) => el("li", { class: "card", id: refId(first + i), tabindex: "-1" },
      el("blockquote", {}, ...quoteNodes(p.quote)),
      el("div", { class: "src" }, el("button", {
        type: "button", class: "cite-link", "data-citation": p.citation_id, "aria-label": `[${first + i}] ${p.title}: open the source`,
        onclick: (e) => openCitation(p.citation_id, e.currentTarget),
      }, `[${first + i}] ${p.title}`), p.section ? ` — ${p.section}` : "")));
    item.appendChild(el("ul", { class: "cards", "aria-label": heading }, ...cards));
  }
  item.appendChild(el("div", { class: "answer-actions" },
    el("button", { type: "button", class: "link", onclick: () => copyText(answerMarkdown(body), "Answer copied with its citations.") },
      "Copy answer with citations")));
  return item;
}

function answerMarkdown(body) {
  const lines = [body.answer, ""];
  (body.facts || []).forEach((f, i) => lines.push(
    `[${i + 1}] ${f.value} ${f.field}${f.side ? ` (${f.side})` : ""}, ${f.claimant || "claimant not stated"}: “${f.quote}” ${citeLink(f.citation_id)}`));
  const first = body.mode === "fact" ? (body.facts || []).length + 1 : 1;
  (body.passages || []).forEach((p, i) => lines.push(`[${first + i}] ${p.title}: “${p.quote}” ${citeLink(p.citation_id)}`));
  return lines.join("\n");
}

function conversationMarkdown() {
  const parts = ["# citebot conversation", ""];
  for (const m of state.messages) {
    if (m.role === "user") parts.push(`## ${m.text}`, "");
    else if (m.role === "bot") {
      parts.push(m.body.answer, "");
      (m.body.facts || []).forEach((f, i) => parts.push(
        `${i + 1}. ${f.value} ${f.field}${f.side ? ` (${f.side})` : ""} (${f.claimant || "claimant not stated"}): > “${f.quote}” [source](${citeLink(f.citation_id)})`));
      const first = m.body.mode === "fact" ? (m.body.facts || []).length + 1 : 1;
      (m.body.passages || []).forEach((p, i) => parts.push("", `> ${p.quote.replace(/\n/g, "\n> ")}`, ">",
        `> — [${first + i}] [${p.title}${p.section ? `, ${p.section}` : ""}](${citeLink(p.citation_id)})`));
      parts.push("");
    } else parts.push(`_${m.text}_`, "");
  }
  return parts.join("\n");
}

function renderMessage(m) {
  if (m.role === "user") return el("li", { class: "msg user" }, el("span", { class: "sr-only" }, "You asked: "), m.text);
  if (m.role === "error") return el("li", { class: "msg error", role: "alert" }, m.text);
  if (m.role === "notice") return el("li", { class: "msg notice" }, m.text);
  return renderAnswer(m.body);
}

function add(message) {
  // only the new message is added to the page: earlier ones keep their nodes, focus and open quotes
  state.messages.push(message);
  save();
  const node = renderMessage(message);
  log.appendChild(node);
  return node;
}

function renderAll() {
  log.replaceChildren(...state.messages.map(renderMessage));
}

function setBusy(busy) {
  send.disabled = busy;
  cancel.hidden = !busy;
  form.setAttribute("aria-busy", String(busy));
}

async function ask(question) {
  add({ role: "user", text: question });
  setBusy(true);
  say("Searching the documents…");
  pending = new AbortController();
  try {
    const post = (conversation_id) => apiJson("/ask", { method: "POST", json: { question, conversation_id }, signal: pending.signal });
    let result;
    try {
      result = await post(state.conversation_id);
    } catch (err) {
      if (err.code !== "conversation_not_found") throw err;
      // the server no longer knows this conversation (expired, or another server): start a new one
      add({ role: "notice", text: "This conversation had expired, so a new one was started; earlier questions are no longer used as context." });
      state.conversation_id = null;
      result = await post(null);
    }
    state.conversation_id = result.body.conversation_id;
    const node = add({ role: "bot", body: result.body });
    say(result.body.mode === "none" ? "The documents do not answer this question." : "Answer ready, with its sources.");
    node.scrollIntoView({ block: "nearest" });
  } catch (err) {
    if (err.name === "AbortError") {
      add({ role: "notice", text: "You cancelled this question." });
      say("Cancelled.");
    } else {
      add({ role: "error", text: `Could not answer: ${err.message}` });
      say("Something went wrong; see the message above.", true);
    }
  } finally {
    pending = null;
    setBusy(false);
    save();
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || send.disabled) return;
  input.value = "";
  ask(question);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

cancel.addEventListener("click", () => pending && pending.abort());

$("new-chat").addEventListener("click", () => {
  state = { conversation_id: null, messages: [] };
  save();
  renderAll();
  say("New conversation started.");
  input.focus();
});

$("export-chat").addEventListener("click", () => {
  if (!state.messages.length) return say("Nothing to export yet: ask a question first.");
  download("citebot-conversation.md", "text/markdown", conversationMarkdown());
  say("Conversation exported as Markdown.");
});

// ---------------------------------------------------------------- the source view

function showPdfPage(docId, locator, pageCount) {
  const frame = $("page-frame");
  $("page-view").hidden = false;
  $("page-label").textContent = `Page ${locator.page}${pageCount ? ` of ${pageCount}` : ""}, quoted lines highlighted`;
  return api(`/documents/${encodeURIComponent(docId)}/pages/${locator.page}.png`).then(async (resp) => {
    if (!resp.ok) throw new Error(`page image: ${resp.status}`);
    const url = URL.createObjectURL(await resp.blob());
    const img = el("img", { alt: `Page ${locator.page} of the original PDF` });
    await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; img.src = url; });
    const w = img.naturalWidth, h = img.naturalHeight, scale = 1.5;  // the route draws 1.5 pixels per PDF point
    // boxes are PDF points from the bottom left; set through the CSSOM (the page's policy forbids style attributes)
    const boxes = (locator.boxes || []).map(([x0, y0, x1, y1]) => {
      const box = el("div", { class: "box", "aria-hidden": "true" });
      Object.assign(box.style, {
        left: `${(100 * x0 * scale) / w}%`, top: `${(100 * (h - y1 * scale)) / h}%`,
        width: `${(100 * (x1 - x0) * scale) / w}%`, height: `${(100 * (y1 - y0) * scale) / h}%`,
      });
      return box;
    });
    frame.replaceChildren(img, ...boxes);
    if (boxes.length) boxes[0].scrollIntoView({ block: "center" });
  }).catch(() => {
    $("page-label").textContent = `Page ${locator.page}: the page image could not be drawn; the quote is highlighted in the text below.`;
  });
}

async function openCitation(citationId, opener) {
  const viewer = $("viewer");
  viewerOpener = opener || document.activeElement;
  viewer.hidden = false;
  $("viewer-title").textContent = "Loading source…";
  $("doc-text").replaceChildren();
  $("cite-text").textContent = "";
  $("cite-refs").replaceChildren();
  $("copy-cite").disabled = true;
  $("original-link").hidden = true;
  $("page-view").hidden = true;
  $("page-frame").replaceChildren();
  history.replaceState(null, "", `#cite=${encodeURIComponent(citationId)}`);
  let cite, doc;
  try {
    cite = (await apiJson(`/citations/${encodeURIComponent(citationId)}`)).body;
    doc = (await apiJson(`/documents/${encodeURIComponent(cite.doc_id)}`)).body;
  } catch (err) {
    $("viewer-title").textContent = err.status === 410 ? "This document has changed" : "Source not available";
    $("cite-text").textContent = err.message;
    $("viewer-title").focus();
    return;
  }
  $("viewer-title").textContent = doc.title;
  $("cite-text").textContent = `${doc.title}: “${cite.quote}” (${citeLink(citationId)})`;
  $("copy-cite").disabled = false;
  const original = $("original-link");
  original.href = `/documents/${encodeURIComponent(cite.doc_id)}/original`;
  original.textContent = `Open the original ${doc.format === "text" ? "file" : doc.format.toUpperCase() + " file"}`;
  original.hidden = false;
  for (const ref of cite.references || []) {
    $("cite-refs").appendChild(el("li", {}, `[${ref.marker}] ${ref.text}`));
  }
  const mark = el("mark", { id: "highlight", tabindex: "-1" }, doc.text.slice(cite.start, cite.end));
  $("doc-text").replaceChildren(
    document.createTextNode(doc.text.slice(0, cite.start)), mark, document.createTextNode(doc.text.slice(cite.end)));
  mark.scrollIntoView({ block: "center" });
  if (cite.locator && cite.locator.kind === "pdf") await showPdfPage(cite.doc_id, cite.locator, (doc.pages || []).length);
  $("viewer-title").focus({ preventScroll: true });
}

function closeViewer() {
  $("viewer").hidden = true;
  history.replaceState(null, "", location.pathname);
  const back = viewerOpener && document.body.contains(viewerOpener) ? viewerOpener : input;
  back.focus();
}

$("viewer-close").addEventListener("click", closeViewer);

$("original-link").addEventListener("click", async (event) => {
  if (!sessionStorage.getItem(KEYS.ask)) return;  // a plain link works when no key is needed
  event.preventDefault();
  const resp = await api(event.currentTarget.getAttribute("href"));
  if (resp.ok) window.open(URL.createObjectURL(await resp.blob()), "_blank", "noopener");
});

$("copy-cite").addEventListener("click", () => {
  const text = $("cite-text").textContent;
  if (!text) return;
  copyText(text, "Citation copied.");
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("viewer").hidden && !$("key-dialog").open) {
    event.preventDefault();
    closeViewer();
  }
});

// ---------------------------------------------------------------- views: chat, facts, documents

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  for (const view of ["chat", "check", "facts", "docs"]) $(`view-${view}`).hidden = view !== name;
  if (name === "facts") loadFacts(0);
  if (name === "docs") loadDocuments();
  if (name === "chat") input.focus();
  if (name === "check") $("check-text").focus();
}

for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));

const FACT_COLUMNS = ["event", "event_year", "field", "side", "value", "low", "high", "unit", "noun", "claimant",
  "source", "doc_id", "start", "end", "citation_id", "quote"];
let factsShown = 0;

function factFilters() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("facts-form"))) if (String(value).trim()) params.set(key, String(value).trim());
  return params;
}

async function factPage(offset, limit) {
  const params = factFilters();
  params.set("offset", String(offset));
  params.set("limit", String(limit));
  const { body, resp } = await apiJson(`/facts?${params}`);
  return { rows: body, total: Number(resp.headers.get("X-Total-Count") || body.length) };
}

let factsRequest = 0;  // the latest facts request: an older answer arriving late must not replace a newer one

async function loadFacts(offset) {
  const tbody = $("facts-table").tBodies[0];
  const mine = ++factsRequest;
  try {
    const { rows, total } = await factPage(offset, 100);
    if (mine !== factsRequest) return;
    if (offset === 0) tbody.replaceChildren();
    for (const f of rows) {
      tbody.appendChild(el("tr", {},
        el("td", {}, f.event),
        el("td", {}, f.field + (f.side ? ` (${f.side})` : "")),
        el("td", {}, f.value),
        el("td", {}, f.claimant || "not stated"),
        el("td", {}, el("button", { type: "button", class: "cite-link", "aria-label": `Open source of ${f.value} ${f.field}`,
          onclick: (e) => openCitation(f.citation_id, e.currentTarget) }, "Open source"))));
    }
    factsShown = offset + rows.length;
    $("facts-count").textContent = total ? `Showing ${factsShown} of ${total} facts.` : "No facts match these filters.";
    $("facts-more").hidden = factsShown >= total;
  } catch (err) {
    if (mine === factsRequest) $("facts-count").textContent = `Could not load the facts: ${err.message}`;
  }
}

$("facts-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadFacts(0);
});
$("facts-more").addEventListener("click", () => loadFacts(factsShown));

$("facts-csv").addEventListener("click", async () => {
  try {
    const all = [];
    for (let offset = 0; ; offset += 1000) {
      const { rows, total } = await factPage(offset, 1000);
      all.push(...rows);
      if (!rows.length || all.length >= total) break;
    }
    const cell = (v) => (v == null ? "" : /[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const csv = [FACT_COLUMNS.join(","), ...all.map((f) => FACT_COLUMNS.map((c) => cell(f[c])).join(","))].join("\r\n");
    download("citebot-facts.csv", "text/csv", csv + "\r\n");
    $("facts-count").textContent = `Downloaded ${all.length} facts as CSV.`;
  } catch (err) {
    $("facts-count").textContent = `Could not download the facts: ${err.message}`;
  }
});

async function loadDocuments() {
  const tbody = $("docs-table").tBodies[0];
  try {
    const { body } = await apiJson("/documents");
    tbody.replaceChildren(...body.map((d) => el("tr", {},
      el("td", {}, d.title, el("div", { class: "meta" }, d.doc_id)),
      el("td", {}, d.format),
      el("td", {}, d.pages ? String(d.pages) : "—"),
      el("td", {}, String(d.chunks)),
      el("td", {}, d.added ? new Date(d.added * 1000).toLocaleString() : "—"),
      el("td", {}, el("button", { type: "button", class: "secondary", "aria-label": `Delete ${d.title}`,
        onclick: () => removeDocument(d) }, "Delete")))));
    const formats = {};
    for (const d of body) formats[d.format] = (formats[d.format] || 0) + 1;
    $("docs-count").textContent = `${body.length} document${body.length === 1 ? "" : "s"}` +
      (body.length ? ` (${Object.entries(formats).map(([f, n]) => `${n} ${f}`).join(", ")})` : "");
  } catch (err) {
    $("docs-count").textContent = `Could not list the documents: ${err.message}`;
  }
}

async function removeDocument(doc) {
  if (!window.confirm(`Remove “${doc.title}” (${doc.doc_id}) from the index? Its citations will stop working.`)) return;
  try {
    await apiJson(`/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE", admin: true });
    $("upload-log").appendChild(el("li", {}, `${doc.doc_id}: removed`));
  } catch (err) {
    $("upload-log").appendChild(el("li", { class: "bad" }, `${doc.doc_id}: not removed: ${err.message}`));
  }
  loadDocuments();
}

async function upload(files) {
  for (const file of files) {
    const line = el("li", {}, `${file.name}: uploading…`);
    $("upload-log").appendChild(line);
    const data = new FormData();
    data.append("file", file, file.name);
    try {
      const { body } = await apiJson("/documents", { method: "POST", body: data, admin: true });
      line.textContent = `${file.name}: ${body.status} (${body.chunks} chunks)`;
    } catch (err) {
      line.className = "bad";
      line.textContent = `${file.name}: rejected: ${err.message}`;
    }
  }
  loadDocuments();
}

$("file-input").addEventListener("change", (event) => {
  upload([...event.target.files]);
  event.target.value = "";
});
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  upload([...event.dataTransfer.files]);
});

// ---------------------------------------------------------------- check a text

const VERDICTS = {
  quoted: { icon: "❝", label: "Quoted" },
  supported: { icon: "✓", label: "Supported" },
  conflicts: { icon: "✗", label: "Conflicts" },
  not_found: { icon: "?", label: "Not found" },
  unclear: { icon: "~", label: "Unclear" },
};
let lastCheck = null;

function chip(verdict) {
  const v = VERDICTS[verdict];
  return el("span", { class: `chip v-${verdict}` }, `${v.icon} ${v.label}`);
}

function showEvidence(s, n, button) {
  for (const other of document.querySelectorAll(".sent[aria-expanded]")) other.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-expanded", "true");
  const detail = $("check-detail");
  const parts = [el("h3", {}, `Sentence ${n}: `, chip(s.verdict), ` confidence ${s.confidence.toFixed(2)}`),
    el("p", {}, s.reason)];
  for (const c of s.claims) {
    parts.push(el("p", { class: "meta" }, `“${c.value}” (${c.field}) ${c.verdict === "supported" ? "matches" : "differs from"} what the sources say:`));
    parts.push(el("ul", {}, ...c.facts.map((f) => el("li", {}, `${f.value} ${f.field}`, f.claimant ? `, per ${f.claimant} ` : " ",
      el("button", { type: "button", class: "cite-link", onclick: (e) => openCitation(f.citation_id, e.currentTarget) }, "Open source")))));
  }
  if (s.passages.length) {
    parts.push(el("p", { class: "meta" }, "Evidence"));
    parts.push(el("ul", { class: "cards" }, ...s.passages.map((p) => el("li", { class: "card" },
      el("blockquote", {}, ...quoteNodes(p.quote)),
      el("div", { class: "src" }, el("button", { type: "button", class: "cite-link",
        onclick: (e) => openCitation(p.citation_id, e.currentTarget) }, `${p.title}: open the source`))))));
  }
  detail.replaceChildren(...parts);
  detail.hidden = false;
}

function renderCheck(text, report) {
  const out = [];
  let pos = 0;
  report.sentences.forEach((s, i) => {
    if (s.start > pos) out.push(document.createTextNode(text.slice(pos, s.start)));
    const button = el("button", { type: "button", class: `sent v-${s.verdict}`, "aria-expanded": "false",
      onclick: (e) => showEvidence(s, i + 1, e.currentTarget) }, text.slice(s.start, s.end));
    out.push(button, chip(s.verdict));
    pos = s.end;
  });
  if (pos < text.length) out.push(document.createTextNode(text.slice(pos)));
  $("check-result").replaceChildren(...out);
  $("check-legend").replaceChildren(...Object.keys(VERDICTS).filter((v) => report.counts[v])
    .map((v) => el("span", {}, chip(v), ` ${report.counts[v]}`)));
  $("check-legend").hidden = false;
  $("check-detail").hidden = true;
  $("check-export").hidden = false;
}

function checkMarkdown() {
  const { text, report } = lastCheck;
  let body = "", pos = 0;
  const notes = [];
  report.sentences.forEach((s, i) => {
    body += text.slice(pos, s.end) + `[^${i + 1}]`;
    pos = s.end;
    const evidence = s.passages[0] ? ` “${s.passages[0].quote.replace(/\s+/g, " ")}” (${s.passages[0].title}, ${citeLink(s.passages[0].citation_id)})` : "";
    const claims = s.claims.map((c) => ` ${c.value} vs ${c.facts.map((f) => `${f.value}${f.claimant ? ` per ${f.claimant}` : ""} (${citeLink(f.citation_id)})`).join("; ")}.`).join("");
    notes.push(`[^${i + 1}]: **${VERDICTS[s.verdict].label}** (confidence ${s.confidence.toFixed(2)}). ${s.reason}${claims}${evidence}`);
  });
  body += text.slice(pos);
  return `${body.trim()}\n\n${notes.join("\n")}\n`;
}

$("check-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("check-text").value;
  if (!text.trim()) return;
  $("check-run").disabled = true;
  $("check-status").textContent = "Checking every sentence against the documents…";
  try {
    const { body } = await apiJson("/check", { method: "POST", json: { text } });
    lastCheck = { text, report: body };
    renderCheck(text, body);
    const n = body.sentences.length;
    $("check-status").textContent = `Checked ${n} sentence${n === 1 ? "" : "s"}. Select a sentence to see its evidence.`;
  } catch (err) {
    $("check-status").textContent = `Could not check the text: ${err.message}`;
  } finally {
    $("check-run").disabled = false;
  }
});

$("check-export").addEventListener("click", () => {
  if (lastCheck) download("citebot-checked.md", "text/markdown", checkMarkdown());
});

// ---------------------------------------------------------------- start

renderAll();
input.focus();
const initial = new URLSearchParams(location.hash.slice(1)).get("cite");
if (initial) openCitation(initial);
