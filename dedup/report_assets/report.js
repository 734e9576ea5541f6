/* dedup report: renders every view from the JSON data island (id="data").
   Safety rules for this file: build the DOM with createElement/textContent only (never innerHTML, outerHTML,
   insertAdjacentHTML, document.write); attach handlers with addEventListener; set href only via setHref/extLink.
   Allowed by the page's CSP through its SHA-256 hash; it must never contain a closing script tag or an HTML
   comment opener (report.py refuses to inline it otherwise). */
(function () {
  "use strict";

  document.addEventListener("securitypolicyviolation", function (e) {
    console.error("Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI);
  });

  var PAGE_SIZE = 50;
  var PAGE_CHUNK = 1500;
  var D = null;
  var C = {};
  var state = { q: "", source: "", label: "", kind: "", copies: "", contentGroups: false };
  var tables = {};
  var caches = {};
  var view = "overview";

  /* ------------------------------------------------------------------ DOM helpers (text only) */

  function el(tag, cls, children) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (children !== undefined && children !== null) append(node, children);
    return node;
  }

  function append(node, children) {
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (typeof child === "string" || typeof child === "number") {
        node.appendChild(document.createTextNode(String(child)));
      } else {
        node.appendChild(child);
      }
    });
    return node;
  }

  function setHref(a, hash) {
    /* internal routes only: always a fragment of this document */
    a.setAttribute("href", "#" + hash);
    return a;
  }

  function link(hash, children, cls) {
    return setHref(el("a", cls, children), hash);
  }

  function route(name, params) {
    var parts = [name];
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(String(params[k])));
    });
    return parts.join("&");
  }

  function routeItem(name, value, extra) {
    var s = encodeURIComponent(name) + "=" + encodeURIComponent(String(value));
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k] !== null && extra[k] !== undefined) s += "&" + encodeURIComponent(k) + "=" + encodeURIComponent(String(extra[k]));
    });
    return s;
  }

  var CONTROL = /[\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

  function shown(text) {
    /* untrusted short text (paths, titles): invisible and direction-changing characters made visible */
    var frag = el("span", "t");
    text = text === null || text === undefined ? "" : String(text);
    var last = 0;
    text.replace(CONTROL, function (ch, at) {
      if (at > last) frag.appendChild(document.createTextNode(text.slice(last, at)));
      var code = ch.charCodeAt(0).toString(16).toUpperCase();
      while (code.length < 4) code = "0" + code;
      var mark = el("span", "ctl", "\u27e8U+" + code + "\u27e9");
      mark.title = "invisible or direction control character U+" + code;
      frag.appendChild(mark);
      last = at + ch.length;
      return ch;
    });
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

  function extLink(url) {
    /* a link only for http(s) URLs; anything else stays text */
    var parsed = null;
    try { parsed = new URL(url); } catch (err) { parsed = null; }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) return document.createTextNode(url);
    var a = el("a", "ext t", url);
    a.href = parsed.href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    return a;
  }

  function linkified(text, cls) {
    var node = el("span", cls || "t");
    text = String(text);
    var last = 0;
    text.replace(URL_RE, function (m, at) {
      var trimmed = m.replace(/[.,;:!?)\]]+$/, "");
      if (at > last) node.appendChild(shown(text.slice(last, at)));
      node.appendChild(extLink(trimmed));
      last = at + trimmed.length;
      return m;
    });
    if (last < text.length) node.appendChild(shown(text.slice(last)));
    return node;
  }

  function chip(text, extra) {
    return el("span", "chip" + (extra ? " " + extra : ""), text);
  }

  function cssToken(s) {
    return String(s || "").toLowerCase().replace(/[^a-z0-9-]/g, "_");
  }

  function labelChip(label, kind) {
    var c = chip(kind ? label + ": " + kind : label, "l-" + cssToken(label) + (kind ? " k-" + cssToken(kind) : ""));
    return c;
  }

  function lineSpan(start, end) {
    return start === end ? "line " + start : "lines " + start + "\u2013" + end;
  }

  function pct(v) {
    return v === null || v === undefined ? "\u2014" : (v * 100).toFixed(1) + "%";
  }

  function num(v, digits) {
    return v === null || v === undefined ? "\u2014" : (digits === undefined ? String(v) : Number(v).toFixed(digits));
  }

  function excerpt(text, n) {
    text = String(text || "");
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }

  /* ------------------------------------------------------------------ data access */

  function cols(name) {
    var m = {};
    D.cols[name].forEach(function (c, i) { m[c] = i; });
    return m;
  }

  function str(i) { return i === null || i === undefined || i < 0 ? null : D.strings[i]; }
  function page(p) { return D.pages[p]; }
  function occ(o) { return D.occurrences[o]; }
  function story(s) { return D.stories[s]; }
  function sourcePath(si) { return D.sources[si][C.src.path]; }
  function pagePath(p) { return sourcePath(page(p)[C.p.source]); }
  function pageRecord(p) { return page(p)[C.p.record]; }
  function pageName(p) {
    var r = pageRecord(p);
    return pagePath(p) + (r === null || r === undefined ? "" : ":" + r);
  }
  function pageEmbedded(p) { return Array.isArray(page(p)[C.p.lines]); }
  function lineText(p, n) { var ids = page(p)[C.p.lines]; return ids ? D.strings[ids[n - 1]] : null; }
  function blockText(p, start, end) {
    if (!pageEmbedded(p)) return null;
    var parts = [];
    for (var n = start; n <= end; n++) parts.push(lineText(p, n).trim());
    return parts.join(" ");
  }

  function styleInfo(s) {
    var st = D.styles[s];
    return {
      label: D.labels[st[C.st.label]], kind: st[C.st.kind] >= 0 ? D.kinds[st[C.st.kind]] : null,
      reason: st[C.st.reason] >= 0 ? D.reasons[st[C.st.reason]] : null,
      group: st[C.st.group], support: st[C.st.support]
    };
  }

  function occAt(p, line) {
    var occs = page(p)[C.p.occurrences];
    for (var i = 0; i < occs.length; i++) {
      var o = occ(occs[i]);
      if (o[C.o.start] <= line && line <= o[C.o.end]) return occs[i];
    }
    return null;
  }

  function occWhere(o) {
    var r = occ(o);
    return pageName(r[C.o.page]) + " " + lineSpan(r[C.o.start], r[C.o.end]);
  }

  function storyTitle(si) { return str(story(si)[C.s.title]); }
  function occTitle(o) { return str(occ(o)[C.o.title]); }

  function canonicalOf(si) { return story(si)[C.s.occurrences][0]; }

  function blockInfo(p, start, s) {
    /* the label shown for a block: lines of a non-canonical copy are "duplicate" */
    var info = styleInfo(s);
    info.occ = occAt(p, start);
    info.shownLabel = info.label;
    if (info.label === "content" && info.occ !== null && !occ(info.occ)[C.o.canonical]) {
      var o = occ(info.occ);
      var st = o[C.o.story];
      info.shownLabel = "duplicate";
      var sim = o[C.o.similarity] === null ? "" : ", similarity " + num(o[C.o.similarity], 3);
      info.reason = (info.kind === "title" ? "headline of " : "") + (o[C.o.match] || "near") + " copy of story \u201c" +
        (storyTitle(st) || "untitled") + "\u201d" + sim + "; canonical copy at " + occWhere(canonicalOf(st));
    }
    return info;
  }

  function forEachBlock(p, fn) {
    var b = page(p)[C.p.blocks];
    for (var i = 0; i < b.length; i += 3) fn(b[i], b[i + 1], b[i + 2]);
  }

  function groupPlaces() {
    if (!caches.groupPlaces) {
      var places = D.groups.map(function () { return []; });
      for (var p = 0; p < D.pages.length; p++) {
        forEachBlock(p, function (start, end, s) {
          var g = D.styles[s][C.st.group];
          if (g >= 0) places[g].push([p, start, end, s]);
        });
      }
      caches.groupPlaces = places;
    }
    return caches.groupPlaces;
  }

  function storyText(si) {
    /* cleaned text of a story: content blocks (not the headline) of its canonical copy, else the stored text */
    var o = occ(canonicalOf(si));
    var p = o[C.o.page];
    if (pageEmbedded(p)) {
      var paras = [];
      forEachBlock(p, function (start, end, s) {
        if (start < o[C.o.start] || start > o[C.o.end]) return;
        var info = styleInfo(s);
        if (info.label === "content" && info.kind !== "title") paras.push(blockText(p, start, end));
      });
      return paras;
    }
    var t = str(story(si)[C.s.text]);
    return t === null ? null : t.split("\n\n");
  }

  function searchText(si) {
    if (!caches.storySearch) caches.storySearch = [];
    var cached = caches.storySearch[si];
    if (cached === undefined) {
      var st = story(si);
      var parts = [str(st[C.s.title]) || "", st[C.s.cluster_id], st[C.s.doc_id] || ""];
      st[C.s.occurrences].forEach(function (o) { parts.push(occWhere(o), occTitle(o) || ""); });
      var text = storyText(si);
      if (text) parts.push(text.join(" "));
      cached = caches.storySearch[si] = parts.join("\n").toLowerCase();
    }
    return cached;
  }

  function matchesQuery(text) {
    return !state.q || String(text || "").toLowerCase().indexOf(state.q) >= 0;
  }

  function sourceIndex() { return state.source === "" ? null : Number(state.source); }

  /* ------------------------------------------------------------------ tables with sorting and paging */

  function dataTable(name, columns, rows, opts) {
    opts = opts || {};
    var t = tables[name] || (tables[name] = { sort: null, dir: 1, page: 0 });
    var wrap = el("div", "table-wrap");
    var sorted = rows;
    if (t.sort !== null && columns[t.sort]) {
      var get = columns[t.sort].get;
      var keyed = rows.map(function (r, i) { return [get(r), i, r]; });
      keyed.sort(function (a, b) {
        var x = a[0], y = b[0];
        var xn = x === null || x === undefined, yn = y === null || y === undefined;
        if (xn || yn) return xn === yn ? a[1] - b[1] : (xn ? 1 : -1);
        if (x < y) return -t.dir;
        if (x > y) return t.dir;
        return a[1] - b[1];
      });
      sorted = keyed.map(function (k) { return k[2]; });
    }
    var pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
    if (t.page >= pages) t.page = pages - 1;
    var from = t.page * PAGE_SIZE;
    var slice = sorted.slice(from, from + PAGE_SIZE);
    var count = el("p", "count", (opts.noun ? sorted.length + " " + opts.noun : sorted.length + " rows") +
      (sorted.length > PAGE_SIZE ? ", showing " + (from + 1) + "\u2013" + (from + slice.length) : ""));
    count.setAttribute("data-count", String(sorted.length));
    wrap.appendChild(count);
    var table = el("table", opts.cls || null);
    var thead = el("thead"), hr = el("tr");
    columns.forEach(function (c, i) {
      var th = el("th", c.num ? "num" : null);
      if (c.get) {
        var b = el("button", null, c.label);
        b.type = "button";
        b.title = "sort by " + c.label;
        b.addEventListener("click", function () {
          if (t.sort === i) t.dir = -t.dir; else { t.sort = i; t.dir = c.num ? -1 : 1; }
          t.page = 0;
          render();
        });
        th.appendChild(b);
        th.setAttribute("aria-sort", t.sort === i ? (t.dir > 0 ? "ascending" : "descending") : "none");
      } else {
        th.textContent = c.label;
      }
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el("tbody");
    slice.forEach(function (r) {
      var tr = el("tr");
      columns.forEach(function (c) {
        var td = el("td", c.num ? "num" : null);
        append(td, c.cell(r));
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    if (pages > 1) wrap.appendChild(pager(t, pages));
    wrap.appendChild(table);
    if (pages > 1) wrap.appendChild(pager(t, pages));
    return wrap;
  }

  function pager(t, pages) {
    var bar = el("div", "pager");
    var prev = el("button", null, "\u2190 previous");
    prev.type = "button";
    prev.disabled = t.page === 0;
    prev.addEventListener("click", function () { t.page -= 1; render(); window.scrollTo(0, 0); });
    var next = el("button", null, "next \u2192");
    next.type = "button";
    next.disabled = t.page >= pages - 1;
    next.addEventListener("click", function () { t.page += 1; render(); window.scrollTo(0, 0); });
    append(bar, [prev, "page " + (t.page + 1) + " of " + pages, next]);
    return bar;
  }

  function resetPaging() { Object.keys(tables).forEach(function (k) { tables[k].page = 0; }); }

  /* ------------------------------------------------------------------ views */

  function heading(text, sub) {
    return [el("h2", null, text), sub ? el("p", "muted", sub) : null];
  }

  function sourcesView(root) {
    append(root, heading("Sources", "Per input file. Duplicate rate: share of its articles that are not the " +
      "canonical copy of their story. Boilerplate share: boilerplate and template lines of all its lines. " +
      "Readability of its cleaned text (" + D.meta.readability + ")."));
    var si = sourceIndex();
    var rows = [];
    for (var i = 0; i < D.sources.length; i++) {
      if (si !== null && i !== si) continue;
      if (!matchesQuery(sourcePath(i))) continue;
      rows.push(i);
    }
    var r = function (k) { return function (i) { return D.sources[i][C.src[k]]; }; };
    root.appendChild(dataTable("sources", [
      { label: "Source", get: r("path"), cell: function (i) {
        return link(route("pages", { source: i }), shown(sourcePath(i)));
      } },
      { label: "Pages", num: true, get: r("pages"), cell: function (i) { return num(D.sources[i][C.src.pages]); } },
      { label: "Articles", num: true, get: r("articles"), cell: function (i) {
        return link(route("stories", { source: i }), String(D.sources[i][C.src.articles]));
      } },
      { label: "Unique stories", num: true, get: r("stories"), cell: function (i) { return num(D.sources[i][C.src.stories]); } },
      { label: "Duplicate rate", num: true, get: r("duplicate_rate"), cell: function (i) { return pct(D.sources[i][C.src.duplicate_rate]); } },
      { label: "Lines", num: true, get: r("lines"), cell: function (i) { return num(D.sources[i][C.src.lines]); } },
      { label: "Boilerplate share", num: true, get: r("boilerplate_share"), cell: function (i) { return pct(D.sources[i][C.src.boilerplate_share]); } },
      { label: "Removed share", num: true, get: r("removed_share"), cell: function (i) { return pct(D.sources[i][C.src.removed_share]); } },
      { label: "Flesch ease", num: true, get: r("flesch"), cell: function (i) { return num(D.sources[i][C.src.flesch], 1); } },
      { label: "Grade", num: true, get: r("grade"), cell: function (i) { return num(D.sources[i][C.src.grade], 1); } },
      { label: "Encoding", get: r("encoding"), cell: function (i) { return D.sources[i][C.src.encoding] || "\u2014"; } }
    ], rows, { noun: "sources", cls: "sources" }));
  }

  function storyMatches(si) {
    var occs = story(si)[C.s.occurrences];
    var src = sourceIndex();
    if (src !== null && !occs.some(function (o) { return page(occ(o)[C.o.page])[C.p.source] === src; })) return false;
    if (state.copies === "copies" && occs.length < 2) return false;
    if (state.copies === "near" && !occs.some(function (o) { return occ(o)[C.o.match] === "near"; })) return false;
    return matchesQuery(state.q ? searchText(si) : "");
  }

  function matchSummary(si) {
    var counts = {};
    story(si)[C.s.occurrences].slice(1).forEach(function (o) {
      var m = occ(o)[C.o.match] || "?";
      counts[m] = (counts[m] || 0) + 1;
    });
    var parts = Object.keys(counts).sort().map(function (k) { return counts[k] + " " + k; });
    return parts.length ? parts.join(", ") : "unique";
  }

  function minSimilarity(si) {
    var v = null;
    story(si)[C.s.occurrences].slice(1).forEach(function (o) {
      var s = occ(o)[C.o.similarity];
      if (s !== null && (v === null || s < v)) v = s;
    });
    return v;
  }

  function storiesView(root) {
    append(root, heading("Stories", "One row per story (cluster of copies); the canonical copy is kept in corpus.jsonl."));
    var bar = el("p", "filters-local");
    var sel = el("select");
    sel.setAttribute("aria-label", "copies");
    [["", "all stories"], ["copies", "with copies"], ["near", "with near copies"]].forEach(function (o) {
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      sel.appendChild(opt);
    });
    sel.value = state.copies;
    sel.addEventListener("change", function () { state.copies = sel.value; resetPaging(); render(); });
    append(bar, ["Show ", sel]);
    root.appendChild(bar);
    var rows = [];
    for (var i = 0; i < D.stories.length; i++) if (storyMatches(i)) rows.push(i);
    root.appendChild(dataTable("stories", [
      { label: "Title", get: function (i) { return (storyTitle(i) || "").toLowerCase(); }, cell: function (i) {
        return link(routeItem("story", story(i)[C.s.cluster_id]), shown(storyTitle(i) || "(untitled)"));
      } },
      { label: "Copies", num: true, get: function (i) { return story(i)[C.s.occurrences].length; }, cell: function (i) {
        return String(story(i)[C.s.occurrences].length);
      } },
      { label: "Other copies", get: matchSummary, cell: matchSummary },
      { label: "Lowest similarity", num: true, get: minSimilarity, cell: function (i) { return num(minSimilarity(i), 3); } },
      { label: "Canonical copy", get: function (i) { return occWhere(canonicalOf(i)); }, cell: function (i) {
        var o = occ(canonicalOf(i));
        return link(routeItem("page", o[C.o.page], { line: o[C.o.start], end: o[C.o.end] }), shown(occWhere(canonicalOf(i))));
      } },
      { label: "Words", num: true, get: function (i) { return occ(canonicalOf(i))[C.o.words]; }, cell: function (i) {
        return num(occ(canonicalOf(i))[C.o.words]);
      } }
    ], rows, { noun: "stories", cls: "stories" }));
  }

  function storyView(root, id, params) {
    var si = -1;
    for (var i = 0; i < D.stories.length; i++) if (D.stories[i][C.s.cluster_id] === id) { si = i; break; }
    if (si < 0) { root.appendChild(el("p", "note bad", "No story with id " + id + " in this report.")); return; }
    var st = story(si);
    root.appendChild(el("h2", "t", shown(str(st[C.s.title]) || "(untitled story)")));
    append(root, el("div", "meta", [el("span", null, ["story ", el("code", null, st[C.s.cluster_id])]),
      st[C.s.doc_id] ? el("span", null, ["corpus id ", el("code", null, st[C.s.doc_id])]) : null,
      el("span", null, st[C.s.occurrences].length + " cop" + (st[C.s.occurrences].length === 1 ? "y" : "ies"))]));
    root.appendChild(el("h3", null, "Copies"));
    var occs = st[C.s.occurrences];
    root.appendChild(dataTable("story-copies", [
      { label: "Role", cell: function (o) { return occ(o)[C.o.canonical] ? chip("canonical") : chip("copy", "l-duplicate"); } },
      { label: "Where", cell: function (o) {
        var r = occ(o);
        return link(routeItem("page", r[C.o.page], { line: r[C.o.start], end: r[C.o.end] }), shown(occWhere(o)));
      } },
      { label: "Headline", cell: function (o) { return shown(occTitle(o) || "\u2014"); } },
      { label: "Match", cell: function (o) { return occ(o)[C.o.match] || "\u2014"; } },
      { label: "Similarity", num: true, cell: function (o) { return num(occ(o)[C.o.similarity], 3); } },
      { label: "Words", num: true, cell: function (o) { return num(occ(o)[C.o.words]); } },
      { label: "Diff", cell: function (o) {
        var r = occ(o);
        if (r[C.o.diff]) return link(routeItem("story", id, { copy: r[C.o.id] }), "side by side");
        if (r[C.o.canonical]) return "\u2014";
        return r[C.o.match] === "exact" ? "identical content" : (r[C.o.diff_note] || "\u2014");
      } }
    ], occs, { noun: "copies" }));

    var near = occs.filter(function (o) { return occ(o)[C.o.diff]; });
    if (near.length) {
      var chosen = near[0];
      near.forEach(function (o) { if (occ(o)[C.o.id] === params.get("copy")) chosen = o; });
      root.appendChild(el("h3", null, "Near copy against the canonical"));
      if (near.length > 1) {
        var pick = el("p", null, "Copy: ");
        near.forEach(function (o) {
          pick.appendChild(o === chosen ? el("b", null, shown(occWhere(o))) : link(routeItem("story", id, { copy: occ(o)[C.o.id] }), shown(occWhere(o))));
          pick.appendChild(el("span", "sep", "|"));
        });
        root.appendChild(pick);
      }
      root.appendChild(diffView(canonicalOf(si), chosen));
    }

    root.appendChild(el("h3", null, "Canonical text (boilerplate removed)"));
    var paras = storyText(si);
    if (paras === null) {
      var p = occ(canonicalOf(si))[C.o.page];
      root.appendChild(el("p", "note", page(p)[C.p.note] || "The text of this story is not embedded in the report."));
    } else {
      var box = el("div", "story-text");
      paras.forEach(function (t) { box.appendChild(el("p", null, linkified(t))); });
      root.appendChild(box);
    }
  }

  function diffView(canon, copy) {
    var segs = occ(copy)[C.o.diff];
    var left = el("div"), right = el("div");
    left.appendChild(el("h4", null, ["canonical: ", shown(occWhere(canon))]));
    right.appendChild(el("h4", null, ["near copy: ", shown(occWhere(copy)), " (similarity " + num(occ(copy)[C.o.similarity], 3) + ")"]));
    function put(side, cls, text) {
      if (text === "" || text === undefined) return;
      side.appendChild(cls ? el("span", cls, shown(text)) : shown(text));
      side.appendChild(document.createTextNode(" "));
    }
    segs.forEach(function (s) {
      if (s[0] === "=") {
        if (s.length === 4) {
          [left, right].forEach(function (side) {
            put(side, null, s[1]);
            put(side, "d-skip", "\u2026 " + s[2] + " identical words \u2026");
            put(side, null, s[3]);
          });
        } else { put(left, null, s[1]); put(right, null, s[1]); }
      } else if (s[0] === "-") {
        put(left, "d-del", s[1]);
      } else if (s[0] === "+") {
        put(right, "d-ins", s[1]);
      } else {
        put(left, "d-rep", s[1]);
        put(right, "d-rep", s[2]);
      }
    });
    var legend = el("p", "legend", [el("span", "d-del", "deleted"), el("span", "d-ins", "inserted"), el("span", "d-rep", "replaced"),
      el("span", "muted", "word diff (rapidfuzz Levenshtein opcodes) of the cleaned texts")]);
    return el("div", null, [legend, el("div", "diff", [left, right])]);
  }

  function groupMatches(g) {
    var r = D.groups[g];
    var label = r[C.g.label];
    if (state.label && state.label !== label) return false;
    if (!state.label && !state.contentGroups && label === "content") return false;
    if (state.kind && r[C.g.kind] !== state.kind) return false;
    var src = sourceIndex();
    if (src !== null && !groupPlaces()[g].some(function (pl) { return page(pl[0])[C.p.source] === src; })) return false;
    return matchesQuery(str(r[C.g.representative]));
  }

  function groupsView(root) {
    append(root, heading("Boilerplate and repeated blocks", "Groups of the same paragraph or line (worded alike). Support " +
      "counts distinct stories; a block shared by two or more different stories is boilerplate."));
    var bar = el("p", "filters-local");
    var box = el("input");
    box.type = "checkbox";
    box.id = "content-groups";
    box.checked = state.contentGroups;
    box.addEventListener("change", function () { state.contentGroups = box.checked; resetPaging(); render(); });
    var lab = el("label", null, " include content groups (paragraphs repeated only by copies of one story)");
    lab.htmlFor = "content-groups";
    append(bar, [box, lab]);
    root.appendChild(bar);
    var rows = [];
    for (var g = 0; g < D.groups.length; g++) if (groupMatches(g)) rows.push(g);
    var r = function (k) { return function (g) { return D.groups[g][C.g[k]]; }; };
    root.appendChild(dataTable("groups", [
      { label: "Representative", get: function (g) { return str(D.groups[g][C.g.representative]); }, cell: function (g) {
        return link(routeItem("group", D.groups[g][C.g.group_id]), shown(excerpt(str(D.groups[g][C.g.representative]) || D.groups[g][C.g.group_id], 140)));
      } },
      { label: "Label", get: r("label"), cell: function (g) { return labelChip(D.groups[g][C.g.label] || "?", null); } },
      { label: "Kind", get: r("kind"), cell: function (g) { return D.groups[g][C.g.kind] ? chip(D.groups[g][C.g.kind], "k-" + cssToken(D.groups[g][C.g.kind])) : "\u2014"; } },
      { label: "Support", num: true, get: r("support"), cell: function (g) { return String(D.groups[g][C.g.support]); } },
      { label: "Blocks", num: true, get: r("blocks"), cell: function (g) { return String(D.groups[g][C.g.blocks]); } },
      { label: "Wordings", num: true, get: r("wordings"), cell: function (g) { return String(D.groups[g][C.g.wordings]); } },
      { label: "Sites", num: true, get: r("sites"), cell: function (g) { return String(D.groups[g][C.g.sites]); } }
    ], rows, { noun: "groups", cls: "groups" }));
  }

  function placeLink(p, line, end) {
    if (p === null || p === undefined) return "\u2014";
    return link(routeItem("page", p, { line: line, end: end || line }), shown(pageName(p) + (line ? " line " + line : "")));
  }

  function groupView(root, id) {
    var g = -1;
    for (var i = 0; i < D.groups.length; i++) if (D.groups[i][C.g.group_id] === id) { g = i; break; }
    if (g < 0) { root.appendChild(el("p", "note bad", "No group with id " + id + " in this report.")); return; }
    var r = D.groups[g];
    root.appendChild(el("h2", null, ["Group ", el("code", null, r[C.g.group_id])]));
    append(root, el("div", "meta", [labelChip(r[C.g.label] || "?", r[C.g.kind]),
      el("span", null, "support " + r[C.g.support] + " stories"), el("span", null, r[C.g.blocks] + " blocks"),
      el("span", null, r[C.g.wordings] + " wording(s)"), el("span", null, r[C.g.sites] + " site(s)"),
      el("span", null, ["first ", placeLink(r[C.g.first_page], r[C.g.first_line])]),
      el("span", null, ["last ", placeLink(r[C.g.last_page], r[C.g.last_line])])]));
    root.appendChild(el("h3", null, "Representative text"));
    root.appendChild(el("div", "rep", linkified(str(r[C.g.representative]) || "")));
    root.appendChild(el("h3", null, "Where it occurs"));
    var places = groupPlaces()[g].slice();
    root.appendChild(dataTable("group-places", [
      { label: "Where", get: function (pl) { return pageName(pl[0]) + "\u0000" + ("000000000" + pl[1]).slice(-9); }, cell: function (pl) {
        return link(routeItem("page", pl[0], { line: pl[1], end: pl[2] }), shown(pageName(pl[0]) + " " + lineSpan(pl[1], pl[2])));
      } },
      { label: "Label", cell: function (pl) { var b = blockInfo(pl[0], pl[1], pl[3]); return labelChip(b.shownLabel, b.kind); } },
      { label: "Story", cell: function (pl) {
        var o = occAt(pl[0], pl[1]);
        if (o === null) return "outside any article";
        var s = occ(o)[C.o.story];
        return link(routeItem("story", story(s)[C.s.cluster_id]), shown(storyTitle(s) || "(untitled)"));
      } },
      { label: "Text", cell: function (pl) {
        var t = blockText(pl[0], pl[1], pl[2]);
        return t === null ? el("span", "muted", "text not embedded") : shown(excerpt(t, 200));
      } }
    ], places, { noun: "blocks" }));
  }

  var SLOT_RE = /\{[^{}\s]{1,60}\}/g;

  function templateText(text) {
    var node = el("span", "t");
    var last = 0;
    String(text).replace(SLOT_RE, function (m, at) {
      if (at > last) node.appendChild(shown(text.slice(last, at)));
      node.appendChild(el("span", "tpl-slot", m));
      last = at + m.length;
      return m;
    });
    if (last < text.length) node.appendChild(shown(text.slice(last)));
    return node;
  }

  function templatesView(root) {
    append(root, heading("Templates", "Templated paragraphs: the same wording with variable slots ({SLOT})."));
    if (D.templates === null) {
      root.appendChild(el("p", "note", "This run wrote no templates.jsonl, so there is nothing to show here."));
      return;
    }
    var src = sourceIndex();
    var srcPath = src === null ? null : sourcePath(src);
    var rows = [];
    for (var i = 0; i < D.templates.length; i++) {
      var t = D.templates[i];
      if (state.kind && t[C.t.kind] !== state.kind) continue;
      if (srcPath !== null && !t[C.t.occurrences].some(function (o) { return o[3] === srcPath; })) continue;
      if (!matchesQuery(t[C.t.template])) continue;
      rows.push(i);
    }
    root.appendChild(dataTable("templates", [
      { label: "Template", get: function (i) { return D.templates[i][C.t.template]; }, cell: function (i) {
        return link(routeItem("template", D.templates[i][C.t.template_id]), templateText(excerpt(D.templates[i][C.t.template], 200)));
      } },
      { label: "Kind", get: function (i) { return D.templates[i][C.t.kind]; }, cell: function (i) { return D.templates[i][C.t.kind] || "\u2014"; } },
      { label: "Support", num: true, get: function (i) { return D.templates[i][C.t.support]; }, cell: function (i) { return String(D.templates[i][C.t.support]); } },
      { label: "Occurrences", num: true, get: function (i) { return D.templates[i][C.t.occurrences].length; }, cell: function (i) { return String(D.templates[i][C.t.occurrences].length); } }
    ], rows, { noun: "templates", cls: "templates" }));
  }

  function templateView(root, id) {
    var t = null;
    (D.templates || []).forEach(function (row) { if (row[C.t.template_id] === id) t = row; });
    if (t === null) { root.appendChild(el("p", "note bad", "No template with id " + id + " in this report.")); return; }
    root.appendChild(el("h2", null, ["Template ", el("code", null, id)]));
    append(root, el("div", "meta", [el("span", null, "kind " + (t[C.t.kind] || "\u2014")), el("span", null, "support " + t[C.t.support])]));
    root.appendChild(el("div", "rep", templateText(t[C.t.template])));
    var names = {};
    t[C.t.occurrences].forEach(function (o) { Object.keys(o[2]).forEach(function (k) { names[k] = true; }); });
    var columns = [{ label: "Where", cell: function (o) {
      var name = o[3] + (o[4] === null || o[4] === undefined ? "" : ":" + o[4]) + (o[1] ? " line " + o[1] : "");
      return o[0] === null || o[0] === undefined ? shown(name) : link(routeItem("page", o[0], { line: o[1], end: o[5] || o[1] }), shown(name));
    } }];
    Object.keys(names).sort().forEach(function (k) {
      columns.push({ label: k, get: function (o) { return o[2][k]; }, cell: function (o) { return shown(o[2][k] === undefined ? "\u2014" : o[2][k]); } });
    });
    var extras = {};
    t[C.t.occurrences].forEach(function (o) { Object.keys(o[6] || {}).forEach(function (k) { extras[k] = true; }); });
    Object.keys(extras).sort().forEach(function (k) {
      columns.push({ label: k, get: function (o) { return (o[6] || {})[k]; }, cell: function (o) {
        var v = (o[6] || {})[k];
        return el("span", "muted", shown(v === undefined ? "\u2014" : v));
      } });
    });
    root.appendChild(el("h3", null, "Occurrences and slot values"));
    root.appendChild(dataTable("template-occ", columns, t[C.t.occurrences], { noun: "occurrences" }));
  }

  function pageHas(p) {
    if (!state.label && !state.kind) return true;
    var found = false;
    forEachBlock(p, function (start, end, s) {
      if (found) return;
      var b = blockInfo(p, start, s);
      found = (!state.label || b.shownLabel === state.label) && (!state.kind || b.kind === state.kind);
    });
    return found;
  }

  function pageStats(p) {
    var total = 0, bp = 0;
    forEachBlock(p, function (start, end, s) {
      var n = end - start + 1;
      total += n;
      var l = styleInfo(s).label;
      if (l === "boilerplate" || l === "template") bp += n;
    });
    return total ? bp / total : null;
  }

  function pagesView(root) {
    append(root, heading("Pages", "Each input page (a .txt file or a JSONL record) with its lines labelled."));
    var src = sourceIndex();
    var rows = [];
    for (var p = 0; p < D.pages.length; p++) {
      if (src !== null && page(p)[C.p.source] !== src) continue;
      if (!matchesQuery(pageName(p))) continue;
      if (!pageHas(p)) continue;
      rows.push(p);
    }
    root.appendChild(dataTable("pages", [
      { label: "Page", get: function (p) { return pageName(p); }, cell: function (p) { return link(routeItem("page", p), shown(pageName(p))); } },
      { label: "Status", get: function (p) { return page(p)[C.p.status]; }, cell: function (p) {
        var s = page(p)[C.p.status];
        var c = chip(s, s === "ok" ? null : "l-unavailable");
        if (page(p)[C.p.note]) c.title = page(p)[C.p.note];
        return c;
      } },
      { label: "Lines", num: true, get: function (p) { return page(p)[C.p.line_count]; }, cell: function (p) { return String(page(p)[C.p.line_count]); } },
      { label: "Articles", num: true, get: function (p) { return page(p)[C.p.occurrences].length; }, cell: function (p) { return String(page(p)[C.p.occurrences].length); } },
      { label: "Boilerplate share", num: true, get: pageStats, cell: function (p) { return pct(pageStats(p)); } }
    ], rows, { noun: "pages", cls: "pages" }));
  }

  function legend(labels) {
    var box = el("div", "legend");
    labels.forEach(function (l) { box.appendChild(labelChip(l[0], l[1])); });
    return box;
  }

  function pageView(root, p, params) {
    if (!(p >= 0 && p < D.pages.length)) { root.appendChild(el("p", "note bad", "No such page in this report.")); return; }
    var row = page(p);
    var target = Number(params.get("line")) || 0;
    var targetEnd = Number(params.get("end")) || target;
    root.appendChild(el("h2", null, shown(pageName(p))));
    append(root, el("div", "meta", [el("span", null, row[C.p.line_count] + " lines"), el("span", null, "status " + row[C.p.status]),
      link(route("sources", { source: row[C.p.source] }), "source statistics")]));
    if (row[C.p.note]) root.appendChild(el("p", "note" + (row[C.p.status] === "omitted" ? "" : " bad"), row[C.p.note]));
    var occs = row[C.p.occurrences];
    if (occs.length) {
      root.appendChild(el("h3", null, "Articles on this page"));
      var list = el("ul");
      occs.forEach(function (o) {
        var r = occ(o), s = r[C.o.story];
        list.appendChild(el("li", null, [
          link(routeItem("page", p, { line: r[C.o.start], end: r[C.o.end] }), lineSpan(r[C.o.start], r[C.o.end])), " ",
          r[C.o.canonical] ? chip("canonical") : chip((r[C.o.match] || "near") + " copy", "l-duplicate"), " ",
          link(routeItem("story", story(s)[C.s.cluster_id]), shown(storyTitle(s) || str(r[C.o.title]) || "(untitled)"))]));
      });
      root.appendChild(list);
    }
    var seen = {}, labels = [];
    forEachBlock(p, function (start, end, s) {
      var b = blockInfo(p, start, s);
      var key = b.shownLabel + "\u0000" + (b.kind || "");
      if (!seen[key]) { seen[key] = true; labels.push([b.shownLabel, b.kind]); }
    });
    root.appendChild(legend(labels));
    var grid = el("div", "page");
    var embedded = pageEmbedded(p);
    var byLine = {};
    forEachBlock(p, function (start, end, s) { for (var n = start; n <= end; n++) byLine[n] = [start, end, s]; });
    var total = row[C.p.line_count];
    var limit = Math.max(PAGE_CHUNK, targetEnd + 50);
    var shownTo = Math.min(total, limit);
    var targetNode = null;
    function addLines(from, to) {
      for (var n = from; n <= to; n++) {
        var blk = byLine[n];
        var info = blk ? blockInfo(p, blk[0], blk[2]) : null;
        var cls = info ? " l-" + cssToken(info.shownLabel) + (info.kind && info.shownLabel !== "content" ? " k-" + cssToken(info.kind) : "") +
          (info.kind === "title" ? " title" : "") : "";
        if (target && n >= target && n <= targetEnd) cls += " hl";
        var ln = el("div", "ln" + cls);
        ln.id = "L" + n;
        ln.appendChild(link(routeItem("page", p, { line: n }), String(n)));
        var text = embedded ? lineText(p, n) : (blk && n === blk[0] ? "" : null);
        var tx = el("div", "tx" + cls);
        if (embedded) tx.appendChild(linkified(text));
        else if (blk && n === blk[0]) tx.appendChild(el("span", "muted", "(text not embedded)"));
        var why = el("div", "why" + cls);
        if (info) {
          var tip = info.shownLabel + (info.kind ? " (" + info.kind + ")" : "") + (info.reason ? ": " + info.reason : "");
          ln.title = tip; tx.title = tip; why.title = tip;
          if (n === blk[0]) {
            if (info.shownLabel !== "content" || info.kind) why.appendChild(labelChip(info.shownLabel, info.kind));
            if (info.reason) append(why, [" ", shown(info.reason), " "]);
            if (info.group >= 0 && info.shownLabel !== "content") why.appendChild(link(routeItem("group", D.groups[info.group][C.g.group_id]), "group"));
            if (info.occ !== null && (info.kind === "title" || info.shownLabel === "duplicate-title")) {
              why.appendChild(link(routeItem("story", story(occ(info.occ)[C.o.story])[C.s.cluster_id]), "story"));
            }
          }
        }
        if (target && n === target) targetNode = ln;
        append(grid, [ln, tx, why]);
      }
    }
    addLines(1, shownTo);
    root.appendChild(grid);
    if (shownTo < total) {
      var more = el("button", "btn", "show the remaining " + (total - shownTo) + " lines");
      more.type = "button";
      more.addEventListener("click", function () { more.remove(); addLines(shownTo + 1, total); });
      root.appendChild(more);
    }
    if (targetNode) setTimeout(function () { targetNode.scrollIntoView({ block: "center" }); }, 0);
  }

  function linesView(root) {
    append(root, heading("Lines", "Every block (paragraph or line group) of every page with its label, kind and reason. " +
      "Use the label and kind filters above."));
    var src = sourceIndex();
    var rows = [];
    for (var p = 0; p < D.pages.length; p++) {
      if (src !== null && page(p)[C.p.source] !== src) continue;
      forEachBlock(p, function (start, end, s) {
        var b = null;
        if (state.label || state.kind) {
          b = blockInfo(p, start, s);
          if (state.label && b.shownLabel !== state.label) return;
          if (state.kind && b.kind !== state.kind) return;
        }
        if (state.q && !matchesQuery(blockText(p, start, end))) return;
        rows.push([p, start, end, s]);
      });
    }
    root.appendChild(dataTable("lines", [
      { label: "Where", cell: function (r) {
        return link(routeItem("page", r[0], { line: r[1], end: r[2] }), shown(pageName(r[0]) + " " + lineSpan(r[1], r[2])));
      } },
      { label: "Label", cell: function (r) { var b = blockInfo(r[0], r[1], r[3]); return labelChip(b.shownLabel, b.kind); } },
      { label: "Reason", cell: function (r) { var b = blockInfo(r[0], r[1], r[3]); return shown(b.reason || "\u2014"); } },
      { label: "Text", cell: function (r) {
        var t = blockText(r[0], r[1], r[2]);
        return t === null ? el("span", "muted", "text not embedded") : shown(excerpt(t, 200));
      } }
    ], rows, { noun: "blocks", cls: "lines" }));
  }

  function paramsPanel() {
    var box = document.getElementById("params");
    if (!box || box.childNodes.length) return;
    function dl(title, obj) {
      var d = el("dl");
      d.appendChild(el("dt", null, title));
      Object.keys(obj || {}).sort().forEach(function (k) {
        var v = obj[k];
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          Object.keys(v).sort().forEach(function (k2) { d.appendChild(el("dd", null, shown(k + "." + k2 + " = " + JSON.stringify(v[k2])))); });
        } else {
          d.appendChild(el("dd", null, shown(k + " = " + JSON.stringify(v))));
        }
      });
      return d;
    }
    append(box, [dl("config", D.meta.config), dl("versions", D.meta.versions), dl("counts (summary.json)", D.meta.counts)]);
  }

  /* ------------------------------------------------------------------ router and filters */

  var FILTERS = {
    overview: [], sources: ["q", "source"], stories: ["q", "source"], groups: ["q", "source", "label", "kind"],
    templates: ["q", "source", "kind"], pages: ["q", "source", "label", "kind"], lines: ["q", "source", "label", "kind"]
  };
  var CONTROLS = { q: "q", source: "f-source", label: "f-label", kind: "f-kind" };

  function render() {
    var params = new URLSearchParams(location.hash.slice(1));
    var first = (location.hash.slice(1).split("&")[0] || "overview").split("=")[0];
    var name = decodeURIComponent(first);
    if (params.has("source")) {
      state.source = params.get("source");
      document.getElementById("f-source").value = state.source;
    }
    var known = ["overview", "sources", "stories", "story", "groups", "group", "templates", "template", "pages", "page", "lines"];
    if (known.indexOf(name) < 0) name = "overview";
    view = name;
    var list = { story: "stories", group: "groups", template: "templates", page: "pages" }[name] || name;
    Array.prototype.forEach.call(document.querySelectorAll("nav a[data-view]"), function (a) {
      a.classList.toggle("active", a.getAttribute("data-view") === list);
    });
    var enabled = FILTERS[name] || ["q"];
    Object.keys(CONTROLS).forEach(function (k) {
      document.getElementById(CONTROLS[k]).disabled = !(enabled.indexOf(k) >= 0 || k === "q");
    });
    var overviewNode = document.getElementById("view-overview");
    var app = document.getElementById("view-app");
    if (name === "overview") {
      overviewNode.hidden = false;
      app.hidden = true;
      paramsPanel();
      return;
    }
    overviewNode.hidden = true;
    app.hidden = false;
    app.replaceChildren();
    if (name === "sources") sourcesView(app);
    else if (name === "stories") storiesView(app);
    else if (name === "story") storyView(app, params.get("story"), params);
    else if (name === "groups") groupsView(app);
    else if (name === "group") groupView(app, params.get("group"));
    else if (name === "templates") templatesView(app);
    else if (name === "template") templateView(app, params.get("template"));
    else if (name === "pages") pagesView(app);
    else if (name === "page") pageView(app, Number(params.get("page")), params);
    else if (name === "lines") linesView(app);
  }

  function fillSelect(id, values, labelOf) {
    var sel = document.getElementById(id);
    values.forEach(function (v) {
      var opt = el("option", null, labelOf ? labelOf(v) : String(v));
      opt.value = String(v);
      sel.appendChild(opt);
    });
  }

  function setupFilters() {
    fillSelect("f-source", D.sources.map(function (_, i) { return i; }), function (i) { return excerpt(sourcePath(i), 60).replace(CONTROL, "\ufffd"); });
    var labels = D.labels.slice();
    if (labels.indexOf("duplicate") < 0) labels.push("duplicate");
    fillSelect("f-label", labels);
    fillSelect("f-kind", D.kinds.slice().sort());
    var timer = null;
    var q = document.getElementById("q");
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        state.q = q.value.trim().toLowerCase();
        resetPaging();
        if (["overview", "story", "group", "template", "page"].indexOf(view) >= 0 && state.q) location.hash = "stories";
        else render();
      }, 150);
    });
    [["f-source", "source"], ["f-label", "label"], ["f-kind", "kind"]].forEach(function (pair) {
      var sel = document.getElementById(pair[0]);
      sel.addEventListener("change", function () {
        state[pair[1]] = sel.value;
        resetPaging();
        if (pair[1] === "source" && new URLSearchParams(location.hash.slice(1)).has("source")) {
          location.hash = (location.hash.slice(1).split("&")[0] || "stories");
        } else {
          render();
        }
      });
    });
    document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  }

  function init() {
    D = JSON.parse(document.getElementById("data").textContent);
    C.p = cols("pages"); C.o = cols("occurrences"); C.s = cols("stories"); C.st = cols("styles");
    C.g = cols("groups"); C.t = cols("templates"); C.src = cols("sources");
    setupFilters();
    window.addEventListener("hashchange", render);
    render();
    document.documentElement.setAttribute("data-ready", "1");
    if (window.performance && performance.mark) performance.mark("dedup-ready");
  }

  /* parse the data after the server-rendered overview has painted */
  setTimeout(init, 0);
})();
