/* The report page of an advertiser, a publisher (its site) or the operator. The token is kept in this closure
 * only (no storage, no cookie): closing or reloading the tab forgets it. */
(function () {
  "use strict";
  var token = "";
  var plot = null;
  var $ = function (id) { return document.getElementById(id); };
  /* Billable figures first, then each kind of traffic that was not billed, apart (headed by its kind). */
  var BILLABLE = ["impressions", "viewable_impressions", "view_rate", "clicks", "ctr"];
  var APART = [
    { title: "Bots, not billed", metrics: ["bot_impressions", "bot_views", "bot_clicks"] },
    { title: "Prefetch, not billed", metrics: ["prefetch_impressions", "prefetch_views", "prefetch_clicks"] },
    { title: "Unknown pages, not billed",
      metrics: ["unknown_origin_impressions", "unknown_origin_views", "unknown_origin_clicks"] },
    { title: "Rate-limited (429)", metrics: ["rate_limited_views", "rate_limited_clicks"] }
  ];
  var EARNINGS = "earnings:";  /* a column per currency: "earnings:EUR" is row.earnings.EUR */
  /* The money the token may see: an advertiser its spend, a publisher its site's earnings in each currency
   * (never added together), the operator both. */
  function columnSections(report) {
    var money = ("spend" in report.totals ? ["spend"] : []).concat(
      Object.keys(report.totals.earnings || {}).map(function (c) { return EARNINGS + c; }));
    return [{ title: "Billable", metrics: BILLABLE.concat(money) }].concat(APART);
  }
  function value(row, metric) {
    return metric.indexOf(EARNINGS) === 0 ? row.earnings[metric.slice(EARNINGS.length)] : row[metric];
  }
  var LABELS = { viewable_impressions: "views", bot_impressions: "impr.", prefetch_impressions: "impr.",
    unknown_origin_impressions: "impr." };
  function label(metric) {
    if (metric.indexOf(EARNINGS) === 0) return "earnings " + metric.slice(EARNINGS.length);
    return LABELS[metric] || metric.replace(/^(bot|prefetch|unknown_origin|rate_limited)_/, "").replace("_", " ");
  }

  var RATES = { view_rate: 1, ctr: 1 };
  var percent = new Intl.NumberFormat(undefined, { style: "percent", minimumFractionDigits: 2 });
  /* Rates come as fractions (0.0123) and read as percentages; money with its cents; counts as they are. */
  var currency = null;  /* the report's, once loaded */
  function shown(metric, v) {
    if (typeof v !== "number") return v;
    if (RATES[metric]) return percent.format(v);
    var money = metric === "spend" ? currency : metric.indexOf(EARNINGS) === 0 ? metric.slice(EARNINGS.length) : "";
    if (money === "") return String(v);
    return money ? new Intl.NumberFormat(undefined, { style: "currency", currency: money }).format(v)
      : v.toFixed(2);
  }

  function iso(d) { return d.toISOString().slice(0, 10); }
  var today = new Date();
  $("to").value = iso(today);
  $("from").value = iso(new Date(today.getTime() - 29 * 864e5));

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  /* What went wrong, in words for the person at the page (the API's own message is for developers). */
  var FIELDS = { from: "From", to: "To", group_by: "Group by", campaign: "Campaign", advertiser: "Advertiser",
    site: "Site" };
  function problem(status, body) {
    var e = new Error(
      status === 401 ? "That token was not accepted. Check that you pasted all of it, or ask for a new one." :
      status === 429 ? "Too many tries with a wrong token from here. Wait a minute, then try again." :
      status === 404 ? "There is no such campaign among yours." :
      status === 400 || status === 422 ? Object.keys((body.error && body.error.fields) || {}).map(function (f) {
        return (FIELDS[f] || f) + ": " + body.error.fields[f].join(" ");
      }).join(" ") || "Those dates or that grouping cannot be reported." :
      status ? "Something went wrong on our side (error " + status + "). Please try again in a minute." :
      "The report server could not be reached. Check your connection and try again.");
    e.status = status;
    return e;
  }

  function query(format) {
    var q = new URLSearchParams({ from: $("from").value, to: $("to").value, group_by: $("group_by").value,
      format: format });
    if ($("advertiser").value) q.set("advertiser", $("advertiser").value);
    return get("/v1/reports?" + q);
  }

  function get(url) {
    return fetch(url, { headers: { Authorization: "Bearer " + token }, credentials: "omit",
      cache: "no-store" }).then(function (r) {
      if (r.ok) return r;
      return r.json().catch(function () { return {}; }).then(function (body) { throw problem(r.status, body); });
    }, function () { throw problem(0); });
  }

  /* The page's times in the reader's own zone, the UTC instant kept in the element's datetime. */
  function when(isoUtc) {
    var t = document.createElement("time");
    var d = new Date(isoUtc);
    t.dateTime = d.toISOString();
    t.textContent = d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit",
      minute: "2-digit", timeZoneName: "short" });
    t.title = d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
    return t;
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function table(report) {
    var parts = columnSections(report);
    var metrics = [].concat.apply([], parts.map(function (s) { return s.metrics; }));
    var sections = document.createElement("tr");
    var head = document.createElement("tr");
    function th(row, text, span, title) {
      var el = document.createElement("th");
      el.textContent = text;
      if (span) el.colSpan = span;
      if (title) el.title = title;
      row.appendChild(el);
    }
    if (report.group_by.length) sections.appendChild(document.createElement("td")).colSpan = report.group_by.length;
    parts.forEach(function (s) { th(sections, s.title, s.metrics.length); });
    report.group_by.forEach(function (g) { th(head, g); });
    metrics.forEach(function (m) { th(head, label(m), 0, m); });
    $("table").tHead.replaceChildren(sections, head);
    $("table").tBodies[0].replaceChildren.apply($("table").tBodies[0], report.rows.map(function (r) {
      var tr = document.createElement("tr");
      report.group_by.forEach(function (g) { cell(tr, r[g]); });
      metrics.forEach(function (m) { cell(tr, shown(m, value(r, m))); });
      return tr;
    }));
    var total = document.createElement("tr");
    report.group_by.forEach(function (g, i) { cell(total, i ? "" : "total"); });
    metrics.forEach(function (m) { cell(total, shown(m, value(report.totals, m))); });
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
    /* The legend shows the range's totals, and a day's figures while the pointer is on that day. */
    var totals = [null, imp, views, clicks].map(function (ys) {
      return ys && ys.reduce(function (a, b) { return a + b; }, 0);
    });
    var count = new Intl.NumberFormat();
    function figure(u, v, i, idx) { return count.format(idx == null ? totals[i] : v); }
    var opts = {
      width: $("chart").clientWidth || 960, height: 300,
      series: [
        { label: "day", value: function (u, ts) { return ts == null ? "all " + xs.length + " days" : iso(new Date(ts * 1e3)); } },
        { label: "impressions", stroke: "#1a73e8", value: figure },
        { label: "views", stroke: "#188038", value: figure },
        { label: "clicks", stroke: "#d93025", value: figure }
      ],
      axes: [{}, {}],
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); } // report days are UTC days
    };
    if (plot) plot.destroy();
    plot = new uPlot(opts, [xs, imp, views, clicks], $("chart"));
    plot.setLegend({ idx: null });
  }

  function show() {
    status("Loading…");
    return query("json").then(function (r) { return r.json(); }).then(function (report) {
      currency = report.currency;
      table(report);
      if (report.group_by.indexOf("day") !== -1) chart(report);
      if (report.data_as_of) {
        $("freshness").replaceChildren("Data as of ", when(report.data_as_of),
          " (your time; " + when(report.data_as_of).title + "). Events appear within seconds.");
      } else {
        $("freshness").textContent = "No events recorded yet.";
      }
      $("who").textContent = report.viewer === "publisher"
        ? "Reports for the site " + report.site_name + " (" + report.site + ")"
        : report.advertiser
          ? "Reports for " + report.advertiser_name + " (" + report.advertiser + ")"
          : "Reports for every advertiser (operator token)";
      status(report.rows.length + (report.rows.length === 1 ? " row." : " rows."));
      document.body.setAttribute("data-loaded", "");
      return report;
    });
  }

  /* Operator tokens see every advertiser: a picker narrows the report to one of them, by name. */
  function picker() {
    return get("/v1/advertisers").then(function (r) { return r.json(); }).then(function (body) {
      body.advertisers.forEach(function (a) { $("advertiser").add(new Option(a.name + " (" + a.id + ")", a.id)); });
      $("pick").hidden = false;
    }).catch(function (e) { status(e.message, true); });
  }
  $("advertiser").addEventListener("change", function () {
    show().catch(function (e) { status(e.message, true); });
  });

  /* The token is checked by the first report: a wrong one leaves the field as it was, to try again. */
  $("auth").addEventListener("submit", function (ev) {
    ev.preventDefault();
    token = $("token").value.trim();
    show().then(function (report) {
      $("token").value = "";
      $("auth").hidden = true;
      $("query").hidden = false;
      if (report.viewer === "operator") return picker();
    }, function (e) {
      if (e.status === 401 || e.status === 429) {
        token = "";
        $("token").select();
      }
      status(e.message, true);
    });
  });
  $("query").addEventListener("submit", function (ev) {
    ev.preventDefault();
    show().catch(function (e) { status(e.message, true); });
  });
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
