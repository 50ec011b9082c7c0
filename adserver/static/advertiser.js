/* The advertiser's own campaigns and creatives, through the self-service API (/v1/campaigns, /v1/creatives).
 * As on /reports, the token is kept in this closure only (no storage, no cookie): closing or reloading the tab
 * forgets it. Every text from the API is put in the page as text, never as HTML; the preview is the server's
 * escaped card, shown by the snippet's own preview(). */
(function () {
  "use strict";
  var token = "";
  var acting = "";   /* an operator token's chosen advertiser ("" for an advertiser's own token) */
  var campaigns = [];
  var editing = null; /* {kind: "campaign"|"creative", id, campaign} while a form is open; id null: a new one */
  var $ = function (id) { return document.getElementById(id); };

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  /* The label a person sees for a field path the API names ("budget.total" -> "Total budget"). */
  function fieldLabel(form, path) {
    var input = form && form.querySelector('[name="' + path + '"]');
    var label = input && input.closest("label");
    return label ? label.firstChild.textContent.trim() : path;
  }

  /* What went wrong, in words; a 400 (a bad field) or 422 (one the operator's rules refuse) names each field by
     its label and marks its input. */
  function problem(status, body, form) {
    var fields = (body && body.error && body.error.fields) || {};
    var e = new Error(
      status === 401 ? "That token was not accepted. Check that you pasted all of it, or ask for a new one." :
      status === 429 ? "Too many tries with a wrong token from here. Wait a minute, then try again." :
      status === 404 ? "There is no such campaign or creative among yours." :
      status === 409 ? "That id is already taken: choose another." :
      status === 400 || status === 422 ? Object.keys(fields).map(function (f) {
        var input = form && form.querySelector('[name="' + f + '"]');
        if (input) input.setAttribute("aria-invalid", "true");
        return fieldLabel(form, f) + ": " + fields[f].join(" ");
      }).join(" ") || "That change cannot be made." :
      status ? "Something went wrong on our side (error " + status + "). Please try again in a minute." :
      "The server could not be reached. Check your connection and try again.");
    e.status = status;
    return e;
  }

  function api(method, path, body, form) {
    var url = path + (acting ? (path.indexOf("?") < 0 ? "?" : "&") + "advertiser=" + encodeURIComponent(acting) : "");
    var init = { method: method, headers: { Authorization: "Bearer " + token }, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) return data;
        throw problem(r.status, data, form);
      });
    }, function () { throw problem(0); });
  }

  function money(amount, currency) {
    if (amount === null || amount === undefined) return "none";
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(amount);
  }

  function showLimits(l) {
    $("limits").textContent = "Allowed by the operator: total budgets up to " + money(l.max_total_budget, l.currency) +
      ", daily budgets up to " + money(l.max_daily_budget, l.currency) +
      (l.min_cpm === null ? "; CPM not offered" : "; CPM from " + money(l.min_cpm, l.currency)) +
      (l.min_cpc === null ? "; CPC not offered" : "; CPC from " + money(l.min_cpc, l.currency)) +
      "; a relevance floor of at least " + l.min_relevance + " and up to " + l.max_keywords + " keywords a campaign.";
  }

  function button(text, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }

  function row(cells, cls) {
    var tr = document.createElement("tr");
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      if (i === 0 && cls) td.className = cls;
      if (c instanceof Node) td.appendChild(c); else if (Array.isArray(c)) c.forEach(function (n) { td.appendChild(n); });
      else td.textContent = c;
      tr.appendChild(td);
    });
    return tr;
  }

  // Where an operator's review stands: a new or changed card serves once approved (the approved one meanwhile).
  function review(item, cell) {
    var r = item.review;
    if (!r || r.state === "approved") return cell;
    var note = document.createElement("span");
    note.className = "review " + r.state;
    note.textContent = r.state === "rejected" ? " · refused: " + r.reason
      : r.fields[0] === "new" ? " · waiting for review"
      : " · changes to " + r.fields.join(", ").replace(/_/g, " ") + " waiting for review";
    cell.appendChild(note);
    return cell;
  }

  function act(promise, done) {
    status("Saving…");
    return promise.then(function () { return load(); }).then(function () { status(done); })
      .catch(function (e) { status(e.message, true); });
  }

  function table() {
    var rows = [];
    campaigns.forEach(function (c) {
      var paused = c.status !== "active";
      var state = document.createElement("span");
      state.textContent = c.status;
      state.className = paused ? "paused" : "";
      rows.push(row([
        c.name + " (" + c.id + ")", review(c, state), c.pricing.model + " " + c.pricing.price,
        (c.budget.total === null ? "none" : c.budget.total) + " / " + (c.budget.daily === null ? "none" : c.budget.daily),
        (c.targeting.topics || []).join(", ") || "(any)",
        [
          button(paused ? "Resume" : "Pause", function () {
            act(api("POST", "/v1/campaigns/" + c.id + (paused ? "/resume" : "/pause")),
              "Campaign " + c.id + (paused ? " resumed." : " paused."));
          }),
          button("Edit", function () { openCampaign(c); }),
          button("Add creative", function () { openCreative(c, null); })
        ]
      ]));
      rows[rows.length - 1].setAttribute("data-campaign", c.id);
      c.creatives.forEach(function (k) {
        var off = k.status !== "active";
        var kstate = document.createElement("span");
        kstate.textContent = k.status;
        kstate.className = off ? "paused" : "";
        var tr = row([k.title + " (" + k.id + ")", review(k, kstate), "", "", "", [
          button(off ? "Resume" : "Pause", function () {
            act(api("POST", "/v1/creatives/" + k.id + (off ? "/resume" : "/pause")),
              "Creative " + k.id + (off ? " resumed." : " paused."));
          }),
          button("Edit", function () { openCreative(c, k); }),
          button("Preview", function () { preview(k); })
        ]], "creative");
        tr.setAttribute("data-creative", k.id);
        rows.push(tr);
      });
    });
    $("campaigns").tBodies[0].replaceChildren.apply($("campaigns").tBodies[0], rows);
  }

  function load() {
    return Promise.all([api("GET", "/v1/campaigns"), api("GET", "/v1/limits")]).then(function (got) {
      campaigns = got[0].campaigns;
      showLimits(got[1]);
      table();
      document.body.setAttribute("data-loaded", "");
    });
  }

  /* --- forms: inputs are named by the catalog file's field paths ("pricing.price", "creatives.0.cta.url") --- */

  function put(doc, path, value) {
    var parts = path.split("."), at = doc;
    parts.slice(0, -1).forEach(function (p, i) {
      if (at[p] === undefined) at[p] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      at = at[p];
    });
    at[parts[parts.length - 1]] = value;
  }

  var NUMBERS = { "pricing.price": 1, "budget.total": 1, "budget.daily": 1 };
  var LISTS = { "targeting.topics": 1, "targeting.keywords": 1 };
  function value(input) {
    var v = input.value.trim();
    if (NUMBERS[input.name]) return v === "" ? null : Number(v);
    if (LISTS[input.name]) return v.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    if (input.type === "date") return v || null;
    return v;
  }

  function read(form) {
    var doc = {};
    [].forEach.call(form.elements, function (el) {
      if (el.name && !el.matches(":disabled")) put(doc, el.name, value(el)); /* not the hidden first creative */
    });
    return doc;
  }

  function fill(form, doc) {
    [].forEach.call(form.elements, function (el) {
      if (!el.name) return;
      var v = el.name.split(".").reduce(function (at, p) { return at == null ? at : at[p]; }, doc);
      if (el.tagName === "SELECT" && v && ![].some.call(el.options, function (o) { return o.value === v; })) {
        el.add(new Option(v + " (the operator's)", v)); /* a flat deal: kept as it is */
      }
      el.value = Array.isArray(v) ? v.join(", ") : v == null ? "" : v;
      el.removeAttribute("aria-invalid");
    });
  }

  function close() {
    editing = null;
    $("campaign-editor").hidden = $("creative-editor").hidden = true;
  }

  function openCampaign(c) {
    close();
    var form = $("campaign-form");
    editing = { kind: "campaign", id: c ? c.id : null };
    fill(form, c || { pricing: { model: "cpm" } });
    form.elements.id.readOnly = !!c;
    $("first-creative").disabled = $("first-creative").hidden = !!c;
    $("campaign-title").textContent = c ? "Edit " + c.name : "New campaign";
    $("campaign-editor").hidden = false;
    form.elements.name.focus();
  }

  function openCreative(c, k) {
    close();
    var form = $("creative-form");
    editing = { kind: "creative", id: k ? k.id : null, campaign: c.id };
    fill(form, k || { display_name: c.creatives.length ? c.creatives[0].display_name : "" });
    form.elements.id.readOnly = !!k;
    $("creative-title").textContent = k ? "Edit " + k.id : "New creative in " + c.name;
    $("creative-editor").hidden = false;
    form.elements.title.focus();
  }

  $("campaign-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target, doc = read(form);
    [].forEach.call(form.elements, function (el) { el.removeAttribute("aria-invalid"); });
    var saving;
    if (editing.id) {
      delete doc.id;
      doc.targeting = { topics: doc.targeting.topics, keywords: doc.targeting.keywords }; /* merged, others kept */
      saving = api("PATCH", "/v1/campaigns/" + editing.id, doc, form);
    } else {
      saving = api("POST", "/v1/campaigns", doc, form);
    }
    var what = editing.id ? "Campaign " + editing.id + " saved." : "Campaign " + doc.id + " created.";
    act(saving.then(close), what);
  });

  $("creative-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target, doc = read(form);
    [].forEach.call(form.elements, function (el) { el.removeAttribute("aria-invalid"); });
    var saving = editing.id
      ? api("PATCH", "/v1/creatives/" + editing.id, (delete doc.id, doc), form)
      : api("POST", "/v1/campaigns/" + editing.campaign + "/creatives", doc, form);
    act(saving.then(close), "Creative " + (editing.id || doc.id) + " saved.");
  });

  [].forEach.call(document.querySelectorAll("button.cancel"), function (b) { b.addEventListener("click", close); });
  $("new-campaign").addEventListener("click", function () { openCampaign(null); });

  function preview(k) {
    status("Loading the preview…");
    api("GET", "/v1/creatives/" + k.id + "/preview").then(function (body) {
      $("preview-title").textContent = "Preview of " + k.id;
      $("preview-box").hidden = false;
      window.adserver.preview($("preview"), body.html);
      $("preview").setAttribute("data-creative", k.id);
      status("");
    }).catch(function (e) { status(e.message, true); });
  }

  /* Operator tokens act for one advertiser at a time, picked by name. */
  $("advertiser").addEventListener("change", function () {
    acting = $("advertiser").value;
    close();
    document.body.removeAttribute("data-loaded");
    load().then(function () { whoFor(); }).catch(function (e) { status(e.message, true); });
  });

  var names = {};
  function whoFor() {
    $("who").textContent = "Campaigns of " + names[acting || Object.keys(names)[0]] + " (" +
      (acting || Object.keys(names)[0]) + ")" + (acting ? ", acting as the operator" : "");
  }

  /* The token is checked by the first request: a wrong one leaves the field as it was, to try again. */
  $("auth").addEventListener("submit", function (ev) {
    ev.preventDefault();
    token = $("token").value.trim();
    status("Loading…");
    api("GET", "/v1/advertisers").then(function (body) {
      body.advertisers.forEach(function (a) {
        names[a.id] = a.name;
        if (body.operator) $("advertiser").add(new Option(a.name + " (" + a.id + ")", a.id));
      });
      if (body.operator) {
        if (!body.advertisers.length) throw new Error("There are no advertisers yet.");
        acting = body.advertisers[0].id;
        $("pick").hidden = false;
      }
      return load();
    }).then(function () {
      $("token").value = "";
      $("auth").hidden = true;
      $("workspace").hidden = false;
      whoFor();
      status(campaigns.length + (campaigns.length === 1 ? " campaign." : " campaigns."));
    }, function (e) {
      if (e.status === 401 || e.status === 429) {
        token = "";
        $("token").select();
      }
      status(e.message, true);
    });
  });
})();
