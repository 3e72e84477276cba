// Draws the circuit embedded in #circuit-data as a layered SVG graph and keeps the visible node and edge
// counts in data attributes of #graph, which tests and scripts read.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("circuit-data").textContent);
  var svgNs = "http://www.w3.org/2000/svg";
  var c = data.colours;
  var kindStyle = { q: [c.q, ""], k: [c.k, "6 3"], v: [c.v, "2 3"], m: [c.m, ""], o: [c.o, ""] };
  var sideColour = { shared: "#555", a: "#c2255c", b: "#1971c2" };
  var compare = data.b !== null;

  function el(tag, attrs, parent) {
    var e = document.createElementNS(svgNs, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, text, parent) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // Column of a node: embeddings first, then per layer its heads and its MLP, logits last.
  function unitOf(reader) { var i = reader.indexOf("<"); return i < 0 ? reader : reader.slice(0, i); }
  function kindOf(reader) { var m = /<([qkv])>$/.exec(reader); return m ? m[1] : reader === "logits" ? "o" : "m"; }
  function place(node) {
    var m;
    if ((m = /^a(\d+)\./.exec(node))) return { column: 2 * +m[1] + 1, layer: +m[1], cls: "head" };
    if ((m = /^m(\d+)$/.exec(node))) return { column: 2 * +m[1] + 2, layer: +m[1], cls: "mlp" };
    if (node === "logits") return { column: 2 * data.layers + 1, layer: null, cls: "out" };
    return { column: 0, layer: null, cls: "embed" };
  }

  var header = html("header", undefined, document.body);
  html("h1", compare ? data.a.name + " vs " + data.b.name : data.a.name + " \u2014 " + data.a.task, header);
  var info = html("div", "", header);
  info.textContent = (compare ? "A: " : "") + data.a.kept_edges + " of " + data.a.total_edges + " edges kept" +
    (compare ? "; B: " + data.b.kept_edges + " of " + data.b.total_edges : "") + " (" + data.a.model + ")";
  var layerBox = html("div", undefined, header);
  layerBox.id = "layers";
  html("span", "layers: ", layerBox);
  var shownLayers = {};
  for (var l = 0; l < data.layers; l++) {
    shownLayers[l] = true;
    var label = html("label", undefined, layerBox);
    var box = html("input", undefined, label);
    box.type = "checkbox"; box.checked = true; box.dataset.layer = l; box.id = "layer-" + l;
    box.addEventListener("change", function (e) { shownLayers[e.target.dataset.layer] = e.target.checked; render(); });
    label.appendChild(document.createTextNode(" " + l));
  }
  var thresholdBox = html("label", "mask \u2265 ", header);
  var threshold = html("input", undefined, thresholdBox);
  threshold.type = "range"; threshold.min = "0"; threshold.max = "1"; threshold.step = "0.01"; threshold.value = "0"; threshold.id = "threshold";
  var thresholdValue = html("span", "0.00", thresholdBox);
  threshold.addEventListener("input", function () { thresholdValue.textContent = (+threshold.value).toFixed(2); render(); });
  var count = html("span", "", header);
  count.id = "count";
  var legend = html("div", undefined, header);
  legend.id = "legend";
  var keys = compare ? [["shared", sideColour.shared], ["only A", sideColour.a], ["only B", sideColour.b]]
                     : [["Q", kindStyle.q[0]], ["K", kindStyle.k[0]], ["V", kindStyle.v[0]], ["MLP", kindStyle.m[0]], ["logits", kindStyle.o[0]]];
  keys.forEach(function (k) { var s = html("span", undefined, legend); html("i", undefined, s).style.background = k[1]; s.appendChild(document.createTextNode(k[0])); });
  if (compare) html("span", "(dash: Q solid, K long, V short)", legend);

  var svg = el("svg", { id: "graph", "data-nodes": "0", "data-edges": "0" }, document.body);
  var tip = html("div", "", document.body);
  tip.id = "tip";
  function showTip(evt, text) { tip.textContent = text; tip.style.display = "block"; tip.style.left = evt.clientX + 12 + "px"; tip.style.top = evt.clientY + 12 + "px"; }
  function hideTip() { tip.style.display = "none"; }

  function render() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var t = +threshold.value;
    var visible = data.edges.filter(function (e) {
      if (e.mask < t) return false;
      var a = place(e.from), b = place(unitOf(e.to));
      return (a.layer === null || shownLayers[a.layer]) && (b.layer === null || shownLayers[b.layer]);
    });
    var columns = {}, nodes = {};
    visible.forEach(function (e) {
      [e.from, unitOf(e.to)].forEach(function (n) {
        if (nodes[n]) return;
        var p = place(n);
        nodes[n] = p;
        (columns[p.column] = columns[p.column] || []).push(n);
      });
    });
    var colWidth = 130, rowHeight = 46, w = 84, h = 24, pad = 30, tallest = 1, headRows = 0;
    Object.keys(columns).forEach(function (c) {
      if (nodes[columns[c][0]].cls !== "mlp") headRows = Math.max(headRows, columns[c].length);
    });
    // MLPs sit in a band below every head, so that edges skipping a layer pass above them, not through them.
    Object.keys(columns).forEach(function (c) {
      columns[c].sort(function (x, y) { return x.localeCompare(y, "en", { numeric: true }); });
      var first = nodes[columns[c][0]].cls === "mlp" ? headRows + 0.5 : 0;
      tallest = Math.max(tallest, first + columns[c].length);
      columns[c].forEach(function (n, i) { nodes[n].x = pad + c * colWidth; nodes[n].y = pad + (first + i) * rowHeight; });
    });
    svg.setAttribute("width", pad * 2 + (2 * data.layers + 1) * colWidth + w);
    svg.setAttribute("height", pad * 2 + Math.ceil(tallest) * rowHeight);
    var edgeLayer = el("g", {}, svg), nodeLayer = el("g", {}, svg);
    visible.forEach(function (e) {
      var a = nodes[e.from], b = nodes[unitOf(e.to)], kind = kindOf(e.to);
      var x1 = a.x + w, y1 = a.y + h / 2, x2 = b.x, y2 = b.y + h / 2 + ({ q: -7, k: 0, v: 7 }[kind] || 0), mid = (x1 + x2) / 2;
      var path = el("path", {
        "class": "edge " + e.side, d: "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2,
        stroke: compare ? sideColour[e.side] : kindStyle[kind][0], "stroke-dasharray": kindStyle[kind][1],
        "stroke-width": (0.5 + 3.5 * Math.max(0, Math.min(1, e.mask))).toFixed(2), "data-name": e.name,
      }, edgeLayer);
      var side = compare ? ({ shared: "in both", a: "only in A", b: "only in B" }[e.side]) + "\n" : "";
      path.addEventListener("mousemove", function (evt) { showTip(evt, e.name + "\n" + side + "mask " + e.mask.toFixed(4) + (kind ? "\ninput " + kind.toUpperCase() : "")); });
      path.addEventListener("mouseleave", hideTip);
    });
    Object.keys(nodes).forEach(function (n) {
      var p = nodes[n], g = el("g", { "class": "node " + p.cls, transform: "translate(" + p.x + "," + p.y + ")", "data-name": n }, nodeLayer);
      el("rect", { width: w, height: h, rx: 4 }, g);
      el("text", { x: w / 2, y: h / 2 }, g).textContent = n;
      var degree = visible.filter(function (e) { return e.from === n || unitOf(e.to) === n; }).length;
      g.addEventListener("mousemove", function (evt) { showTip(evt, n + "\n" + degree + " visible edge" + (degree === 1 ? "" : "s")); });
      g.addEventListener("mouseleave", hideTip);
    });
    var nodeCount = Object.keys(nodes).length;
    svg.setAttribute("data-nodes", String(nodeCount));
    svg.setAttribute("data-edges", String(visible.length));
    count.textContent = nodeCount + " nodes, " + visible.length + " edges";
  }
  render();
})();
