/* evalgraph dashboard: view switching and the sample browser. Vanilla JS, no network. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Views: one section at a time, selected by the URL hash.
  var views = Array.prototype.slice.call(document.querySelectorAll('section.view'));
  var links = Array.prototype.slice.call(document.querySelectorAll('nav a[data-view]'));
  function show(id) {
    if (!views.some(function (v) { return v.getAttribute('data-view') === id; })) id = 'overview';
    views.forEach(function (v) { v.classList.toggle('active', v.getAttribute('data-view') === id); });
    links.forEach(function (a) { a.classList.toggle('active', a.getAttribute('data-view') === id); });
  }
  window.addEventListener('hashchange', function () { show(location.hash.slice(1)); });
  show(location.hash.slice(1));

  // Sample browser.
  var data = JSON.parse(document.getElementById('evalgraph-samples').textContent);
  var col = {};
  data.columns.forEach(function (c, i) { col[c] = i; });
  var S = data.strings;
  var rows = data.rows.map(function (r, i) {
    var cell = data.cells[r[col.cell]];
    return {
      i: i, cell: cell.key, variant: cell.variant, dataset: cell.dataset, id: r[col.id], sample_index: r[col.sample_index],
      outcome: r[col.outcome], score: r[col.score], prompt_tokens: r[col.prompt_tokens], completion_tokens: r[col.completion_tokens],
      latency_ms: r[col.latency_ms], raw: r, hay: null
    };
  });
  var text = function (ref) { return ref < 0 ? null : S[ref]; };
  var $ = function (id) { return document.getElementById(id); };
  var tbody = document.querySelector('#sb-table tbody');
  var state = { q: '', variant: '', dataset: '', outcome: '', sort: null, dir: 1, page: 0, selected: -1 };
  var PAGE = 50;

  function fill(select, values) {
    values.forEach(function (v) {
      var o = document.createElement('option');
      o.value = v; o.textContent = v;
      select.appendChild(o);
    });
  }
  function uniq(key) {
    var seen = {}; var out = [];
    rows.forEach(function (r) { if (!seen[r[key]]) { seen[r[key]] = true; out.push(r[key]); } });
    return out;
  }
  fill($('sb-variant'), uniq('variant'));
  fill($('sb-dataset'), uniq('dataset'));
  fill($('sb-outcome'), uniq('outcome').sort());

  function matches(r) {
    if (state.variant && r.variant !== state.variant) return false;
    if (state.dataset && r.dataset !== state.dataset) return false;
    if (state.outcome && r.outcome !== state.outcome) return false;
    if (state.q) {
      if (r.hay === null) r.hay = [r.id, text(r.raw[col.prompt]) || '', text(r.raw[col.response]) || ''].join('\n').toLowerCase();
      if (r.hay.indexOf(state.q) < 0) return false;
    }
    return true;
  }
  function compare(a, b) {
    var x = a[state.sort], y = b[state.sort];
    var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return c * state.dir || a.i - b.i;
  }
  function cellTd(tr, value, numeric) {
    var td = document.createElement('td');
    td.textContent = value;
    if (numeric) td.className = 'num';
    tr.appendChild(td);
  }
  function render() {
    var list = rows.filter(matches);
    if (state.sort) list.sort(compare);
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * PAGE;
    tbody.textContent = '';
    list.slice(start, start + PAGE).forEach(function (r) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-row', String(r.i));
      if (r.i === state.selected) tr.className = 'selected';
      cellTd(tr, r.cell);
      cellTd(tr, r.sample_index ? r.id + ' #' + r.sample_index : r.id);
      cellTd(tr, r.outcome);
      cellTd(tr, String(Math.round(r.score * 1000) / 1000), true);
      cellTd(tr, String(r.completion_tokens), true);
      cellTd(tr, String(Math.round(r.latency_ms)), true);
      tbody.appendChild(tr);
    });
    $('sb-count').textContent = list.length + ' of ' + rows.length + ' embedded samples match';
    $('sb-page').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
    $('sb-prev').disabled = state.page === 0;
    $('sb-next').disabled = state.page >= pages - 1;
    Array.prototype.forEach.call(document.querySelectorAll('#sb-table th[data-sort]'), function (th) {
      var k = th.getAttribute('data-sort');
      if (k === state.sort) th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
  }
  function block(parent, title, body) {
    if (body === null || body === undefined) return;
    var h = document.createElement('h4');
    h.textContent = title;
    var pre = document.createElement('pre');
    pre.textContent = body;
    parent.appendChild(h);
    parent.appendChild(pre);
  }
  function openRow(r) {
    state.selected = r.i;
    var d = $('sb-detail-body');
    d.textContent = '';
    var h = document.createElement('h3');
    h.id = 'sb-detail-title';
    h.textContent = r.cell + ' · ' + r.id + (r.sample_index ? ' #' + r.sample_index : '');
    d.appendChild(h);
    var p = document.createElement('p');
    p.className = 'note';
    p.textContent = 'outcome ' + r.outcome + ' · score ' + r.score + ' · ' + r.prompt_tokens + ' prompt + ' + r.completion_tokens + ' completion tokens · ' + r.latency_ms + ' ms';
    d.appendChild(p);
    block(d, 'Prompt', text(r.raw[col.prompt]));
    block(d, 'Reasoning', text(r.raw[col.reasoning]));
    block(d, 'Response', text(r.raw[col.response]));
    block(d, 'Extracted answer', text(r.raw[col.extracted]));
    block(d, 'Target', text(r.raw[col.target]));
    $('sb-detail').hidden = false;
    $('sb-detail').scrollTop = 0;
    render();
  }
  function closeDetail() { $('sb-detail').hidden = true; }
  $('sb-close').addEventListener('click', closeDetail);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeDetail(); });

  tbody.addEventListener('click', function (e) {
    var tr = e.target.closest('tr[data-row]');
    if (tr) openRow(rows[Number(tr.getAttribute('data-row'))]);
  });
  document.querySelector('#sb-table thead').addEventListener('click', function (e) {
    var th = e.target.closest('th[data-sort]');
    if (!th) return;
    var k = th.getAttribute('data-sort');
    if (state.sort === k) state.dir = -state.dir; else { state.sort = k; state.dir = 1; }
    render();
  });
  $('sb-search').addEventListener('input', function (e) { state.q = e.target.value.trim().toLowerCase(); state.page = 0; render(); });
  ['variant', 'dataset', 'outcome'].forEach(function (k) {
    $('sb-' + k).addEventListener('change', function (e) { state[k] = e.target.value; state.page = 0; render(); });
  });
  $('sb-prev').addEventListener('click', function () { state.page--; render(); });
  $('sb-next').addEventListener('click', function () { state.page++; render(); });

  // "Open" links from the disagreement / longest / slowest lists jump to the sample in the browser.
  document.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-open]');
    if (!b) return;
    var want = JSON.parse(b.getAttribute('data-open'));
    var r = rows.filter(function (x) { return x.cell === want[0] && x.id === want[1] && x.sample_index === want[2]; })[0];
    state.q = ''; state.variant = ''; state.outcome = '';
    $('sb-search').value = ''; $('sb-variant').value = ''; $('sb-outcome').value = '';
    if (r) { state.dataset = r.dataset; $('sb-dataset').value = r.dataset; }
    if (r) openRow(r);
    if (!r) { $('sb-detail-body').textContent = 'This sample is not embedded in the report (it is in samples.jsonl).'; $('sb-detail').hidden = false; }
    if (location.hash !== '#samples') location.hash = '#samples';
  });

  $('sb-cap').textContent = data.cells.filter(function (c) { return c.shown < c.total; }).length
    ? 'Embedded ' + rows.length + ' samples (up to ' + data.cap + ' per cell). Per cell: ' + data.cells.map(function (c) { return c.key + ' ' + c.shown + '/' + c.total; }).join(', ') + '.'
    : 'All ' + rows.length + ' samples are embedded.';
  render();

  // One sample, every variant: the prompt once, then each variant's answer side by side.
  var summary = JSON.parse($('evalgraph-summary').textContent);
  var variantOrder = summary.variants.map(function (v) { return v.id; });
  var sampleKey = function (r) { return r.id + '#' + r.sample_index; };
  var byDataset = {};
  rows.forEach(function (r) {
    var d = byDataset[r.dataset] || (byDataset[r.dataset] = { keys: [], byKey: {} });
    var k = sampleKey(r);
    if (!d.byKey[k]) { d.byKey[k] = {}; d.keys.push(k); }
    d.byKey[k][r.variant] = r;
  });
  function differs(group) {
    var seen = {};
    Object.keys(group).forEach(function (v) { seen[group[v].score] = true; });
    return Object.keys(seen).length > 1;
  }
  function sxSamples() {
    var d = byDataset[$('sx-dataset').value];
    if (!d) return [];
    return d.keys.filter(function (k) { return !$('sx-differ').checked || differs(d.byKey[k]); });
  }
  function sxFillSamples() {
    var sel = $('sx-sample');
    sel.textContent = '';
    var d = byDataset[$('sx-dataset').value];
    sxSamples().forEach(function (k) {
      var o = document.createElement('option');
      var group = d.byKey[k];
      o.value = k;
      o.textContent = k.replace(/#0$/, '') + ' — ' + variantOrder.filter(function (v) { return group[v]; }).map(function (v) { return group[v].outcome; }).join(' / ');
      sel.appendChild(o);
    });
    sxRender();
  }
  function sxRender() {
    var grid = $('sx-grid');
    var prompt = $('sx-prompt');
    grid.textContent = '';
    prompt.textContent = '';
    var d = byDataset[$('sx-dataset').value];
    var group = d && d.byKey[$('sx-sample').value];
    if (!group) { prompt.textContent = 'No embedded sample matches.'; return; }
    var first = group[variantOrder.filter(function (v) { return group[v]; })[0]];
    block(prompt, 'Prompt (' + first.variant + ')', text(first.raw[col.prompt]));
    block(prompt, 'Target', text(first.raw[col.target]));
    var shown = variantOrder.filter(function (v) { return group[v]; });
    grid.style.gridTemplateColumns = 'repeat(' + shown.length + ', minmax(220px, 1fr))';
    shown.forEach(function (v) {
      var r = group[v];
      var card = document.createElement('div');
      card.className = 'side-card ' + (r.outcome === 'correct' ? 'good' : 'bad');
      card.setAttribute('data-variant', v);
      var h = document.createElement('h4');
      h.textContent = v;
      card.appendChild(h);
      var p = document.createElement('p');
      p.className = 'note';
      p.textContent = r.outcome + ' · score ' + (Math.round(r.score * 1000) / 1000) + ' · ' + r.completion_tokens + ' tokens' + (r.latency_ms > 0 ? ' · ' + Math.round(r.latency_ms) + ' ms' : '');
      card.appendChild(p);
      block(card, 'Extracted answer', text(r.raw[col.extracted]));
      block(card, 'Response', text(r.raw[col.response]));
      block(card, 'Reasoning', text(r.raw[col.reasoning]));
      grid.appendChild(card);
    });
  }
  fill($('sx-dataset'), summary.datasets.filter(function (d) { return byDataset[d]; }));
  $('sx-dataset').addEventListener('change', sxFillSamples);
  $('sx-differ').addEventListener('change', sxFillSamples);
  $('sx-sample').addEventListener('change', sxRender);
  sxFillSamples();

  // Any two variants, compared on demand over the samples both answered.
  var scores = JSON.parse($('evalgraph-scores').textContent);
  function logChoose(n, k) {
    var s = 0;
    for (var i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
    return s;
  }
  function mcnemar(b10, b01) {
    var n = b10 + b01;
    if (n === 0) return 1;
    var k = Math.min(b10, b01);
    var cdf = 0;
    for (var i = 0; i <= k; i++) cdf += Math.exp(logChoose(n, i) - n * Math.LN2);
    return Math.min(1, 2 * cdf);
  }
  function normalP(z) {
    // Two-sided p of a standard normal (Abramowitz–Stegun 7.1.26 erfc approximation, |error| < 1.5e-7).
    var x = Math.abs(z) / Math.SQRT2;
    var t = 1 / (1 + 0.3275911 * x);
    var erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
    return Math.min(1, erfc);
  }
  function pairedCompare(xa, xb) {
    var a = [], b = [];
    for (var i = 0; i < xa.length; i++) if (xa[i] !== null && xb[i] !== null) { a.push(xa[i]); b.push(xb[i]); }
    var n = a.length;
    if (!n) return null;
    var ma = 0, mb = 0, binary = true, b10 = 0, b01 = 0;
    for (i = 0; i < n; i++) {
      ma += a[i]; mb += b[i];
      if ((a[i] !== 0 && a[i] !== 1) || (b[i] !== 0 && b[i] !== 1)) binary = false;
      if (a[i] === 1 && b[i] === 0) b10++;
      if (a[i] === 0 && b[i] === 1) b01++;
    }
    ma /= n; mb /= n;
    var diff = ma - mb, v = 0;
    for (i = 0; i < n; i++) { var e = a[i] - b[i] - diff; v += e * e; }
    var se = n > 1 ? Math.sqrt(v / (n - 1) / n) : null;
    var p = binary ? mcnemar(b10, b01) : se === null ? null : se === 0 ? (diff === 0 ? 1 : 0) : normalP(diff / se);
    return { n: n, a: ma, b: mb, diff: diff, ci: se === null ? null : [diff - 1.959964 * se, diff + 1.959964 * se], p: p, test: binary ? 'McNemar exact' : 'paired z' };
  }
  var f3 = function (x) { return x === null || x === undefined ? '—' : x.toFixed(3); };
  var fp = function (p) { return p === null ? '—' : p < 1e-4 ? '<0.0001' : p.toFixed(4); };
  function cxRender() {
    var va = $('cx-a').value, vb = $('cx-b').value;
    var body = document.querySelector('#cx-table tbody');
    body.textContent = '';
    var better = 0, worse = 0, compared = 0;
    scores.datasets.forEach(function (d) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-dataset', d.dataset);
      var c = d.values[va] && d.values[vb] && va !== vb ? pairedCompare(d.values[va], d.values[vb]) : null;
      var sig = c && c.p !== null && c.p < 0.05;
      var up = c && (d.higher_is_better ? c.diff > 0 : c.diff < 0);
      if (c) { compared++; if (sig && up) better++; if (sig && !up) worse++; }
      var cells = c
        ? [d.dataset, d.metric, String(c.n), f3(c.a), f3(c.b), (c.diff >= 0 ? '+' : '') + f3(c.diff), c.ci ? '[' + f3(c.ci[0]) + ', ' + f3(c.ci[1]) + ']' : '—', fp(c.p), c.test, sig ? (up ? 'a better' : 'b better') : 'no significant difference']
        : [d.dataset, d.metric, '0', '—', '—', '—', '—', '—', '—', va === vb ? 'same variant' : 'not run by both'];
      cells.forEach(function (x, i) {
        var td = document.createElement('td');
        td.textContent = x;
        if (i >= 2 && i <= 7) td.className = 'num';
        if (i === 5 && c) td.setAttribute('data-value', String(c.diff));
        tr.appendChild(td);
      });
      if (sig) tr.className = up ? 'up' : 'down';
      body.appendChild(tr);
    });
    $('cx-summary').textContent = va === vb ? 'Pick two different variants.' : va + ' vs ' + vb + ': ' + compared + ' dataset(s) compared; a significantly better on ' + better + ', worse on ' + worse + ' (p < 0.05, not corrected for multiple comparisons).';
  }
  fill($('cx-a'), variantOrder);
  fill($('cx-b'), variantOrder);
  if (variantOrder.length > 1) $('cx-b').value = variantOrder[1];
  $('cx-a').addEventListener('change', cxRender);
  $('cx-b').addEventListener('change', cxRender);
  cxRender();

  // History: filled in when the report is published (null in a candidate report).
  var history = JSON.parse($('evalgraph-history').textContent);
  function el(tag, textValue, cls) {
    var e = document.createElement(tag);
    if (textValue !== undefined && textValue !== null) e.textContent = textValue;
    if (cls) e.className = cls;
    return e;
  }
  function simpleTable(id, head, bodyRows) {
    var wrap = el('div', null, 'table-wrap');
    var t = el('table');
    t.id = id;
    var thead = el('thead'), tr = el('tr');
    head.forEach(function (h) { var th = el('th', h); th.scope = 'col'; tr.appendChild(th); });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tb = el('tbody');
    bodyRows.forEach(function (r) {
      var row = el('tr', null, r.cls || '');
      r.cells.forEach(function (x) { row.appendChild(el('td', x)); });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    wrap.appendChild(t);
    return wrap;
  }
  if (history) {
    var hb = $('history-body');
    hb.textContent = '';
    var short = function (c) { return c ? c.slice(0, 12) : 'unknown'; };
    hb.appendChild(simpleTable('history-runs', ['published', 'generated', 'commit', 'cells', 'backend'], history.runs.map(function (r, i) {
      return { cells: [r.published_at + (i === 0 ? ' (this report)' : ''), r.generated_at, short(r.git_commit), String(r.cells), r.dummy ? 'dummy' : 'model'] };
    })));
    if (!history.changes) hb.appendChild(el('p', 'First published run: nothing to compare with.', 'note'));
    else {
      var ch = history.changes, b = ch.comparison;
      hb.appendChild(el('h3', 'Since the run published ' + ch.since.published_at + ' (commit ' + short(ch.since.git_commit) + '): ' + b.regressions + ' regression(s), ' + b.improvements + ' improvement(s)'));
      var changed = b.rows.filter(function (r) { return (r.primary || r.regression || r.improvement) && (r.comparison.diff !== 0 || r.regression || r.improvement); });
      changed.sort(function (x, y) { return (y.regression - x.regression) || (y.improvement - x.improvement) || Math.abs(y.comparison.diff) - Math.abs(x.comparison.diff); });
      if (changed.length) hb.appendChild(simpleTable('history-changes', ['cell', 'metric', 'before', 'now', 'Δ', '95% CI', 'p', 'test', 'verdict'], changed.map(function (r) {
        var c = r.comparison;
        return { cls: r.regression ? 'fail' : r.improvement ? 'up' : '', cells: [r.key, r.metric, f3(r.baseline), f3(r.current), (c.diff >= 0 ? '+' : '') + f3(c.diff), c.ci95 ? '[' + f3(c.ci95[0]) + ', ' + f3(c.ci95[1]) + ']' : '—', fp(c.p_value), c.test, r.regression ? 'regression' : r.improvement ? 'improvement' : 'not significant'] };
      })));
      else hb.appendChild(el('p', 'No primary metric changed.', 'note'));
      if (b.new_in_current.length) hb.appendChild(el('p', 'Cells added: ' + b.new_in_current.join(', ') + '.'));
      if (b.missing_in_current.length) hb.appendChild(el('p', 'Cells removed: ' + b.missing_in_current.join(', ') + '.'));
    }
  }
})();
