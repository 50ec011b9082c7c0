/* The advertiser's report page. The token is kept in this closure only (no storage, no cookie):
 * closing or reloading the tab forgets it. */
(function () {
  "use strict";
  var token = "";
  var plot = null;
  var $ = function (id) { return document.getElementById(id); };
  /* Billable figures first, then each kind of traffic that was not billed, apart (headed by its kind). */
  var SECTIONS = [
    { title: "Billable", metrics: ["impressions", "viewable_impressions", "view_rate", "clicks", "ctr", "spend"] },
    { title: "Bots (not billed)", metrics: ["bot_impressions", "bot_views", "bot_clicks"] },
    { title: "Prefetch (not billed)", metrics: ["prefetch_impressions", "prefetch_views", "prefetch_clicks"] },
    { title: "Rate-limited (429, not billed)", metrics: ["rate_limited_views", "rate_limited_clicks"] }
  ];
  var METRICS = [].concat.apply([], SECTIONS.map(function (s) { return s.metrics; }));
  var LABELS = { viewable_impressions: "views" };
  function label(metric) {
    return LABELS[metric] || metric.replace(/^(bot|prefetch|rate_limited)_/, "").replace("_", " ");
  }

  function iso(d) { return d.toISOString().slice(0, 10); }
  var today = new Date();
  $("to").value = iso(today);
  $("from").value = iso(new Date(today.getTime() - 29 * 864e5));

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  function query(format) {
    var q = new URLSearchParams({ from: $("from").value, to: $("to").value, group_by: $("group_by").value,
      format: format });
    return fetch("/v1/reports?" + q, { headers: { Authorization: "Bearer " + token }, credentials: "omit",
      cache: "no-store" }).then(function (r) {
      if (r.ok) return r;
      return r.json().then(function (body) { throw new Error(body.error.message); });
    });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function table(report) {
    var cols = report.group_by.concat(METRICS);
    var sections = document.createElement("tr");
    var head = document.createElement("tr");
    function th(row, text, span, title) {
      var el = document.createElement("th");
      el.textContent = text;
      if (span) el.colSpan = span;
      if (title) el.title = title;
      row.appendChild(el);
    }
    if (report.group_by.length) th(sections, "", report.group_by.length);
    SECTIONS.forEach(function (s) { th(sections, s.title, s.metrics.length); });
    report.group_by.forEach(function (g) { th(head, g); });
    METRICS.forEach(function (m) { th(head, label(m), 0, m); });
    $("table").tHead.replaceChildren(sections, head);
    $("table").tBodies[0].replaceChildren.apply($("table").tBodies[0], report.rows.map(function (r) {
      var tr = document.createElement("tr");
      cols.forEach(function (c) { cell(tr, r[c]); });
      return tr;
    }));
    var total = document.createElement("tr");
    cols.forEach(function (c, i) { cell(total, c in report.totals ? report.totals[c] : (i ? "" : "total")); });
    $("table").tFoot.replaceChildren(total);
  }

  /* Impressions, views and clicks per day over the whole range (days without events are zero). */
  function chart(report) {
    var byDay = {};
    report.rows.forEach(function (r) {
      var d = byDay[r.day] || (byDay[r.day] = [0, 0, 0]);
      d[0] += r.impressions; d[1] += r.viewable_impressions; d[2] += r.clicks;
    });
    var xs = [], imp = [], views = [], clicks = [];
    for (var t = Date.parse(report.from); t <= Date.parse(report.to); t += 864e5) {
      var v = byDay[iso(new Date(t))] || [0, 0, 0];
      xs.push(t / 1000); imp.push(v[0]); views.push(v[1]); clicks.push(v[2]);
    }
    var opts = {
      width: Math.min(960, $("chart").clientWidth || 960), height: 300,
      series: [{}, { label: "impressions", stroke: "#1a73e8" }, { label: "views", stroke: "#188038" },
        { label: "clicks", stroke: "#d93025" }],
      axes: [{}, {}]
    };
    if (plot) plot.destroy();
    plot = new uPlot(opts, [xs, imp, views, clicks], $("chart"));
  }

  function show() {
    status("Loading…");
    return query("json").then(function (r) { return r.json(); }).then(function (report) {
      table(report);
      if (report.group_by.indexOf("day") !== -1) chart(report);
      $("freshness").textContent = report.data_as_of
        ? "Data as of " + new Date(report.data_as_of).toLocaleString() + " (events appear within seconds)."
        : "No events recorded yet.";
      status(report.rows.length + " rows.");
      document.body.setAttribute("data-loaded", "");
    }).catch(function (e) { status(e.message, true); });
  }

  $("auth").addEventListener("submit", function (ev) {
    ev.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    $("auth").hidden = true;
    $("query").hidden = false;
    show();
  });
  $("query").addEventListener("submit", function (ev) { ev.preventDefault(); show(); });
  $("csv").addEventListener("click", function () {
    query("csv").then(function (r) { return r.blob(); }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "report-" + $("from").value + "-" + $("to").value + ".csv";
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    }).catch(function (e) { status(e.message, true); });
  });
})();
