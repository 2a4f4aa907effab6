/* The explorer page script: builds the vis-network from the embedded JSON, wires search, filters,
 * the details panel and neighbourhood highlighting. Text from the data only ever reaches the page
 * through textContent (never innerHTML), and the page makes no request. window.explorer exposes the
 * network and a few helpers for tests and for people poking at the page in the console. */
(function () {
  "use strict";

  var timings = { start: performance.now() };
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  timings.parsed = performance.now();
  var view = data.view;
  var TYPES = {};
  data.types.forEach(function (t) { TYPES[t.key] = t; });
  var SIDES = {};
  data.sides.forEach(function (s) { SIDES[s.key] = s; });
  var byId = new Map();
  data.nodes.forEach(function (n) { byId.set(n.id, n); });
  var adjacency = new Map();
  data.edges.forEach(function (e) {
    link(e.from, e);
    if (e.to !== e.from) { link(e.to, e); }
  });
  function link(id, e) {
    var list = adjacency.get(id);
    if (!list) { list = []; adjacency.set(id, list); }
    list.push(e);
  }

  var LEVEL_RANK = { core: 0, working: 1, basic: 2 };
  var story = view.story || null;   // the hats view: roles along the lifecycle, the rest on demand
  var ITEM_RELATIONS = { requires_skill: true, uses_tool: true, has_responsibility: true };

  // ------------------------------------------------------------------------------------------
  // Small DOM helpers (text only)

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function $(id) { return document.getElementById(id); }
  function number(n) { return n.toLocaleString("en-US"); }
  function typeColor(type) { return (TYPES[type] || { color: "#999999" }).color; }
  function singular(type) {
    return { category: "tool category", stage: "lifecycle stage" }[type] || type;
  }
  function sourceTitle(index) { return data.sources[index] ? data.sources[index].title : String(index); }

  // ------------------------------------------------------------------------------------------
  // vis data

  function tooltip(n) {
    var box = el("div");
    box.appendChild(el("strong", null, n.label));
    box.appendChild(document.createTextNode(" · " + singular(n.type)));
    return box;
  }

  function sideColor(side) {
    var c = SIDES[side] ? SIDES[side].color : "#999999";
    return { background: c, border: c, highlight: { background: c, border: "#111111" }, hover: { background: c, border: "#111111" } };
  }

  function edgeBaseColor(e) {
    return e.relation === "hands_off_to" ? data.colors.handoff : data.colors.edge;
  }

  function familyColor(c) {
    return { background: c, border: "#1F2933", highlight: { background: c, border: "#111111" }, hover: { background: c, border: "#111111" } };
  }

  var visNodes = data.nodes.map(function (n) {
    var v = { id: n.id, label: n.draw || n.label, group: TYPES[n.type] ? n.type : "other" };
    // Large views set sizes directly: vis's value scaling costs a second at 10,000 nodes.
    if (story) {
      if (n.size !== undefined) {
        v.size = n.size;
        v.font = { size: story.fonts.role, face: data.options.nodes.font.face };
        v.color = familyColor(n.color);
        v.borderWidth = 1.5;
      } else { v.size = 7; }
    } else if (view.large) { v.size = Math.min(40, 6 + 3 * n.value); }
    else { v.value = n.value; }
    if (!view.large) { v.title = tooltip(n); }
    if (n.x !== undefined) { v.x = n.x; v.y = n.y; }
    if (n.level !== undefined) { v.level = n.level; }
    if (n.side) { v.color = sideColor(n.side); }
    if (view.compare && view.compare.indexOf(n.id) >= 0) { v.borderWidth = 3; }
    return v;
  });

  // Which links vis draws: all of them, except in large views, where the page paints them itself
  // (paintEdges) but for the hats view's handoffs and works-with links (labelled, with arrows).
  function visDrawn(e) { return !view.large || (story !== null && (e.relation === "hands_off_to" || e.relation === "works_with")); }
  var visEdges = data.edges.map(function (e) {
    var v = { id: e.id, from: e.from, to: e.to };
    if (!visDrawn(e)) { return v; }  // drawn by paintEdges, see below
    if (e.relation === "hands_off_to") {
      v.color = { color: data.colors.handoff, highlight: data.colors.handoff, hover: data.colors.handoff };
      v.arrows = { to: { enabled: true, scaleFactor: 0.7 } };
      v.width = 1.6;
      if (e.label) { v.label = e.label; }
      if (story) {
        v.smooth = e.curve ? { enabled: true, type: e.curve > 0 ? "curvedCW" : "curvedCCW", roundness: Math.abs(e.curve) }
                           : { enabled: false };
        if (e.nudge) { v.font = { vadjust: e.nudge }; }
      } else if (!view.hierarchical && !view.large) { v.smooth = { enabled: true, type: "curvedCW", roundness: 0.18 }; }
      if (!view.large) {
        var tip = el("div");
        tip.textContent = byId.get(e.from).label + " → " + byId.get(e.to).label + ": " + (e.label || "handoff");
        v.title = tip;
      }
    } else if (e.relation === "works_with") {
      v.dashes = [5, 5];
      v.color = { color: "#7B8794" };
    }
    // A fact every stating source qualifies (a condition, a fallback, a reported problem, an
    // anti-pattern) is drawn dotted; the details panel says why.
    if (e.conditional) { v.dashes = [2, 4]; }
    return v;
  });

  var nodes = new vis.DataSet(visNodes);
  var edges = new vis.DataSet(visEdges);
  timings.datasets = performance.now();

  // ------------------------------------------------------------------------------------------
  // Filters: by node type and by source document

  var hiddenTypes = new Set();
  var hiddenSources = new Set();
  var hiddenRelations = new Set();
  var shownNode = new Map();
  // The hats view starts with the roles only; a clicked hat is "expanded": its items of the types in
  // expandTypes are shown around it. extraShown holds nodes asked for by name (search, links).
  var expanded = new Set();
  var expandTypes = new Set(["skill", "tool", "responsibility"]);
  var extraShown = new Set();
  if (story) {
    data.types.forEach(function (t) { if (t.key !== "role") { hiddenTypes.add(t.key); } });
    hiddenRelations.add("works_with");
  }
  function expandedItems() {
    var out = new Set();
    expanded.forEach(function (id) {
      (adjacency.get(id) || []).forEach(function (e) {
        if (e.from === id && ITEM_RELATIONS[e.relation] && expandTypes.has(byId.get(e.to).type)) { out.add(e.to); }
      });
    });
    return out;
  }

  function stated(sources) {
    if (hiddenSources.size === 0 || sources.length === 0) { return true; }
    for (var i = 0; i < sources.length; i++) {
      if (!hiddenSources.has(sources[i])) { return true; }
    }
    return false;
  }
  function computeShown() {
    var around = story ? expandedItems() : null;
    data.nodes.forEach(function (n) {
      var typeShown = (!hiddenTypes.has(n.type) && !(story && n.imported)) ||
        (around !== null && (around.has(n.id) || extraShown.has(n.id)));
      shownNode.set(n.id, typeShown && stated(n.sources));
    });
  }
  computeShown();
  var edgeById = new Map();
  data.edges.forEach(function (e) { edgeById.set(e.id, e); });

  var nodeView = new vis.DataView(nodes, { filter: function (item) { return shownNode.get(item.id) === true; } });
  var edgeView = new vis.DataView(edges, {
    filter: function (item) {
      var e = edgeById.get(item.id);
      return shownNode.get(e.from) === true && shownNode.get(e.to) === true && stated(e.sources) &&
        !hiddenRelations.has(e.relation) && visDrawn(e);
    }
  });

  var shownEdgeIds = [];
  function computeShownEdges() {
    shownEdgeIds = [];
    data.edges.forEach(function (e) {
      if (shownNode.get(e.from) === true && shownNode.get(e.to) === true && stated(e.sources) &&
          !hiddenRelations.has(e.relation)) { shownEdgeIds.push(e.id); }
    });
  }
  computeShownEdges();

  function applyFilters() {
    if (!view.large) {
      // Keep where the user dragged nodes to.
      var pos = network.getPositions();
      nodes.update(Object.keys(pos).map(function (id) { return { id: Number(id), x: pos[id].x, y: pos[id].y }; }));
    }
    computeShown();
    computeShownEdges();
    nodeView.refresh();
    edgeView.refresh();
    if (view.large) { network.redraw(); }
    updateCounts();
    if (selected !== null && !shownNode.get(selected)) { clearSelection(); }
    else if (selected !== null) { highlight(selected); }
  }

  function updateCounts() {
    var n = nodeView.length, m = shownEdgeIds.length;
    var total = data.nodes.length, links = data.edges.length;
    $("node-count").textContent = n === total ? number(n) : number(n) + " of " + number(total);
    $("edge-count").textContent = m === links ? number(m) : number(m) + " of " + number(links);
  }

  Array.prototype.forEach.call(document.querySelectorAll("#type-filters input"), function (box) {
    box.addEventListener("change", function () {
      if (box.checked) { hiddenTypes.delete(box.dataset.type); } else { hiddenTypes.add(box.dataset.type); }
      applyFilters();
      writeHash();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#source-filters input"), function (box) {
    box.addEventListener("change", function () {
      var index = Number(box.dataset.source);
      if (box.checked) { hiddenSources.delete(index); } else { hiddenSources.add(index); }
      applyFilters();
    });
  });
  function checkAll(selector, set) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (box) { box.checked = true; });
    set.clear();
    applyFilters();
  }
  if ($("types-all")) { $("types-all").addEventListener("click", function () { checkAll("#type-filters input", hiddenTypes); }); }
  Array.prototype.forEach.call(document.querySelectorAll("#expand-types input"), function (box) {
    box.addEventListener("change", function () {
      if (box.checked) { expandTypes.add(box.dataset.type); } else { expandTypes.delete(box.dataset.type); }
      applyFilters();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#relation-filters input"), function (box) {
    box.addEventListener("change", function () {
      if (box.checked) { hiddenRelations.delete(box.dataset.relation); } else { hiddenRelations.add(box.dataset.relation); }
      applyFilters();
    });
  });
  if ($("collapse-all")) {
    $("collapse-all").addEventListener("click", function () { expanded.clear(); extraShown.clear(); applyFilters(); });
  }

  // After expanding a hat: the camera takes in the hat and its items, left of the details panel.
  function frame(id) {
    var ids = [id];
    (adjacency.get(id) || []).forEach(function (e) { var other = e.from === id ? e.to : e.from; if (shownNode.get(other)) { ids.push(other); } });
    if (ids.length < 2) { return; }
    network.fit({ nodes: ids, animation: false });
    var panel = $("details").hidden ? 0 : $("details").offsetWidth + 14;
    var scale = network.getScale() * (container.clientWidth - panel) / container.clientWidth;
    network.moveTo({ position: network.getViewPosition(), scale: scale, offset: { x: -panel / 2, y: 0 } });
  }

  function expand(id, on) {
    if (!story || byId.get(id).type !== "role") { return; }
    if (on) { expanded.add(id); } else { expanded.delete(id); }
    applyFilters();
    writeHash();
  }
  if ($("sources-all")) { $("sources-all").addEventListener("click", function () { checkAll("#source-filters input", hiddenSources); }); }

  function reveal(id) {
    // Make sure a node the user asked for is shown: re-enable its type and, if needed, its sources.
    var n = byId.get(id);
    var changed = false;
    if (story && (hiddenTypes.has(n.type) || n.imported)) {
      if (!shownNode.get(id)) { extraShown.add(id); changed = true; }
    } else if (hiddenTypes.has(n.type)) {
      hiddenTypes.delete(n.type);
      var box = document.querySelector('#type-filters input[data-type="' + CSS.escape(n.type) + '"]');
      if (box) { box.checked = true; }
      changed = true;
    }
    if (!stated(n.sources)) {
      n.sources.forEach(function (s) {
        hiddenSources.delete(s);
        var b = document.querySelector('#source-filters input[data-source="' + s + '"]');
        if (b) { b.checked = true; }
      });
      changed = true;
    }
    if (changed) { applyFilters(); }
  }

  // ------------------------------------------------------------------------------------------
  // The network

  var container = $("network");
  // The hats view: lifecycle column headings and bands under the network, and a first camera that
  // shows all of them.
  function drawColumns(ctx) {
    var fontFace = data.options.nodes.font.face;
    ctx.save();
    story.columns.forEach(function (c, i) {
      if (i % 2 === 0) {
        ctx.fillStyle = "rgba(31, 41, 51, 0.035)";
        ctx.fillRect(c.x - story.columnWidth / 2, story.top - 10, story.columnWidth, story.bottom - story.top + 20);
      }
      ctx.fillStyle = "#52606D";
      ctx.font = "600 " + story.fonts.column + "px " + fontFace;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(c.label, c.x, story.top);
    });
    ctx.restore();
  }
  function storyCamera() {
    // Wide enough for the columns and for every hat's label (measured as vis draws it).
    var left = story.columns[0].x - 80, right = story.columns[story.columns.length - 1].x + 80;
    var ctx = container.querySelector("canvas").getContext("2d");
    ctx.save();
    ctx.font = story.fonts.role + "px " + data.options.nodes.font.face;
    data.nodes.forEach(function (n) {
      if (n.size === undefined || n.x === undefined) { return; }
      var half = Math.max.apply(null, (n.draw || n.label).split("\n").map(function (l) { return ctx.measureText(l).width; })) / 2 + 6;
      left = Math.min(left, n.x - half);
      right = Math.max(right, n.x + half);
    });
    ctx.restore();
    var width = container.clientWidth, height = container.clientHeight;
    var scale = Math.min(width / (right - left), height / (story.bottom - story.top + 30), 1.4);
    network.moveTo({ position: { x: (left + right) / 2, y: (story.top + story.bottom) / 2 }, scale: scale });
  }
  var network = new vis.Network(container, { nodes: nodeView, edges: view.large && !story ? new vis.DataSet([]) : edgeView },
                                data.options);
  timings.network = performance.now();
  if (story) { network.on("beforeDrawing", drawColumns); }
  var ready = false;
  network.once("afterDrawing", function () {
    if (story) { storyCamera(); }
    timings.drawn = performance.now();
    ready = true;
    $("loading").hidden = true;
    document.documentElement.setAttribute("data-ready", "true");
    window.explorerReady = true;
    // The role view is centred on its role already: select it without moving the camera.
    if (view.focus !== null && view.focus !== undefined) { select(view.focus, { move: view.name !== "role", animate: false }); }
    if (location.hash.length > 1) { applyHash(); } else if (data.team) { openPanel("team"); }
  });

  // ------------------------------------------------------------------------------------------
  // Selection, neighbourhood highlight and the details panel

  var selected = null;
  var lit = null;        // Set of node ids drawn at full strength while a node is selected
  var litEdges = null;   // Set of edge ids likewise

  function neighbourhood(id) {
    var nodeSet = new Set([id]);
    var edgeSet = new Set();
    (adjacency.get(id) || []).forEach(function (e) {
      nodeSet.add(e.from);
      nodeSet.add(e.to);
      edgeSet.add(e.id);
    });
    return { nodes: nodeSet, edges: edgeSet };
  }

  // Highlighting draws over the network instead of restyling every node: after vis has drawn,
  // a translucent veil covers the canvas and the selected node's links and neighbours are drawn
  // again on top. The cost is the neighbourhood's size, not the graph's, so it stays instant at
  // 10,000 nodes.
  var VEIL = "rgba(251, 252, 253, 0.8)";

  function highlight(id) {
    var next = neighbourhood(id);
    lit = next.nodes;
    litEdges = next.edges;
    network.redraw();
  }

  function clearHighlight() {
    if (lit === null) { return; }
    lit = null;
    litEdges = null;
    network.redraw();
  }

  function drawHighlight(ctx) {
    if (lit === null) { return; }
    var body = network.body;
    var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
    var bottomRight = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    ctx.save();
    ctx.fillStyle = VEIL;
    ctx.fillRect(topLeft.x, topLeft.y, bottomRight.x - topLeft.x, bottomRight.y - topLeft.y);
    ctx.restore();
    if (view.large) { paintEdges(ctx, litEdges, "#52606D", 1.5); }
    // vis's own edges (all of them, or a large hats view's handoffs) are drawn again by vis.
    litEdges.forEach(function (edgeId) {
      var edge = body.edges[edgeId];
      if (edge && edge.connected) { edge.draw(ctx); }
    });
    litEdges.forEach(function (edgeId) {
      var edge = body.edges[edgeId];
      if (edge && edge.connected) { edge.drawArrows(ctx); }
    });
    var labels = [];
    lit.forEach(function (nodeId) {
      var node = body.nodes[nodeId];
      if (!node || nodeId === selected) { return; }
      var drawn = node.draw(ctx);
      if (drawn && drawn.drawExternalLabel) { labels.push(drawn.drawExternalLabel); }
    });
    var own = selected !== null && body.nodes[selected] ? body.nodes[selected].draw(ctx) : null;
    if (own && own.drawExternalLabel) { labels.push(own.drawExternalLabel); }
    labels.forEach(function (draw) { draw(); });
  }
  network.on("afterDrawing", drawHighlight);

  // Large views: creating 30,000 vis edge objects takes one to two seconds and drawing them one by
  // one most of a second per frame (software rendering). There the links stay in our own data
  // (explorer.edges) and are painted here under the nodes as one batched path per colour, which
  // takes milliseconds; vis-network draws the nodes.
  function paintEdges(ctx, only, color, width) {
    var bodyNodes = network.body.nodes;
    var batches = {};
    var ids = only ? Array.from(only) : shownEdgeIds;
    for (var i = 0; i < ids.length; i++) {
      var e = edgeById.get(ids[i]);
      if (story && visDrawn(e)) { continue; }
      var from = bodyNodes[e.from], to = bodyNodes[e.to];
      if (!from || !to) { continue; }
      var key = color || edgeBaseColor(e);
      (batches[key] = batches[key] || []).push([from, to]);
    }
    Object.keys(batches).forEach(function (key) {
      ctx.beginPath();
      batches[key].forEach(function (ends) {
        ctx.moveTo(ends[0].x, ends[0].y);
        ctx.lineTo(ends[1].x, ends[1].y);
      });
      ctx.strokeStyle = key;
      ctx.lineWidth = width || 1;
      ctx.stroke();
    });
  }
  if (view.large) {
    network.on("beforeDrawing", function (ctx) { paintEdges(ctx, null, null, 1); });
  }

  function highlighted() {
    return lit === null ? [] : Array.from(lit).sort(function (a, b) { return a - b; });
  }

  function select(id, opts) {
    opts = opts || {};
    if (!byId.has(id)) { return false; }
    reveal(id);
    selected = id;
    network.selectNodes([id], true);
    highlight(id);
    showDetails(id);
    fillCompareChoices(id);
    writeHash();
    if (view.large) { opts.animate = false; }  // every animation frame would redraw 10,000 nodes
    if (opts.move === "none") {
      // stay where the user is looking
    } else if (opts.move === false) {
      // Keep the overview, but move the node clear of the details panel.
      network.moveTo({ position: network.getPosition(id), scale: network.getScale() * 0.9, offset: { x: -170, y: 0 } });
    } else {
      var scale = Math.max(network.getScale(), view.large ? 0.9 : 0.8);
      network.focus(id, opts.animate === false ? { scale: scale } :
        { scale: scale, animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    }
    return true;
  }

  function clearSelection() {
    selected = null;
    network.unselectAll();
    clearHighlight();
    $("details").hidden = true;
    writeHash();
  }

  network.on("click", function (params) {
    if (params.nodes.length && story && byId.get(params.nodes[0]).type === "role") {
      var hat = params.nodes[0];
      if (expanded.has(hat) && selected === hat) { expand(hat, false); clearSelection(); }
      else { expand(hat, true); select(hat, { move: "none" }); frame(hat); }
    } else if (params.nodes.length) {
      select(params.nodes[0], { animate: true });
    } else if (!params.edges.length) {
      clearSelection();
    }
  });
  $("details-close").addEventListener("click", clearSelection);

  function relationLabel(relation, forward) {
    var r = data.relations[relation];
    if (!r) { return relation.replace(/_/g, " "); }
    return forward ? r.forward : r.backward;
  }

  function handoffText(item) {
    var parts = [];
    if (item.artifact) { parts.push(item.artifact); }
    var more = [];
    if (item.stage) { more.push(item.stage); }
    if (item.mode) { more.push(item.mode); }
    if (item.workflow) { more.push(item.workflow + (item.step !== null && item.step !== undefined ? " step " + item.step : "")); }
    if (item.inferred) { more.push("inferred by the project"); }
    if (more.length) { parts.push("(" + more.join(", ") + ")"); }
    if (item.qualifiers && item.qualifiers.length) {
      parts.push((item.conditional ? "conditional: " : "also ") + item.qualifiers.join("; "));
    }
    return parts.join(" ");
  }

  function fillList(sectionId, listId, entries, render) {
    var list = $(listId);
    list.replaceChildren();
    (entries || []).forEach(function (entry) { list.appendChild(render(entry)); });
    $(sectionId).hidden = !(entries && entries.length);
  }

  var MAX_LISTED = 150;

  // A hat's card (the hats view): skills by level, tools by category, responsibilities by stage,
  // handoffs out and in, each with the condition a source puts on it.
  function cardSection(box, title, groups) {
    if (!groups || !groups.length) { return; }
    var total = groups.reduce(function (sum, g) { return sum + g.items.length; }, 0);
    box.appendChild(el("h3", null, title + " (" + total + ")"));
    groups.forEach(function (g) {
      box.appendChild(el("p", "relation", g.group + " (" + g.items.length + ")"));
      var ul = el("ul", "card-items");
      g.items.forEach(function (item) {
        var li = el("li", null, item.label);
        if (item.condition) { li.appendChild(el("span", "extra", " conditional: " + item.condition)); }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    });
  }
  function cardHandoffs(box, title, rows, arrow) {
    if (!rows || !rows.length) { return; }
    box.appendChild(el("h3", null, title + " (" + rows.length + ")"));
    var ul = el("ul", "card-items");
    rows.forEach(function (h) {
      var li = el("li", null, arrow + " " + h.role + ": " + (h.artifact || "work"));
      var more = [h.stage, h.workflow].filter(function (x) { return x; }).join(", ");
      if (more) { li.appendChild(el("span", "extra", " (" + more + ")")); }
      if (h.condition) { li.appendChild(el("span", "extra", " conditional: " + h.condition)); }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  function showCard(card) {
    var box = $("details-card");
    box.replaceChildren();
    box.hidden = !card;
    $("details-neighbours-section").hidden = !!card;
    if (!card) { return; }
    cardSection(box, "Skills by level", card.skills);
    cardSection(box, "Tools by category", card.tools);
    cardSection(box, "Responsibilities by stage", card.responsibilities);
    cardHandoffs(box, "Hands off to", card.hands_off_to, "\u2192");
    cardHandoffs(box, "Receives from", card.receives_from, "\u2190");
  }

  function showDetails(id) {
    var n = byId.get(id);
    var panel = $("details");
    var badge = $("details-type");
    badge.textContent = singular(n.type);
    badge.style.background = typeColor(n.type);
    $("details-title").textContent = n.label;
    $("details-definition").textContent = n.definition || "No definition recorded.";
    var note = $("details-note");
    note.hidden = !n.note;
    note.textContent = n.note || "";
    fillList("details-comparisons-section", "details-comparisons", n.comparisons, function (text) {
      return el("li", null, text);
    });
    fillList("details-disputes-section", "details-disputes", n.disputes, function (dispute) {
      var li = el("li");
      li.appendChild(el("span", "question", dispute.question));
      var answers = el("ul", "answers");
      dispute.positions.forEach(function (p) { answers.appendChild(el("li", null, p)); });
      li.appendChild(answers);
      return li;
    });
    var side = $("details-side");
    if (n.side && SIDES[n.side]) {
      side.hidden = false;
      side.textContent = SIDES[n.side].label;
      side.style.color = SIDES[n.side].color;
    } else {
      side.hidden = true;
      side.textContent = "";
    }
    showCard(n.card);
    var aliases = n.aliases || [];
    $("details-aliases-section").hidden = aliases.length === 0;
    $("details-aliases").textContent = aliases.join("; ");
    var sources = $("details-sources");
    sources.replaceChildren();
    n.sources.forEach(function (s) { sources.appendChild(el("li", null, sourceTitle(s))); });
    $("details-sources-section").hidden = n.sources.length === 0;
    $("details-iri").textContent = n.iri;

    // Neighbours grouped by how they are linked, in the order of data.relations.
    var groups = new Map();
    (adjacency.get(id) || []).forEach(function (e) {
      var forward = e.from === id;
      var other = forward ? e.to : e.from;
      var key = e.relation + (forward ? ">" : "<");
      if (!groups.has(key)) { groups.set(key, { relation: e.relation, forward: forward, rows: [] }); }
      groups.get(key).rows.push({ node: byId.get(other), edge: e });
    });
    var order = Object.keys(data.relations);
    var keys = Array.from(groups.keys()).sort(function (a, b) {
      var ra = order.indexOf(groups.get(a).relation), rb = order.indexOf(groups.get(b).relation);
      if (ra !== rb) { return ra - rb; }
      return a < b ? -1 : a > b ? 1 : 0;
    });
    var box = $("details-neighbours");
    box.replaceChildren();
    var total = 0;
    keys.forEach(function (key) {
      var g = groups.get(key);
      g.rows.sort(function (a, b) {
        var la = LEVEL_RANK[a.edge.level] !== undefined ? LEVEL_RANK[a.edge.level] : 1;
        var lb = LEVEL_RANK[b.edge.level] !== undefined ? LEVEL_RANK[b.edge.level] : 1;
        if (la !== lb) { return la - lb; }
        return a.node.label.localeCompare(b.node.label);
      });
      total += g.rows.length;
      box.appendChild(el("p", "relation", relationLabel(g.relation, g.forward) + " (" + g.rows.length + ")"));
      var list = el("ul", "neighbours");
      g.rows.slice(0, MAX_LISTED).forEach(function (row) {
        var li = el("li");
        var button = el("button");
        button.type = "button";
        button.dataset.node = String(row.node.id);
        var dot = el("span", "dot");
        dot.style.background = row.node.side && SIDES[row.node.side] ? SIDES[row.node.side].color : typeColor(row.node.type);
        button.appendChild(dot);
        button.appendChild(el("span", "name", row.node.label));
        button.addEventListener("click", function () { select(row.node.id, { animate: true }); });
        li.appendChild(button);
        var extra = [];
        if (row.edge.level) { extra.push(row.edge.level); }
        if (row.edge.qualifiers && row.edge.qualifiers.length) {
          extra.push((row.edge.conditional ? "conditional: " : "also ") + row.edge.qualifiers.join("; "));
        }
        (row.edge.items || []).forEach(function (item) { extra.push(handoffText(item)); });
        if (extra.length) { li.appendChild(el("span", "extra", extra.join("; "))); }
        list.appendChild(li);
      });
      if (g.rows.length > MAX_LISTED) { list.appendChild(el("li", "extra", "and " + (g.rows.length - MAX_LISTED) + " more")); }
      box.appendChild(list);
    });
    $("details-neighbour-count").textContent = total ? String(total) : "";
    if (!total) { box.appendChild(el("p", "hint", "No links in this view.")); }
    panel.hidden = false;
    panel.scrollTop = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Search by label or alias

  function fold(text) { return String(text).toLowerCase().replace(/[\s\-_]+/g, " ").trim(); }
  var index = data.nodes.map(function (n) {
    return { id: n.id, label: fold(n.label), aliases: (n.aliases || []).map(fold) };
  });

  function search(text, limit) {
    var q = fold(text);
    if (!q) { return []; }
    var found = [];
    index.forEach(function (entry) {
      var rank = null, via = null;
      if (entry.label === q) { rank = 0; }
      else if (entry.label.indexOf(q) === 0) { rank = 2; }
      else if ((" " + entry.label).indexOf(" " + q) >= 0) { rank = 4; }
      else if (entry.label.indexOf(q) > 0) { rank = 6; }
      for (var i = 0; i < entry.aliases.length; i++) {
        var a = entry.aliases[i], r = null;
        if (a === q) { r = 1; }
        else if (a.indexOf(q) === 0) { r = 3; }
        else if ((" " + a).indexOf(" " + q) >= 0) { r = 5; }
        else if (a.indexOf(q) > 0) { r = 7; }
        if (r !== null && (rank === null || r < rank)) { rank = r; via = byId.get(entry.id).aliases[i]; }
      }
      if (rank !== null) { found.push({ id: entry.id, rank: rank, via: via }); }
    });
    found.sort(function (a, b) {
      if (a.rank !== b.rank) { return a.rank - b.rank; }
      var la = byId.get(a.id).label, lb = byId.get(b.id).label;
      if (la.length !== lb.length) { return la.length - lb.length; }
      return la.localeCompare(lb);
    });
    return found.slice(0, limit || 12);
  }

  var input = $("search");
  var results = $("search-results");
  var status = $("search-status");
  var matches = [];
  var active = 0;

  function renderResults() {
    results.replaceChildren();
    matches.forEach(function (m, i) {
      var n = byId.get(m.id);
      var li = el("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.dataset.node = String(n.id);
      li.appendChild(el("span", "match", n.label));
      if (m.via) { li.appendChild(el("span", "via", "aka " + m.via)); }
      li.appendChild(el("span", "kind", singular(n.type)));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
      results.appendChild(li);
    });
    results.hidden = matches.length === 0;
  }

  function choose(i) {
    var m = matches[i];
    if (!m) { return; }
    var n = byId.get(m.id);
    input.value = n.label;
    matches = [];
    renderResults();
    status.textContent = "";
    select(n.id, { animate: true });
  }

  input.addEventListener("input", function () {
    matches = search(input.value);
    active = 0;
    renderResults();
    status.textContent = input.value.trim() && !matches.length ? "Nothing matches \u201c" + input.value.trim() + "\u201d." : "";
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" && matches.length) { active = (active + 1) % matches.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp" && matches.length) { active = (active + matches.length - 1) % matches.length; renderResults(); ev.preventDefault(); }
    else if (ev.key === "Enter") {
      if (!matches.length) { matches = search(input.value); active = 0; }
      if (matches.length) { choose(active); } else if (input.value.trim()) { status.textContent = "Nothing matches \u201c" + input.value.trim() + "\u201d."; }
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      input.value = ""; matches = []; renderResults(); status.textContent = ""; clearSelection();
    }
  });
  input.addEventListener("blur", function () { matches = []; renderResults(); });
  function typing() {
    var a = document.activeElement;
    return a !== null && (a.tagName === "INPUT" && a.type !== "checkbox" || a.tagName === "TEXTAREA" || a.tagName === "SELECT");
  }
  document.addEventListener("keydown", function (ev) {
    if (typing() && document.activeElement !== input) { return; }
    if (ev.key === "/" && document.activeElement !== input) { ev.preventDefault(); input.focus(); input.select(); }
    else if (ev.key === "Escape" && document.activeElement !== input) { clearSelection(); }
  });

  // ------------------------------------------------------------------------------------------
  // Compare two hats (the scores and items of graph/analysis/overlap.py, computed when the page was written)

  var comparing = null;
  function pairOf(a, b) {
    if (!data.pairs) { return null; }
    var lo = Math.min(a, b), hi = Math.max(a, b);
    var p = data.pairs[lo + "," + hi] || { jaccard: 0, weighted: 0, shared: [], only_a: [], only_b: [] };
    return { jaccard: p.jaccard, weighted: p.weighted, similarity: p.similarity || 0, similarity_shared: p.similarity_shared || [],
             shared: p.shared, only_a: lo === a ? p.only_a : p.only_b, only_b: lo === a ? p.only_b : p.only_a };
  }
  function itemList(box, ids) {
    box.replaceChildren();
    var groups = {};
    ids.forEach(function (id) { var n = byId.get(id); (groups[n.type] = groups[n.type] || []).push(n); });
    ["skill", "tool", "responsibility"].forEach(function (type) {
      var list = groups[type];
      if (!list) { return; }
      box.appendChild(el("p", "group", (TYPES[type] ? TYPES[type].label : type) + " (" + list.length + ")"));
      var ul = el("ul");
      list.sort(function (x, y) { return x.label.localeCompare(y.label); })
        .forEach(function (n) { ul.appendChild(el("li", null, n.label)); });
      box.appendChild(ul);
    });
    if (!ids.length) { box.appendChild(el("p", "hint", "nothing")); }
  }
  // Served by `datateam serve`, the page asks the server's analyses (/api/...) and can compare any
  // two roles; the written file uses what it embeds.
  var api = data.api === true;
  function apiGet(path, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(path + "?" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) { throw new Error(text.trim() || ("HTTP " + response.status)); }
          return JSON.parse(text);
        });
      });
  }
  function iriIds(items) {
    var out = [];
    items.forEach(function (item) { var id = explorer.nodeByIri(item.id); if (id !== null) { out.push(id); } });
    return out;
  }
  function compare(a, b) {
    if (api) {
      comparing = [a, b];
      $("compare-title").textContent = byId.get(a).label + " and " + byId.get(b).label;
      $("compare-scores").textContent = "Asking the server\u2026";
      $("compare").hidden = false;
      apiGet("/api/overlap", { a: byId.get(a).iri, b: byId.get(b).iri }).then(function (r) {
        if (!comparing || comparing[0] !== a || comparing[1] !== b) { return; }
        var shared = [];
        Object.keys(r.shared).forEach(function (g) { shared = shared.concat(r.shared[g]); });
        var sim = r.similarity || {};
        renderCompare(a, b, { jaccard: r.jaccard, weighted: r.weighted, similarity: sim.score, similarity_shared: sim.shared || [],
                              shared: iriIds(shared), only_a: iriIds(r.only_a), only_b: iriIds(r.only_b) }, "/api/overlap");
      }).catch(function (error) { $("compare-scores").textContent = "The server could not compare them: " + error.message; });
      writeHash();
      return true;
    }
    var p = pairOf(a, b);
    if (!p) { return false; }
    comparing = [a, b];
    renderCompare(a, b, p, "computed when the page was written");
    writeHash();
    return true;
  }
  function renderCompare(a, b, p, origin) {
    var la = byId.get(a).label, lb = byId.get(b).label;
    $("compare-title").textContent = la + " and " + lb;
    $("compare-scores").textContent = "Jaccard " + p.jaccard.toFixed(2) + " · level-weighted Jaccard " + p.weighted.toFixed(2) +
      (typeof p.similarity === "number" ? " · similarity " + p.similarity.toFixed(2) : "") +
      " (skills, tools and responsibilities; graph/analysis/overlap.py and similar.py, " + origin + ")";
    var counts = {};
    p.shared.forEach(function (id) { var t = byId.get(id).type; counts[t] = (counts[t] || 0) + 1; });
    var parts = Object.keys(counts).sort().map(function (t) { return counts[t] + " " + (TYPES[t] ? TYPES[t].label.toLowerCase() : t); });
    var drivers = (p.similarity_shared || []).map(function (x) { return x.label + " " + x.weight.toFixed(2); });
    $("compare-driver").textContent = (p.shared.length ? "What drives the score: " + p.shared.length + " shared items (" + parts.join(", ") +
      ") against " + (p.shared.length + p.only_a.length + p.only_b.length) + " in all." : "They share nothing.") +
      (drivers.length ? " The similarity score comes most from: " + drivers.join(", ") + "." : "");
    $("compare-shared-title").textContent = "Shared (" + p.shared.length + ")";
    $("compare-a-title").textContent = "Only " + la + " (" + p.only_a.length + ")";
    $("compare-b-title").textContent = "Only " + lb + " (" + p.only_b.length + ")";
    itemList($("compare-shared"), p.shared);
    itemList($("compare-a"), p.only_a);
    itemList($("compare-b"), p.only_b);
    $("compare").hidden = false;
  }
  function closeCompare() { comparing = null; $("compare").hidden = true; writeHash(); }
  $("compare-close").addEventListener("click", closeCompare);
  $("compare-with").addEventListener("change", function () {
    var other = Number($("compare-with").value);
    if ($("compare-with").value !== "" && selected !== null) { compare(selected, other); }
    $("compare-with").value = "";
  });
  var ROLES = data.nodes.filter(function (n) { return n.type === "role"; })
    .sort(function (a, b) { return a.label.localeCompare(b.label); });
  function fillCompareChoices(id) {
    var section = $("details-compare-section");
    var n = byId.get(id);
    section.hidden = !((data.pairs || api) && n.type === "role");
    if (section.hidden) { return; }
    var choice = $("compare-with");
    while (choice.options.length > 1) { choice.remove(1); }
    ROLES.forEach(function (r) {
      if (r.id === id) { return; }
      var option = el("option", null, r.label);
      option.value = String(r.id);
      choice.appendChild(option);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Panels over the network: the overlap heatmap, the handoff flow, the team

  var panel = null;       // "heatmap" | "flow" | "team" | null
  var PANELS = ["heatmap", "flow", "team"];
  function openPanel(name) {
    panel = name;
    PANELS.forEach(function (p) {
      if ($(p)) { $(p).hidden = p !== name; }
      var button = $("open-" + p);
      if (button) { button.setAttribute("aria-pressed", p === name ? "true" : "false"); }
    });
    if (name === "heatmap") { drawHeatmap(); }
    if (name === "flow") { showFlow(); }
    if (name === "team") { showTeam(); }
    writeHash();
  }
  PANELS.forEach(function (p) {
    if ($("open-" + p)) { $("open-" + p).addEventListener("click", function () { openPanel(panel === p ? null : p); }); }
  });
  Array.prototype.forEach.call(document.querySelectorAll("aside.panel .panel-close"), function (button) {
    button.addEventListener("click", function () { openPanel(null); });
  });

  // The heatmap: one cell per pair of hats, coloured on a scale fitted to the values shown (the
  // diagonal left out), so that 0.02 and 0.19 look different when nothing reaches 0.2.
  var RAMP = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  var heatScore = "jaccard";
  function ramp(t) {
    t = Math.max(0, Math.min(1, t));
    var x = t * (RAMP.length - 1), i = Math.min(RAMP.length - 2, Math.floor(x)), f = x - i;
    var a = RAMP[i], b = RAMP[i + 1];
    var rgb = [1, 3, 5].map(function (k) {
      var u = parseInt(a.substr(k, 2), 16), v = parseInt(b.substr(k, 2), 16);
      return Math.round(u + (v - u) * f);
    });
    return "rgb(" + rgb.join(", ") + ")";
  }
  // The same fit as graph/output/heatmap.py's fitted_range: from the lowest value between two
  // different hats to the FIT_QUANTILE quantile (nearest rank); values above take the darkest colour.
  function heatRange(roles, score) {
    var values = [];
    roles.forEach(function (a) { roles.forEach(function (b) { if (a !== b) { values.push(pairOf(a, b)[score] || 0); } }); });
    if (!values.length) { return { lo: 0, hi: 1, top: 1 }; }
    values.sort(function (x, y) { return x - y; });
    var lo = values[0], top = values[values.length - 1];
    var hi = values[Math.min(values.length - 1, Math.ceil(data.heatmap.quantile * values.length) - 1)];
    if (hi - lo < 1e-9) { hi = top; }
    if (hi - lo < 1e-9) { hi = lo + 0.01; }
    return { lo: lo, hi: hi, top: top };
  }
  function drawHeatmap() {
    if (!data.heatmap) { return; }
    var choice = $("heatmap-score");
    if (!choice.options.length) {
      Object.keys(data.heatmap.scores).forEach(function (key) {
        var option = el("option", null, data.heatmap.scores[key]);
        option.value = key;
        choice.appendChild(option);
      });
      choice.addEventListener("change", function () { heatScore = choice.value; drawHeatmap(); writeHash(); });
    }
    choice.value = heatScore;
    var roles = data.heatmap.roles, range = heatRange(roles, heatScore);
    var span = range.hi - range.lo || 1;
    $("heatmap-min").textContent = range.lo.toFixed(2);
    $("heatmap-max").textContent = range.hi.toFixed(2);
    $("heatmap-bar").style.background = "linear-gradient(to right, " + RAMP.join(", ") + ")";
    $("heatmap-scale-note").textContent = "Colour: " + data.heatmap.scores[heatScore] + ", fitted to the values between two different hats (" +
      range.lo.toFixed(2) + " to " + range.hi.toFixed(2) + (range.top > range.hi ? "; the few above, up to " + range.top.toFixed(2) + ", in the darkest colour" : "") +
      "); a hat with itself is grey.";
    var grid = $("heatmap-grid");
    grid.replaceChildren();
    grid.style.gridTemplateColumns = "max-content repeat(" + roles.length + ", 24px)";
    grid.appendChild(el("span"));
    roles.forEach(function (id) { grid.appendChild(el("span", "col-label", byId.get(id).label)); });
    roles.forEach(function (a) {
      grid.appendChild(el("span", "row-label", byId.get(a).label));
      roles.forEach(function (b) {
        if (a === b) { grid.appendChild(el("span", "self")); return; }
        var value = pairOf(a, b)[heatScore] || 0;
        var cell = el("button", "cell");
        cell.type = "button";
        cell.dataset.a = String(a);
        cell.dataset.b = String(b);
        cell.dataset.value = String(value);
        cell.style.background = ramp((value - range.lo) / span);
        var text = byId.get(a).label + " and " + byId.get(b).label + ": " + value.toFixed(3);
        cell.title = text;
        cell.setAttribute("aria-label", text);
        cell.addEventListener("click", function () { select(a, { move: "none" }); compare(a, b); });
        grid.appendChild(cell);
      });
    });
    var without = data.heatmap.without.map(function (id) { return byId.get(id).label; });
    $("heatmap-without").textContent = without.length ? "Listed apart, the sources give them no skill, tool or responsibility: " + without.join(", ") + "." : "";
  }

  // The handoff flow of a workflow, step by step: each step lights its arrow and its two hats.
  var flow = { workflow: null, step: 0 };
  var WORKFLOWS = (function () {
    var byName = {};
    data.edges.forEach(function (e) {
      (e.items || []).forEach(function (item) {
        if (!item.workflow || item.step === null || item.step === undefined) { return; }
        (byName[item.workflow] = byName[item.workflow] || []).push(
          { step: item.step, from: e.from, to: e.to, edge: e.id, artifact: item.artifact, stage: item.stage });
      });
    });
    return Object.keys(byName).sort().map(function (name) {
      var steps = byName[name].sort(function (a, b) {
        return a.step - b.step || byId.get(a.to).label.localeCompare(byId.get(b.to).label);
      });
      return { label: name, steps: steps };
    });
  })();
  function flowText(st) {
    return "Step " + st.step + ": " + byId.get(st.from).label + " \u2192 " + byId.get(st.to).label + ": " + (st.artifact || "handoff") +
      (st.stage ? " (" + st.stage + ")" : "");
  }
  function showFlow() {
    var choice = $("flow-workflow");
    if (!choice.options.length) {
      WORKFLOWS.forEach(function (w, i) { var o = el("option", null, w.label + " (" + w.steps.length + " handoffs)"); o.value = String(i); choice.appendChild(o); });
      choice.addEventListener("change", function () { flow.workflow = Number(choice.value); flow.step = 0; showFlow(); writeHash(); });
      $("flow-prev").addEventListener("click", function () { flowGo(flow.step - 1); });
      $("flow-next").addEventListener("click", function () { flowGo(flow.step + 1); });
    }
    if (!WORKFLOWS.length) { $("flow-now").textContent = "No workflow with numbered steps in this graph."; return; }
    if (flow.workflow === null || !WORKFLOWS[flow.workflow]) { flow.workflow = 0; }
    var w = WORKFLOWS[flow.workflow];
    flow.step = Math.max(0, Math.min(w.steps.length - 1, flow.step));
    choice.value = String(flow.workflow);
    var list = $("flow-steps");
    list.replaceChildren();
    w.steps.forEach(function (st, i) {
      var li = el("li", null, byId.get(st.from).label + " \u2192 " + byId.get(st.to).label + ": " + (st.artifact || "handoff"));
      li.value = st.step;
      if (i === flow.step) { li.setAttribute("aria-current", "step"); }
      li.addEventListener("click", function () { flowGo(i); });
      list.appendChild(li);
    });
    var st = w.steps[flow.step];
    $("flow-position").textContent = (flow.step + 1) + " of " + w.steps.length;
    $("flow-now").textContent = flowText(st);
    $("flow-prev").disabled = flow.step === 0;
    $("flow-next").disabled = flow.step === w.steps.length - 1;
    [st.from, st.to].forEach(function (id) { if (!shownNode.get(id)) { extraShown.add(id); } });
    if (!shownNode.get(st.from) || !shownNode.get(st.to)) { applyFilters(); }
    selected = null;
    lit = new Set([st.from, st.to]);
    litEdges = new Set([st.edge]);
    network.redraw();
  }
  function flowGo(i) { flow.step = i; showFlow(); writeHash(); }

  // The team view: the hats a team wears (lit on the network), the ones it misses, and what it
  // misses stage by stage (graph/analysis/coverage.py, computed when the page was written).
  var team = data.team || null;
  function labels(ids) { return ids.map(function (id) { return byId.get(id).label; }); }
  function checkTeam() {
    var roles = $("team-roles").value;
    $("team-summary").textContent = "Asking the server\u2026";
    apiGet("/api/coverage", { roles: roles, next_hire: "1" }).then(function (r) {
      var byIri = function (iri) { return explorer.nodeByIri(iri); };
      team = {
        name: "your team", size: r.team.size, people: [],
        worn: r.team.roles.map(function (x) { return byIri(x.id); }).filter(function (x) { return x !== null; }),
        stages: r.stages.map(function (st) { return { stage: st.stage, covered: st.covered.length, missing: st.missing.map(function (m) { return m.label; }) }; }),
        totals: r.totals,
        next_hire: (r.next_hire || []).map(function (h) { return { id: byIri(h.id), closes: h.closes, by_kind: h.closes_by_kind }; })
          .filter(function (h) { return h.id !== null; }),
        unranked: []
      };
      showTeam();
    }).catch(function (error) { $("team-summary").textContent = "The server could not check the team: " + error.message; });
  }
  if ($("team-check")) {
    $("team-check").addEventListener("click", checkTeam);
    $("team-roles").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { checkTeam(); ev.preventDefault(); } });
  }
  function showTeam() {
    if (!team) { return; }
    $("team-title").textContent = team.name;
    var t = team.totals;
    $("team-summary").textContent = "Covers " + Object.keys(t).map(function (k) {
      return t[k].covered + " of " + t[k].all + " " + k;
    }).join(", ") + (team.size ? " (a " + team.size + " organisation)" : "") + ".";
    var people = $("team-people");
    people.replaceChildren();
    team.people.forEach(function (p) { people.appendChild(el("li", null, p.name + ": " + labels(p.hats).join(", "))); });
    var worn = new Set(team.worn);
    // Missing: every hat no one wears (stakeholders are not hats a team member wears).
    var missing = ROLES.filter(function (r) { return !worn.has(r.id) && !r.stakeholder; });
    $("team-worn-title").textContent = "Hats covered (" + team.worn.length + ")";
    $("team-worn").textContent = labels(team.worn).join(", ");
    $("team-missing-title").textContent = "Hats missing (" + missing.length + ")";
    $("team-missing").textContent = missing.map(function (r) { return r.label; }).join(", ");
    var stages = $("team-stages");
    stages.replaceChildren();
    team.stages.forEach(function (st) {
      var li = el("li", null, st.stage + ": " + st.covered + " covered, " + st.missing.length + " missing");
      if (st.missing.length) { li.appendChild(el("span", "extra missing", " (" + st.missing.slice(0, 4).join("; ") + (st.missing.length > 4 ? "; \u2026" : "") + ")")); }
      stages.appendChild(li);
    });
    var next = $("team-next");
    next.replaceChildren();
    team.next_hire.forEach(function (h) {
      var kinds = Object.keys(h.by_kind).filter(function (k) { return h.by_kind[k]; }).map(function (k) { return h.by_kind[k] + " " + k; });
      next.appendChild(el("li", null, byId.get(h.id).label + ": closes " + h.closes + " (" + kinds.join(", ") + ")"));
    });
    selected = null;
    lit = new Set(team.worn);
    litEdges = new Set();
    data.edges.forEach(function (e) { if (e.relation === "hands_off_to" && lit.has(e.from) && lit.has(e.to)) { litEdges.add(e.id); } });
    network.redraw();
  }

  // ------------------------------------------------------------------------------------------
  // State in the URL hash: the selection, the expanded hats, the types shown, the comparison.
  // A link opens the same view; back and forward walk through the states.

  function keyOf(id) { var n = byId.get(id); return n.type + ":" + n.iri.replace(/\/+$/, "").split("/").pop(); }
  var byKey = new Map();
  data.nodes.forEach(function (n) { if (!byKey.has(keyOf(n.id))) { byKey.set(keyOf(n.id), n.id); } });
  var applying = false;
  function stateText() {
    var params = new URLSearchParams();
    if (selected !== null) { params.set("select", keyOf(selected)); }
    if (expanded.size) { params.set("expand", Array.from(expanded).map(keyOf).sort().join(",")); }
    if (story) {
      var every = data.types.filter(function (t) { return t.key !== "role" && !hiddenTypes.has(t.key); }).map(function (t) { return t.key; });
      if (every.length) { params.set("show", every.join(",")); }
    }
    if (comparing) { params.set("compare", comparing.map(keyOf).join(",")); }
    if (panel) { params.set("panel", panel); }
    if (panel === "heatmap" && heatScore !== "jaccard") { params.set("score", heatScore); }
    if (panel === "flow" && flow.workflow !== null) { params.set("workflow", String(flow.workflow)); params.set("step", String(flow.step)); }
    return params.toString();
  }
  function writeHash() {
    if (applying || !ready) { return; }
    var text = stateText();
    if (text !== location.hash.replace(/^#/, "")) { history.pushState(null, "", text ? "#" + text : location.pathname); }
  }
  function ids(text) {
    return (text || "").split(",").map(function (k) { return byKey.get(k); }).filter(function (id) { return id !== undefined; });
  }
  function applyHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    applying = true;
    try {
      expanded.clear();
      ids(params.get("expand")).forEach(function (id) { if (byId.get(id).type === "role") { expanded.add(id); } });
      if (story) {
        var every = (params.get("show") || "").split(",");
        data.types.forEach(function (t) {
          if (t.key === "role") { return; }
          var on = every.indexOf(t.key) >= 0;
          if (on) { hiddenTypes.delete(t.key); } else { hiddenTypes.add(t.key); }
          var box = document.querySelector('#type-filters input[data-type="' + CSS.escape(t.key) + '"]');
          if (box) { box.checked = on; }
        });
      }
      applyFilters();
      var chosen = ids(params.get("select"));
      if (chosen.length) { select(chosen[0], { move: "none" }); } else if (selected !== null) { clearSelection(); }
      heatScore = data.heatmap && data.heatmap.scores[params.get("score")] ? params.get("score") : "jaccard";
      if (params.get("workflow") !== null) { flow.workflow = Number(params.get("workflow")); flow.step = Number(params.get("step") || 0); }
      openPanel(PANELS.indexOf(params.get("panel")) >= 0 ? params.get("panel") : null);
      var pair = ids(params.get("compare"));
      if (pair.length === 2) { compare(pair[0], pair[1]); } else { comparing = null; $("compare").hidden = true; }
    } finally {
      applying = false;
    }
  }
  window.addEventListener("popstate", applyHash);
  window.addEventListener("hashchange", applyHash);

  // Keyboard: the arrow keys move the selection to the nearest hat (or node) that way; Enter
  // expands or collapses the selected hat.
  function nearest(from, dx, dy) {
    var p = network.getPosition(from), best = null, bestScore = Infinity;
    nodeView.getIds().forEach(function (id) {
      if (id === from || (story && byId.get(id).type !== "role")) { return; }
      var q = network.getPosition(id), vx = q.x - p.x, vy = q.y - p.y;
      var along = vx * dx + vy * dy, across = Math.abs(vx * dy - vy * dx);
      if (along <= 0) { return; }
      var score = along + 2 * across;
      if (score < bestScore) { bestScore = score; best = id; }
    });
    return best;
  }
  document.addEventListener("keydown", function (ev) {
    if (typing()) { return; }
    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[ev.key]) {
      var start = selected !== null ? selected : (ROLES[0] ? ROLES[0].id : null);
      if (start === null) { return; }
      var next = selected === null ? start : nearest(selected, moves[ev.key][0], moves[ev.key][1]);
      if (next !== null) { select(next, { move: "none" }); writeHash(); }
      ev.preventDefault();
    } else if (ev.key === "Enter" && selected !== null && story && byId.get(selected).type === "role") {
      expand(selected, !expanded.has(selected));
      writeHash();
      ev.preventDefault();
    }
  });

  updateCounts();

  window.explorer = {
    network: network,
    nodes: nodes,
    edges: edges,
    data: data,
    search: search,
    select: select,
    clearSelection: clearSelection,
    selected: function () { return selected; },
    nodeByIri: function (iri) {
      for (var i = 0; i < data.nodes.length; i++) { if (data.nodes[i].iri === iri) { return data.nodes[i].id; } }
      return null;
    },
    shownCounts: function () { return { nodes: nodeView.length, edges: shownEdgeIds.length }; },
    compare: compare,
    comparing: function () { return comparing; },
    stateText: stateText,
    openPanel: openPanel,
    team: function () { return team; },
    panel: function () { return panel; },
    flow: function () { return { workflow: flow.workflow, step: flow.step, workflows: WORKFLOWS }; },
    lit: function () { return lit === null ? null : { nodes: Array.from(lit).sort(function (a, b) { return a - b; }), edges: Array.from(litEdges) }; },
    expand: expand,
    expanded: function () { return Array.from(expanded).sort(function (a, b) { return a - b; }); },
    shownIds: function () { return nodeView.getIds().sort(function (a, b) { return a - b; }); },
    // The links drawn: vis edges for ordinary views, the painter's list for large ones.
    drawnLinkCount: function () { return view.large ? shownEdgeIds.length : network.body.data.edges.length; },
    isReady: function () { return ready; },
    highlighted: highlighted,
    timings: timings
  };
})();
