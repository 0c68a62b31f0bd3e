/* The drill-down of report.html and compare.html. Every text from the run (case ids, prompts,
   outputs, reasons, names) is inserted with textContent or as an option's text, never as
   HTML. Only the rows of the current page are in the DOM; filters work on typed arrays built
   once. The data is two JSON blocks (gzipped in base64 when large): the table's columns, read
   at load, and the long texts, read on first use (open a case, search, filter by
   expectation). */
(function () {
  'use strict';
  function unpack(id) {
    var block = document.getElementById(id);
    if (block.dataset.encoding === 'json') return Promise.resolve(JSON.parse(block.textContent));
    var bin = atob(block.textContent), bytes = new Uint8Array(bin.length);
    for (var b = 0; b < bin.length; b++) bytes[b] = bin.charCodeAt(b);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }
  unpack('report-data').then(main).catch(function (err) {
    document.getElementById('count').textContent = 'This browser could not read the report data: ' + err;
    throw err;
  });

function main(D) {
  var A = D.A, NA = A.length, C = D.C, R = D.R, NC = C.id.length, NR = R.c.length;
  var textsLoaded = false, textsPending = null;
  function withTexts(then) {
    if (textsLoaded) return then();
    if (!textsPending) {
      textsPending = unpack('report-text').then(function (T) {
        C.p = T.C.p; R.x = T.R.x; R.e = T.R.e; R.m = T.R.m; R.p = T.R.p;
        textsLoaded = true;
      });
    }
    textsPending.then(then);
  }
  var WORDS = ['✓ pass', '✗ fail', '⚠ error', '? ungraded', '— not run'];

  // Records per case (counting sort), then per (case, adapter): status, flaky, mean timings.
  var start = new Int32Array(NC + 1), byCase = new Int32Array(NR), i, j;
  for (i = 0; i < NR; i++) start[R.c[i] + 1]++;
  for (i = 0; i < NC; i++) start[i + 1] += start[i];
  var fill = start.slice(0, NC);
  for (i = 0; i < NR; i++) byCase[fill[R.c[i]]++] = i;
  var ST = new Uint8Array(NC * NA).fill(4), FL = new Uint8Array(NC * NA), PASSES = new Int32Array(NC * NA), GRADED = new Int32Array(NC * NA);
  var LAT = new Float64Array(NC * NA).fill(NaN), TTFT = new Float64Array(NC * NA).fill(NaN);
  var DIFF = new Uint8Array(NC), FLAKY = new Uint8Array(NC);
  (function () {
    var sumL = new Float64Array(NC * NA), nL = new Int32Array(NC * NA), sumF = new Float64Array(NC * NA), nF = new Int32Array(NC * NA);
    var err = new Uint8Array(NC * NA), miss = new Uint8Array(NC * NA);
    for (var r = 0; r < NR; r++) {
      var k = R.c[r] * NA + R.a[r], o = R.o[r];
      if (o === 3) miss[k] = 1; else { GRADED[k]++; if (o === 0) PASSES[k]++; if (o === 2) err[k] = 1; }
      if (R.l[r] !== null) { sumL[k] += R.l[r]; nL[k]++; }
      if (R.f[r] !== null) { sumF[k] += R.f[r]; nF[k]++; }
    }
    for (var c = 0; c < NC; c++) {
      var first = -1;
      for (var a = 0; a < NA; a++) {
        var q = c * NA + a;
        if (GRADED[q]) ST[q] = PASSES[q] === GRADED[q] ? 0 : err[q] ? 2 : 1; else if (miss[q]) ST[q] = 3;
        if (GRADED[q] > 1 && PASSES[q] > 0 && PASSES[q] < GRADED[q]) { FL[q] = 1; FLAKY[c] = 1; }
        if (nL[q]) LAT[q] = sumL[q] / nL[q];
        if (nF[q]) TTFT[q] = sumF[q] / nF[q];
        var s = ST[q] === 2 ? 1 : ST[q];
        if (s < 3) { if (first < 0) first = s; else if (s !== first) DIFF[c] = 1; }
      }
    }
  })();
  var caseIndex = new Map();
  for (i = 0; i < NC; i++) caseIndex.set(C.id[i], i);

  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function opt(select, value, text) { var o = el('option', null, text); o.value = value; select.appendChild(o); }
  function ms(v) { return isNaN(v) ? '—' : v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en'); }
  function statusText(q) {
    var t = WORDS[ST[q]];
    if (GRADED[q] > 1) t += ' ' + PASSES[q] + '/' + GRADED[q];
    return t;
  }

  A.forEach(function (name, a) { opt($('f-adapter'), String(a), name); });
  D.T.forEach(function (name, t) { opt($('f-tag'), String(t), name); });
  D.E.forEach(function (name, e) { opt($('f-exp'), String(e), name); });
  if (D.mode === 'compare') { $('f-outcome').closest('label').hidden = true; }

  // Columns: case, prompt, tags, then per adapter result, latency, TTFT.
  var cols = [{ key: 'id', label: 'Case' }];
  if (D.mode !== 'compare') cols.push({ key: 'prompt', label: 'Prompt', cls: 'hide-sm' });
  if (D.T.length) cols.push({ key: 'tags', label: 'Tags', cls: 'hide-sm' });
  A.forEach(function (name, a) { cols.push({ key: 'st', a: a, label: name }); });
  if (D.mode !== 'compare') {
    A.forEach(function (name, a) { cols.push({ key: 'lat', a: a, label: name + ' latency (ms)', cls: 'hide-sm' }); });
    A.forEach(function (name, a) { cols.push({ key: 'ttft', a: a, label: name + ' TTFT (ms)', cls: 'hide-sm' }); });
  }
  var sortCol = 0, sortDir = 1, page = 0, view = new Int32Array(0), open = new Set(), hay = null;
  cols.forEach(function (col, n) {
    var th = el('th', col.cls, col.label);
    th.scope = 'col';
    th.tabIndex = 0;
    th.setAttribute('aria-sort', n === 0 ? 'ascending' : 'none');
    var go = function () { sortDir = sortCol === n ? -sortDir : 1; sortCol = n; page = 0; apply(); };
    th.addEventListener('click', go);
    th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
    $('cases-head').appendChild(th);
  });

  function haystack() {
    if (hay) return hay;
    hay = new Array(NC);
    for (var c = 0; c < NC; c++) {
      var parts = [C.id[c], C.p[c]];
      for (var p = start[c]; p < start[c + 1]; p++) {
        var r = byCase[p];
        if (R.x[r]) parts.push(R.x[r]);
        if (R.p[r]) parts.push(R.p[r]);
        if (R.e[r]) parts.push(R.e[r]);
        var m = R.m[r];
        for (var z = 0; z < m.length; z++) if (m[z][3]) parts.push(m[z][3]);
      }
      hay[c] = parts.join('\n').toLowerCase();
    }
    return hay;
  }
  var expFail = new Map();
  function failedExp(e) {
    if (expFail.has(e)) return expFail.get(e);
    var bits = new Uint8Array(NC * NA);
    for (var r = 0; r < NR; r++) {
      var m = R.m[r];
      for (var z = 0; z < m.length; z++) if (m[z][0] === e && !m[z][1]) bits[R.c[r] * NA + R.a[r]] = 1;
    }
    expFail.set(e, bits);
    return bits;
  }
  function keep(c, a, outcome, tag, exp, words) {
    if (tag >= 0 && C.g[c].indexOf(tag) < 0) return false;
    var lo = a >= 0 ? a : 0, hi = a >= 0 ? a + 1 : NA, b;
    if (outcome === 'differs' && !DIFF[c]) return false;
    if (outcome === 'flaky') { for (b = lo; b < hi && !FL[c * NA + b]; b++); if (b === hi) return false; }
    if (outcome === 'passed') { for (b = lo; b < hi; b++) if (ST[c * NA + b] !== 0 && ST[c * NA + b] !== 4) return false; }
    if (outcome === 'failed') { for (b = lo; b < hi && ST[c * NA + b] !== 1 && ST[c * NA + b] !== 2; b++); if (b === hi) return false; }
    if (outcome === 'errored') { for (b = lo; b < hi && ST[c * NA + b] !== 2; b++); if (b === hi) return false; }
    if (a >= 0 && ST[c * NA + a] === 4) return false;
    if (exp) { for (b = lo; b < hi && !exp[c * NA + b]; b++); if (b === hi) return false; }
    if (words) { var h = hay[c]; for (b = 0; b < words.length; b++) if (h.indexOf(words[b]) < 0) return false; }
    return true;
  }
  function sortKey(col) {
    if (col.key === 'id' || col.key === 'prompt' || col.key === 'tags') return null;
    var src = col.key === 'st' ? ST : col.key === 'lat' ? LAT : TTFT, a = col.a;
    return function (c) { var v = src[c * NA + a]; return v !== v ? Infinity : v; };
  }
  function apply() {
    var text = $('f-text').value.trim().toLowerCase(), words = text ? text.split(/\s+/) : null;
    if ((words || $('f-exp').value !== '') && !textsLoaded) {
      $('count').textContent = 'Reading the texts…';
      return withTexts(apply);
    }
    if (words) haystack();
    var a = $('f-adapter').value === '' ? -1 : +$('f-adapter').value;
    var tag = $('f-tag').value === '' ? -1 : +$('f-tag').value;
    var exp = $('f-exp').value === '' ? null : failedExp(+$('f-exp').value);
    var outcome = $('f-outcome').value, out = new Int32Array(NC), n = 0;
    for (var c = 0; c < NC; c++) if (keep(c, a, outcome, tag, exp, words)) out[n++] = c;
    view = out.subarray(0, n);
    var col = cols[sortCol], key = sortKey(col), dir = sortDir;
    if (key) {
      var vals = new Float64Array(NC);
      for (var z = 0; z < n; z++) vals[view[z]] = key(view[z]);
      view.sort(function (x, y) { var d = vals[x] - vals[y]; return (d > 0 ? 1 : d < 0 ? -1 : x - y) * (d === 0 ? 1 : dir); });
    } else if (col.key === 'prompt') {
      view.sort(function (x, y) { return (C.q[x] < C.q[y] ? -1 : C.q[x] > C.q[y] ? 1 : x - y) * dir; });
    } else if (col.key === 'tags') {
      view.sort(function (x, y) { return (C.g[x].length - C.g[y].length || x - y) * dir; });
    } else if (dir < 0) {
      view.reverse();
    }
    Array.prototype.forEach.call($('cases-head').children, function (th, k) {
      th.setAttribute('aria-sort', k === sortCol ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
    render();
  }
  function size() { return +$('f-size').value; }
  function render() {
    if (open.size && !textsLoaded) return withTexts(render);
    var body = $('cases-body'), per = size(), pages = Math.max(1, Math.ceil(view.length / per));
    if (page >= pages) page = pages - 1;
    var from = page * per, to = Math.min(view.length, from + per), frag = document.createDocumentFragment();
    for (var z = from; z < to; z++) {
      var c = view[z], tr = el('tr', 'row');
      tr.dataset.c = String(c);
      tr.tabIndex = 0;
      tr.setAttribute('aria-expanded', open.has(c) ? 'true' : 'false');
      if (open.has(c)) tr.classList.add('open');
      cols.forEach(function (col) {
        var td, q = c * NA + col.a;
        if (col.key === 'id') td = el('td', null, C.id[c]);
        else if (col.key === 'prompt') td = el('td', 'prompt hide-sm', C.q[c]);
        else if (col.key === 'tags') td = el('td', 'hide-sm', C.g[c].map(function (t) { return D.T[t]; }).join(', '));
        else if (col.key === 'st') td = el('td', 'o-' + ST[q], statusText(q));
        else td = el('td', 'num hide-sm', ms(col.key === 'lat' ? LAT[q] : TTFT[q]));
        tr.appendChild(td);
      });
      frag.appendChild(tr);
      if (open.has(c)) frag.appendChild(detailRow(c));
    }
    body.replaceChildren(frag);
    var total = view.length.toLocaleString('en');
    $('count').textContent = view.length ? 'Showing ' + (from + 1).toLocaleString('en') + '–' + to.toLocaleString('en') + ' of ' + total + ' cases' + (view.length < NC ? ' (filtered from ' + NC.toLocaleString('en') + ')' : '') : 'No case matches these filters (' + NC.toLocaleString('en') + ' cases in all).';
    $('page').textContent = 'Page ' + (page + 1) + ' of ' + pages;
    $('prev').disabled = page === 0;
    $('next').disabled = page >= pages - 1;
  }
  function detailRow(c) {
    var tr = el('tr', 'detail'), td = el('td');
    td.colSpan = cols.length;
    tr.appendChild(td);
    var head = el('div', 'case-head');
    head.appendChild(el('strong', null, C.id[c]));
    var link = el('a', null, 'link to this case');
    link.href = '#case=' + encodeURIComponent(C.id[c]);
    head.appendChild(link);
    if (C.g[c].length) head.appendChild(el('span', 'muted', 'tags: ' + C.g[c].map(function (t) { return D.T[t]; }).join(', ')));
    td.appendChild(head);
    if (C.p[c]) { td.appendChild(el('div', 'muted', 'Prompt')); td.appendChild(el('pre', 'prompt-text', C.p[c])); }
    var sides = el('div', 'sides');
    for (var a = 0; a < NA; a++) {
      var side = el('div', 'side'), q = c * NA + a;
      side.appendChild(el('h4', null, A[a] + ': ' + statusText(q)));
      for (var p = start[c]; p < start[c + 1]; p++) {
        var r = byCase[p];
        if (R.a[r] === a) side.appendChild(repeatBox(r));
      }
      if (ST[q] === 4) side.appendChild(el('p', 'muted', 'Not run by this adapter.'));
      sides.appendChild(side);
    }
    td.appendChild(sides);
    return tr;
  }
  function repeatBox(r) {
    var box = el('div', 'rep'), facts = [WORDS[R.o[r]]];
    if (D.mode !== 'compare') facts.push('repeat ' + (R.k[r] + 1));
    if (R.l[r] !== null) facts.push('latency ' + ms(R.l[r]) + ' ms');
    if (R.f[r] !== null) facts.push('TTFT ' + ms(R.f[r]) + ' ms' + (R.u[r] ? ' (emulated: whole reply in one chunk)' : ''));
    if (R.t[r] !== null) facts.push(R.t[r] + ' tokens/s');
    if (R.n[r] > 1) facts.push(R.n[r] + ' attempts');
    box.appendChild(el('div', 'o-' + R.o[r] + '-text', facts.join(' · ')));
    if (R.p[r] !== null) { box.appendChild(el('div', 'muted', 'Prompt sent to this adapter')); box.appendChild(el('pre', 'prompt-text', R.p[r])); }
    if (R.e[r]) box.appendChild(el('div', 'err', R.e[r]));
    box.appendChild(R.x[r] === null ? el('p', 'muted', '(no output)') : el('pre', 'output', R.x[r]));
    var m = R.m[r];
    if (m.length) {
      var ul = el('ul', 'exps');
      m.forEach(function (x) {
        var text = (x[1] ? '✓ ' : '✗ ') + D.E[x[0]] + (x[1] ? ' passed' : ' failed') + (x[2] !== null ? ' (score ' + x[2] + ')' : '') + (x[3] ? ': ' + x[3] : '');
        ul.appendChild(el('li', x[1] ? 'o-0' : 'o-1', text));
      });
      box.appendChild(ul);
    }
    return box;
  }
  function toggle(c) {
    if (open.has(c)) open.delete(c); else { open.add(c); history.replaceState(null, '', '#case=' + encodeURIComponent(C.id[c])); }
    render();
  }
  $('cases-body').addEventListener('click', function (ev) {
    if (ev.target.closest('a')) return;
    var tr = ev.target.closest('tr.row');
    if (tr) toggle(+tr.dataset.c);
  });
  $('cases-body').addEventListener('keydown', function (ev) {
    var tr = ev.target.closest('tr.row');
    if (tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); toggle(+tr.dataset.c); }
  });
  var timer = 0;
  $('f-text').addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { page = 0; apply(); }, 150); });
  ['f-adapter', 'f-tag', 'f-outcome', 'f-exp'].forEach(function (id) { $(id).addEventListener('change', function () { page = 0; apply(); }); });
  $('f-size').addEventListener('change', function () { page = 0; render(); });
  $('prev').addEventListener('click', function () { page--; render(); });
  $('next').addEventListener('click', function () { page++; render(); });

  function openFromHash() {
    if (/^#case=/.test(location.hash)) withTexts(openCase);
  }
  function openCase() {
    var m = /^#case=(.*)$/.exec(location.hash);
    if (!m) return;
    var id;
    try { id = decodeURIComponent(m[1]); } catch (e) { return; }
    var c = caseIndex.get(id);
    if (c === undefined) { $('count').textContent = 'No case with id ' + JSON.stringify(id) + ' in this report.'; return; }
    var pos = view.indexOf(c);
    if (pos < 0) {
      $('f-text').value = ''; ['f-adapter', 'f-tag', 'f-outcome', 'f-exp'].forEach(function (x) { $(x).value = ''; });
      apply();
      pos = view.indexOf(c);
    }
    open.add(c);
    page = Math.floor(pos / size());
    render();
    var row = document.querySelector('tr.row[data-c="' + c + '"]');
    if (row) { row.scrollIntoView({ block: 'start' }); row.focus({ preventScroll: true }); }
  }
  window.addEventListener('hashchange', openFromHash);
  function ready() {
    performance.mark('report-ready');
    document.documentElement.dataset.ready = '1';
  }
  apply();
  if (/^#case=/.test(location.hash)) withTexts(function () { openCase(); ready(); }); else ready();
}
})();
