// citebot chat page. Document text is untrusted: everything from the server is inserted with
// textContent or createTextNode, never as HTML.
"use strict";

const STORE = "citebot.conversation.v1";
const $ = (id) => document.getElementById(id);
const log = $("log");
const form = $("ask-form");
const input = $("question");
const send = $("send");
const statusLine = $("status");

let state = load();

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
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child == null) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function citeButton(label, citationId) {
  return el("button", {
    type: "button", class: "cite-link", "data-citation": citationId,
    "aria-label": `Open the source of ${label}`,
    onclick: () => openCitation(citationId),
  }, label);
}

function renderUser(text) {
  return el("li", { class: "msg user" }, el("span", { class: "sr-only" }, "You asked: "), text);
}

function renderAnswer(body) {
  const item = el("li", { class: "msg bot", "data-mode": body.mode });
  item.appendChild(el("span", { class: "sr-only" }, "citebot answered: "));
  item.appendChild(el("p", { class: "answer" }, body.answer));
  const mode = { passage: "quoted passage", fact: "facts with claimants", none: "not answered by the documents" }[body.mode] || body.mode;
  const said = body.assessment ? `${body.assessment} ` : "";
  item.appendChild(el("p", { class: "meta" }, `${said}(${mode} · confidence ${Number(body.confidence).toFixed(2)})`));
  if (body.facts && body.facts.length) {
    const rows = body.facts.map((f, i) => el("tr", {},
      el("td", {}, f.value),
      el("td", {}, f.field + (f.side ? ` (${f.side})` : "")),
      el("td", {}, f.claimant || "not stated"),
      el("td", {}, citeButton(`[${i + 1}] ${f.event}`, f.citation_id))));
    item.appendChild(el("table", { class: "facts" },
      el("caption", { class: "sr-only" }, "Claims and their sources"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Value"), el("th", { scope: "col" }, "What"),
        el("th", { scope: "col" }, "Claimant"), el("th", { scope: "col" }, "Source"))),
      el("tbody", {}, ...rows)));
  }
  if (body.passages && body.passages.length) {
    const heading = body.mode === "none" ? "Related reading" : body.mode === "fact" ? "Related passages" : "Evidence";
    item.appendChild(el("p", { class: "meta" }, heading));
    const cards = body.passages.map((p, i) => el("li", { class: "card" },
      el("blockquote", {}, p.quote),
      el("div", { class: "src" }, citeButton(`[${i + 1}] ${p.title}`, p.citation_id),
        p.section ? ` — ${p.section}` : "")));
    item.appendChild(el("ul", { class: "cards", "aria-label": heading }, ...cards));
  }
  return item;
}

function renderError(message) {
  return el("li", { class: "msg error", role: "alert" }, message);
}

function renderNotice(message) {
  return el("li", { class: "msg notice", role: "status" }, message);
}

function render() {
  log.replaceChildren(...state.messages.map((m) =>
    m.role === "user" ? renderUser(m.text) : m.role === "error" ? renderError(m.text)
      : m.role === "notice" ? renderNotice(m.text) : renderAnswer(m.body)));
}

function setBusy(busy, text = "") {
  send.disabled = busy;
  form.setAttribute("aria-busy", String(busy));
  statusLine.textContent = text;
  statusLine.classList.toggle("error", false);
}

async function ask(question) {
  state.messages.push({ role: "user", text: question });
  render();
  save();
  setBusy(true, "Searching the documents…");
  try {
    const post = (conversation_id) => fetch("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, conversation_id }),
    });
    let resp = await post(state.conversation_id);
    let body = await resp.json().catch(() => null);
    if (resp.status === 404 && body && body.error && body.error.code === "conversation_not_found") {
      // the server no longer knows this conversation (expired, or another server): start a new one
      state.messages.push({ role: "notice", text: "This conversation had expired, so a new one was started; earlier questions are no longer used as context." });
      state.conversation_id = null;
      resp = await post(null);
      body = await resp.json().catch(() => null);
    }
    if (!resp.ok) {
      const message = body && body.error ? body.error.message : `The server answered ${resp.status}.`;
      throw new Error(message);
    }
    state.conversation_id = body.conversation_id;
    state.messages.push({ role: "bot", body });
    setBusy(false, "");
  } catch (err) {
    state.messages.push({ role: "error", text: `Could not answer: ${err.message}` });
    setBusy(false, "");
    statusLine.textContent = "Something went wrong; see the message above.";
    statusLine.classList.add("error");
  }
  save();
  render();
  log.lastElementChild && log.lastElementChild.scrollIntoView({ block: "nearest" });
}

async function openCitation(citationId) {
  const viewer = $("viewer");
  viewer.hidden = false;
  $("viewer-title").textContent = "Loading source…";
  $("doc-text").replaceChildren();
  $("cite-text").textContent = "";
  $("cite-refs").replaceChildren();
  history.replaceState(null, "", `#cite=${encodeURIComponent(citationId)}`);
  const resp = await fetch(`/citations/${encodeURIComponent(citationId)}`);
  const cite = await resp.json().catch(() => null);
  if (!resp.ok) {
    const message = cite && cite.error ? cite.error.message : `The server answered ${resp.status}.`;
    $("viewer-title").textContent = resp.status === 410 ? "This document has changed" : "Source not available";
    $("cite-text").textContent = message;
    return;
  }
  const doc = await (await fetch(`/documents/${encodeURIComponent(cite.doc_id)}`)).json();
  $("viewer-title").textContent = doc.title;
  const link = `${location.origin}/#cite=${encodeURIComponent(citationId)}`;
  $("cite-text").textContent = `${doc.title}: “${cite.quote}” (${link})`;
  $("copy-cite").dataset.text = $("cite-text").textContent;
  for (const ref of cite.references || []) {
    $("cite-refs").appendChild(el("li", {}, `[${ref.marker}] ${ref.text}`));
  }
  const mark = el("mark", { id: "highlight", tabindex: "-1" }, doc.text.slice(cite.start, cite.end));
  $("doc-text").replaceChildren(
    document.createTextNode(doc.text.slice(0, cite.start)), mark, document.createTextNode(doc.text.slice(cite.end)));
  mark.scrollIntoView({ block: "center" });
  mark.focus({ preventScroll: true });
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

$("viewer-close").addEventListener("click", () => {
  $("viewer").hidden = true;
  history.replaceState(null, "", location.pathname);
  input.focus();
});

$("copy-cite").addEventListener("click", async () => {
  const text = $("copy-cite").dataset.text || "";
  try {
    await navigator.clipboard.writeText(text);
    statusLine.textContent = "Citation copied.";
  } catch (e) {
    statusLine.textContent = "Copy failed; select the citation text and copy it.";
  }
});

$("new-chat").addEventListener("click", () => {
  state = { conversation_id: null, messages: [] };
  save();
  render();
  input.focus();
});

render();
const initial = new URLSearchParams(location.hash.slice(1)).get("cite");
if (initial) openCitation(initial);
