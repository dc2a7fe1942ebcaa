"""report.html's style sheet and script, inlined in the page (nothing is fetched)."""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
:root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1f2328; background: #fff; }
header.top { padding: 16px 24px 8px; border-bottom: 1px solid #d0d7de; }
main { padding: 0 24px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de;
     padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 10px; max-width: 110ch; }
.verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px;
           display: inline-block; margin: 6px 0; }
.verdict.pass { background: #dafbe1; color: #116329; }
.verdict.fail { background: #ffebe9; color: #a40e26; }
nav.filters { position: sticky; top: 0; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
              padding: 8px 24px; z-index: 5; display: flex; gap: 16px; flex-wrap: wrap;
              align-items: center; }
nav.filters label { font-weight: 600; }
nav.filters select { margin-left: 4px; }
nav.filters a { color: #0969da; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cell { text-align: center; font-variant-numeric: tabular-nums; white-space: nowrap;
          min-width: 78px; }
td.choice { text-align: left; }
td.choice .pick { display: block; padding-left: 1em; text-indent: -1em; }
td.speed { text-align: right; font-variant-numeric: tabular-nums; font-size: 12px; }
td.cell small { display: block; font-size: 11px; color: #24292f; opacity: .85; }
.r0 { background: #dafbe1; } .r1 { background: #aceebb; } .r2 { background: #fff1b8; }
.r3 { background: #ffcf99; } .r4 { background: #ff9f96; } .r5 { background: #e05a4f;
      color: #fff; } .r5 small { color: #fff; }
.rn { background: #f6f8fa; color: var(--muted); }
.scale span { display: inline-block; padding: 1px 8px; margin-right: 4px;
              border: 1px solid #d0d7de; font-size: 12px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; border-radius: 6px; }
details { margin: 4px 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 10px; }
details > summary { cursor: pointer; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr));
          gap: 10px; }
figure.chart { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px; }
figure.chart svg { width: 100%; height: auto; }
figure.wide svg { max-width: 900px; }
figure.chart figcaption { font-size: 12px; color: var(--muted); padding: 2px 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 10px; }
.legend button { border: 1px solid #d0d7de; background: #fff; border-radius: 12px;
                 padding: 1px 9px; font-size: 12px; cursor: pointer; }
.legend button.off { opacity: .35; text-decoration: line-through; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
          margin-right: 5px; vertical-align: -1px; }
.heat td.cell { min-width: 34px; font-size: 12px; }
.heat th.col { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500;
               font-size: 12px; white-space: nowrap; }
dl.glossary dt { font-weight: 600; margin-top: 6px; }
dl.glossary dd { margin: 0 0 0 18px; color: #24292f; }
.hidden-by-filter { display: none !important; }
div.scroll { overflow-x: auto; max-width: 100%; }
.pill { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 10px;
        background: #eaeef2; margin-left: 4px; }
.pill.unexpected { background: #ffebe9; color: #a40e26; }
@media print {
  nav.filters, .legend button.off { display: none; }
  body { font-size: 11px; }
  main { max-width: none; }
  figure.chart, table, details { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  div.scroll { overflow: visible; }
}
"""

SCRIPT = """
(function () {
  'use strict';
  var selects = Array.prototype.slice.call(document.querySelectorAll('nav.filters select'));
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.dataset.key] = s.value; });
    document.querySelectorAll('[data-op],[data-dtype],[data-family]').forEach(function (el) {
      var hide = false;
      Object.keys(want).forEach(function (key) {
        var have = el.getAttribute('data-' + key);
        if (want[key] && have !== null && have.split(' ').indexOf(want[key]) < 0) {
          hide = true;
        }
      });
      el.classList.toggle('hidden-by-filter', hide);
    });
  }
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  document.querySelectorAll('.legend button').forEach(function (b) {
    b.addEventListener('click', function () {
      b.classList.toggle('off');
      var off = b.classList.contains('off');
      var s = b.dataset.series;
      document.querySelectorAll('[id$="series-' + s + '"],[id*="series-' + s + '--"]').forEach(
        function (g) { g.style.display = off ? 'none' : ''; });
    });
  });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  });
  apply();
})();
"""
