// docs/reader.html: from a row to its words, from a word to its rows. No request of any kind.
// Offsets in data-start/data-end count Unicode code points; JavaScript strings count UTF-16
// units, so every offset into a text node is converted (a code point above U+FFFF is 2 units).
"use strict";
(function () {
  const article = document.querySelector("article.text");
  const marks = Array.from(article.querySelectorAll(".m[data-start]"));
  const rows = Array.from(document.querySelectorAll(".row[data-table][data-id]"));
  const hits = document.getElementById("hits");
  const panel = document.querySelector(".panel");
  const byKey = new Map(rows.map((row) => [row.dataset.table + ":" + row.dataset.id, row]));
  const spans = marks.map((m) => ({ el: m, row: m.dataset.row, start: +m.dataset.start, end: +m.dataset.end }));

  function codePoints(s) {  // how many code points the UTF-16 string s holds
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  function offsetOf(node, units) {  // code point offset in the article of (text node, UTF-16 offset)
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    let before = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n === node) return before + codePoints(n.data.slice(0, units));
      before += codePoints(n.data);
    }
    return -1;
  }

  function charRange(node, units) {  // the Range of the code point at `units`
    const low = node.data.charCodeAt(units);
    if (low >= 0xdc00 && low <= 0xdfff && units > 0) units--;  // the pair's first half
    const range = document.createRange();
    const c = node.data.charCodeAt(units);
    const width = c >= 0xd800 && c <= 0xdbff && units + 1 < node.data.length ? 2 : 1;
    range.setStart(node, units);
    range.setEnd(node, Math.min(units + width, node.data.length));
    return range;
  }

  function inside(range, x, y) {
    return Array.from(range.getClientRects()).some(
      (r) => x >= r.left - 0.5 && x <= r.right + 0.5 && y >= r.top - 0.5 && y <= r.bottom + 0.5);
  }

  function candidates(node, units) {  // the characters either side of a caret, across nodes
    const found = [[node, units], [node, units - 1]];
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    walker.currentNode = node;
    const next = walker.nextNode();
    walker.currentNode = node;
    const previous = walker.previousNode();
    if (next) found.push([next, 0]);
    if (previous) found.push([previous, previous.data.length - 1]);
    return found.filter(([n, u]) => u >= 0 && u < n.data.length);
  }

  function caretAt(x, y) {  // (text node, UTF-16 offset) of the character under the point
    let node = null, units = 0;
    if (document.caretPositionFromPoint) {
      const p = document.caretPositionFromPoint(x, y);
      if (p) { node = p.offsetNode; units = p.offset; }
    } else if (document.caretRangeFromPoint) {
      const r = document.caretRangeFromPoint(x, y);
      if (r) { node = r.startContainer; units = r.startOffset; }
    }
    if (!node || node.nodeType !== Node.TEXT_NODE || !article.contains(node)) return null;
    // A caret lies between characters: take the neighbour whose box holds the point.
    return candidates(node, units).find(([n, u]) => inside(charRange(n, u), x, y)) || null;
  }

  function panelOrder(key) {
    const row = byKey.get(key);
    return row ? rows.indexOf(row) : rows.length;
  }

  function showHits(node, units) {
    const low = node.data.charCodeAt(units);
    if (low >= 0xdc00 && low <= 0xdfff && units > 0) units--;  // a pair's second half
    const at = offsetOf(node, units);
    const covering = [...new Set(spans.filter((s) => s.start <= at && at < s.end).map((s) => s.row))]
      .sort((a, b) => panelOrder(a) - panelOrder(b));
    const char = String.fromCodePoint(node.data.codePointAt(units));
    if (window.CSS && CSS.highlights && window.Highlight) {
      CSS.highlights.set("kw-char", new Highlight(charRange(node, units)));
    }
    rows.forEach((row) => row.classList.remove("covers"));
    const list = document.createElement("ul");
    for (const key of covering) {
      const row = byKey.get(key);
      if (row) row.classList.add("covers");
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.className = "hit";
      link.dataset.ref = key;
      link.href = "#" + key.slice(key.indexOf(":") + 1);
      link.textContent = key.replace(":", " · ");
      item.append(link);
      const gloss = row && row.querySelector(".gloss");
      if (gloss && gloss.textContent) item.append(" — " + gloss.textContent);
      list.append(item);
    }
    const shown = /\s/.test(char) ? "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") : char;
    const intro = document.createElement("p");
    intro.dataset.offset = String(at);
    intro.textContent = `Character «${shown}» at code point ${at}: ` +
      (covering.length ? `${covering.length} row(s) cover it.` : "no row covers it.");
    hits.replaceChildren(hits.querySelector("h2"), intro, list);
  }

  function select(row, scroll) {
    const key = row.dataset.table + ":" + row.dataset.id;
    rows.forEach((r) => r.setAttribute("aria-pressed", String(r === row)));
    marks.forEach((m) => m.classList.toggle("hl", m.dataset.row === key));
    const first = marks.find((m) => m.dataset.row === key);
    if (first) first.scrollIntoView({ block: "center" });
    if (scroll) {  // below the sticky box of hits
      panel.style.scrollPaddingTop = hits.offsetHeight + 8 + "px";
      row.scrollIntoView({ block: "start" });
    }
    try {
      history.replaceState(null, "", "#" + encodeURIComponent(row.dataset.id));
    } catch (e) { /* some file:// contexts forbid it; the selection still shows */ }
  }

  function fromHash() {
    let wanted = location.hash.slice(1);
    try { wanted = decodeURIComponent(wanted); } catch (e) { /* not %-encoded: use as is */ }
    if (!wanted) return;
    const row = byKey.get(wanted) || rows.find((r) => r.dataset.id === wanted);
    if (row) { select(row, true); row.focus({ preventScroll: true }); }
  }

  article.addEventListener("click", (event) => {
    const found = caretAt(event.clientX, event.clientY);
    if (found) showHits(found[0], found[1]);
  });
  article.addEventListener("keydown", (event) => {  // Enter: the rows at the text selection
    if (event.key !== "Enter") return;
    const selection = window.getSelection();
    let node = selection && selection.anchorNode, units = selection ? selection.anchorOffset : 0;
    if (!node || node.nodeType !== Node.TEXT_NODE || !article.contains(node)) {
      const lit = article.querySelector(".m.hl") || marks[0];
      node = lit && document.createTreeWalker(lit, NodeFilter.SHOW_TEXT).nextNode();
      units = 0;
    }
    if (node) { showHits(node, Math.min(units, node.data.length - 1)); event.preventDefault(); }
  });
  for (const row of rows) {
    row.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      select(row, false);
    });
    row.addEventListener("keydown", (event) => {
      if (event.target !== row || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();
      select(row, false);
    });
  }
  document.addEventListener("click", (event) => {  // links to rows: select, do not jump
    const link = event.target.closest("a[data-goto], a.hit");
    if (!link) return;
    const row = byKey.get(link.dataset.goto || link.dataset.ref);
    if (!row) return;
    event.preventDefault();
    select(row, true);
    row.focus({ preventScroll: true });
  });
  for (const box of document.querySelectorAll("input[data-toggle]")) {
    box.addEventListener("change", () => {
      for (const m of marks) if (m.dataset.kind === box.dataset.toggle) m.classList.toggle("off", !box.checked);
    });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
