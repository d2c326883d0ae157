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
})();
