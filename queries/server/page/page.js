// The query page of `datateam serve`: an editor, the named queries, results as a table, downloads,
// and `show` for an IRI of the results. It talks to its own server only (/api/..., /sparql).
// Everything from the server or the user is put into the page with textContent or attributes,
// never as HTML. The editor is CodeMirror (editor.js, window.DatateamEditor); without it the
// plain text area is the editor.
"use strict";

(function () {
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  const MAX_SHOWN_ROWS = 5000;
  const SELECT_DOWNLOADS = [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"], ["XML", "xml"]];
  const GRAPH_DOWNLOADS = [["Turtle", "ttl"], ["N-Triples", "nt"], ["JSON-LD", "jsonld"]];

  const state = { info: null, queries: [], current: null, loadedText: null, prefixes: [], editor: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function show(id, visible) { $(id).hidden = !visible; }

  function showError(message) {
    $("error").textContent = message;
    show("error", true);
  }

  async function fetchJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.text();
    if (!response.ok) throw new Error(body.trim() || `HTTP ${response.status}`);
    return JSON.parse(body);
  }

  // -- terms ------------------------------------------------------------------------------------
  function compact(iri) {
    for (const [prefix, ns] of state.prefixes) {
      if (iri.startsWith(ns) && iri.length > ns.length) {
        const local = iri.slice(ns.length);
        if (/^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/.test(local) && !local.endsWith(".")) return `${prefix}:${local}`;
      }
    }
    return `<${iri}>`;
  }

  function showHref(iri, format) {
    return `/api/show?${new URLSearchParams({ iri, format })}`;
  }

  function termCell(term) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.className = "iri";
      td.title = term.value;
      const link = el("a", { href: showHref(term.value, "text"), "data-iri": term.value, text: compact(term.value) });
      link.addEventListener("click", (event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        describe(term.value);
      });
      td.append(link);
    } else if (term.type === "bnode") {
      td.textContent = `_:${term.value}`;
    } else {
      td.append(document.createTextNode(term.value));
      if (term["xml:lang"]) td.append(el("span", { className: "lang", text: `@${term["xml:lang"]}` }));
      else if (term.datatype && !/#(string|integer|decimal|boolean)$/.test(term.datatype)) {
        td.append(el("span", { className: "dtype", text: `^^${compact(term.datatype)}` }));
      }
    }
    return td;
  }

  // -- results ----------------------------------------------------------------------------------
  function renderSelect(data) {
    const vars = data.head.vars || [];
    const rows = data.results.bindings || [];
    const table = el("table", { id: "result-table" });
    table.append(el("thead", {}, [el("tr", {}, vars.map((v) => el("th", { scope: "col", text: v })))]));
    const tbody = el("tbody");
    for (const binding of rows.slice(0, MAX_SHOWN_ROWS)) {
      tbody.append(el("tr", {}, vars.map((v) => termCell(binding[v]))));
    }
    table.append(tbody);
    const box = $("result");
    box.replaceChildren(table);
    if (rows.length > MAX_SHOWN_ROWS) {
      box.prepend(el("p", { className: "note", text: `Showing the first ${MAX_SHOWN_ROWS} of ${rows.length} rows; download the rest.` }));
    }
    return `${rows.length} row${rows.length === 1 ? "" : "s"}`;
  }

  function renderAsk(data) {
    $("result").replaceChildren(el("p", { className: "answer", id: "ask-answer", text: data.boolean ? "yes" : "no" }));
    return "ASK";
  }

  function renderGraph(text) {
    $("result").replaceChildren(el("pre", { className: "graph", id: "result-graph", text }));
    return "graph result (Turtle)";
  }

  function setDownloads(base, kind) {
    const box = $("downloads");
    const formats = kind === "graph" ? GRAPH_DOWNLOADS : SELECT_DOWNLOADS;
    box.replaceChildren(el("span", { className: "muted", text: "Download: " }));
    for (const [label, fmt] of formats) {
      const params = new URLSearchParams(base.params);
      params.set("format", fmt);
      box.append(el("a", { href: `${base.path}?${params.toString()}`, download: `result.${fmt}`, "data-format": fmt, text: label }));
    }
    show("downloads", true);
  }

  // -- `show` for an IRI --------------------------------------------------------------------------
  async function describe(iri) {
    $("description-title").textContent = compact(iri);
    $("description-json").setAttribute("href", showHref(iri, "json"));
    $("description-text").textContent = "";
    show("description-error", false);
    show("description", true);
    try {
      const response = await fetch(showHref(iri, "text"), { headers: { Accept: "text/plain" } });
      const body = await response.text();
      if (response.ok) {
        $("description-text").textContent = body;
      } else {
        $("description-error").textContent = body.trim() || `HTTP ${response.status}`;
        show("description-error", true);
      }
    } catch (err) {
      $("description-error").textContent = `The server could not be reached: ${err.message}`;
      show("description-error", true);
    }
    $("description").scrollIntoView({ block: "nearest" });
  }

  // -- running ----------------------------------------------------------------------------------
  function markSyntaxError(message) {
    const m = /^syntax error: line (\d+), column (\d+): (.*)/.exec(message);
    if (m) state.editor.markError(Number(m[1]), Number(m[2]), m[3]);
  }

  function requestFor() {
    const text = state.editor.getText();
    if (state.current && text === state.loadedText) {
      const params = new URLSearchParams();
      for (const input of $("params").querySelectorAll("input")) {
        if (input.value !== "") params.set(input.name, input.value);
      }
      const path = `/api/queries/${encodeURIComponent(state.current.name)}`;
      return { url: `${path}?${params}`, init: { headers: { Accept: ACCEPT } }, base: { path, params } };
    }
    const body = new URLSearchParams({ query: text });
    return {
      url: "/sparql",
      init: { method: "POST", headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" }, body },
      base: { path: "/sparql", params: new URLSearchParams({ query: text }) },
    };
  }

  async function run() {
    const button = $("run");
    if (button.disabled) return;
    button.disabled = true;
    show("error", false);
    show("downloads", false);
    show("truncated", false);
    state.editor.clearError();
    $("status").textContent = "running…";
    const started = performance.now();
    try {
      const req = requestFor();
      const response = await fetch(req.url, req.init);
      const body = await response.text();
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok) {
        $("result").replaceChildren();
        showError(body.trim() || `HTTP ${response.status} ${response.statusText}`);
        if (response.status === 400) markSyntaxError(body.trim());
        $("status").textContent = `failed (HTTP ${response.status}) after ${seconds} s`;
        return;
      }
      const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
      let summary;
      let kind;
      if (type === "application/sparql-results+json") {
        const data = JSON.parse(body);
        kind = "boolean" in data ? "ask" : "select";
        summary = kind === "ask" ? renderAsk(data) : renderSelect(data);
      } else {
        kind = "graph";
        summary = renderGraph(body);
      }
      const cap = response.headers.get("X-Datateam-Truncated");
      if (cap) {
        $("truncated").textContent = `The result was cut at ${cap} rows (the server's --max-rows limit).`;
        show("truncated", true);
      }
      setDownloads(req.base, kind);
      $("status").textContent = `${summary} in ${seconds} s`;
    } catch (err) {
      showError(`The server could not be reached: ${err.message}`);
      $("status").textContent = "failed";
    } finally {
      button.disabled = false;
    }
  }

  // -- the named queries ------------------------------------------------------------------------
  function selectQuery(query) {
    state.current = query;
    state.loadedText = query.text;
    state.editor.setText(query.text);
    $("query-title").textContent = query.title || query.name;
    $("query-description").textContent = query.description || "";
    for (const button of $("query-list").querySelectorAll("button")) {
      button.setAttribute("aria-current", String(button.dataset.name === query.name));
    }
    const form = $("params");
    form.replaceChildren();
    for (const param of query.params || []) {
      const input = el("input", { name: param.name, type: "text", "data-param": param.name });
      input.value = param.default == null ? "" : String(param.default);
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); run(); }
      });
      const hint = param.description || param.type || "";
      form.append(el("label", { title: hint }, [document.createTextNode(param.name + (param.type ? ` (${param.type})` : "")), input]));
    }
    show("params", (query.params || []).length > 0);
    show("edited-note", false);
    run();
  }

  function renderLibrary() {
    const needle = $("filter").value.trim().toLowerCase();
    const list = $("query-list");
    list.replaceChildren();
    for (const query of state.queries) {
      const haystack = `${query.name} ${query.title || ""} ${query.description || ""}`.toLowerCase();
      if (needle && !haystack.includes(needle)) continue;
      const button = el("button", { type: "button", "data-name": query.name, "aria-current": String(state.current === query) }, [
        el("span", { className: "title", text: query.title || query.name }),
        el("span", { className: "desc", text: query.description || "" }),
      ]);
      button.addEventListener("click", () => selectQuery(query));
      list.append(el("li", {}, [button]));
    }
  }

  // -- the editor -------------------------------------------------------------------------------
  function editorChanged() {
    show("edited-note", Boolean(state.current && (state.current.params || []).length && state.editor.getText() !== state.loadedText));
  }

  function textAreaEditor(area) {
    area.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
    });
    area.addEventListener("input", editorChanged);
    return { getText: () => area.value, setText: (text) => { area.value = text; }, setVocabulary() {},
             markError() {}, clearError() {} };
  }

  function makeEditor() {
    const area = $("query-text");
    if (!window.DatateamEditor) {
      $("editor").remove();
      return textAreaEditor(area);
    }
    area.hidden = true;
    return window.DatateamEditor.create({ parent: $("editor"), doc: area.value, onRun: run, onChange: editorChanged });
  }

  // The editor completes the prefixes and the store's classes and properties, as prefixed names.
  async function loadVocabulary() {
    const data = await fetchJSON("/api/vocabulary");
    const terms = [];
    for (const term of data.terms || []) {
      const name = compact(term.iri);
      if (!name.startsWith("<")) terms.push({ name, kind: term.kind, iri: term.iri, label: term.label });
    }
    state.editor.setVocabulary({ prefixes: Object.entries((state.info && state.info.prefixes) || {}), terms });
  }

  // -- start ------------------------------------------------------------------------------------
  async function start() {
    state.editor = makeEditor();
    $("run").addEventListener("click", run);
    $("description-close").addEventListener("click", () => show("description", false));
    $("filter").addEventListener("input", renderLibrary);
    $("params").addEventListener("submit", (event) => { event.preventDefault(); run(); });
    try {
      state.info = await fetchJSON("/api/info");
      state.prefixes = Object.entries(state.info.prefixes || {}).sort((a, b) => b[1].length - a[1].length);
      $("backend").textContent = `${state.info.backend} · time limit ${state.info.timeout} s`;
      if (state.info.explorer) {
        $("explorer-link").setAttribute("href", state.info.explorer);
        show("explorer-link", true);
      }
      for (const line of state.info.attributions || []) {
        const p = document.createElement("p");
        p.textContent = line;
        $("attributions").appendChild(p);
        show("attributions", true);
      }
    } catch (err) {
      showError(`Cannot read the server's settings: ${err.message}`);
    }
    try {
      await loadVocabulary();
    } catch (err) {
      showError(`Classes and properties cannot be completed: ${err.message}`);
    }
    try {
      state.queries = await fetchJSON("/api/queries");
      renderLibrary();
    } catch (err) {
      $("library-error").textContent = `The named queries are not available: ${err.message}`;
      show("library-error", true);
    }
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
