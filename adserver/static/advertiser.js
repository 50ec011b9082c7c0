/* The advertiser's own campaigns and creatives, through the self-service API (/v1/campaigns, /v1/creatives,
 * /v1/delivery, /v1/preview). As on /reports, the token is kept in this closure only (no storage, no cookie):
 * closing or reloading the tab forgets it. Every text from the API is put in the page as text, never as HTML;
 * previews are the server's escaped card, shown by the snippet's own preview(). Inputs are named by the catalog
 * file's field paths, so the API's message for a field is shown beside the input of that name. */
(function () {
  "use strict";
  var token = "";
  var acting = "";   /* an operator token's chosen advertiser ("" for an advertiser's own token) */
  var campaigns = [];
  var delivery = {}; /* campaign id -> its delivery (GET /v1/delivery) */
  var limits = null;
  var advertiserId = "";
  var editing = null; /* {kind: "campaign"|"creative", id, campaign} while a form is open; id null: a new one */
  var PREVIEW_DELAY = 350; /* ms after the last keystroke */
  var $ = function (id) { return document.getElementById(id); };

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  /* --- talking to the API ------------------------------------------------------------------------------- */

  function problem(status, body) {
    var fields = (body && body.error && body.error.fields) || {};
    var e = new Error(
      status === 401 ? "That token was not accepted. Check that you pasted all of it, or ask for a new one." :
      status === 429 ? "Too many tries or changes from here in a minute. Wait a minute, then try again." :
      status === 404 ? "There is no such campaign or creative among yours." :
      status === 400 || status === 409 || status === 422 ? (body && body.error && body.error.message) || "That change cannot be made." :
      status ? "Something went wrong on our side (error " + status + "). Please try again in a minute." :
      "The server could not be reached. Check your connection and try again.");
    e.status = status;
    e.fields = status === 400 || status === 409 || status === 422 ? fields : {};
    return e;
  }

  function api(method, path, body) {
    var url = path + (acting ? (path.indexOf("?") < 0 ? "?" : "&") + "advertiser=" + encodeURIComponent(acting) : "");
    var init = { method: method, headers: { Authorization: "Bearer " + token }, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) return data;
        throw problem(r.status, data);
      });
    }, function () { throw problem(0); });
  }

  /* --- words and numbers -------------------------------------------------------------------------------- */

  function money(amount, currency) {
    var whole = Math.round(amount * 100) % 100 === 0;
    return new Intl.NumberFormat(undefined, {
      style: "currency", currency: currency, minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 4
    }).format(amount);
  }
  function count(n) { return new Intl.NumberFormat().format(n); }
  function percent(rate) {
    return new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 }).format(rate);
  }
  function price(pricing, currency) {
    return pricing.model === "cpm" ? money(pricing.price, currency) + " per 1,000 impressions"
      : pricing.model === "cpc" ? money(pricing.price, currency) + " per click"
      : money(pricing.price, currency) + " (" + pricing.model + ", set by the operator)";
  }

  function showLimits(l) {
    var c = l.currency;
    var budget = function (cap, what) {
      return cap === null ? "no " + what + " budget yet (ask the operator)"
        : what + " budgets up to " + money(cap, c) + " across your campaigns";
    };
    $("limits").textContent = "The operator allows you " + budget(l.max_total_budget, "total") + ", " +
      budget(l.max_daily_budget, "daily") + "; " +
      (l.min_cpm === null ? "CPM is not offered" : "CPM from " + money(l.min_cpm, c)) + ", " +
      (l.min_cpc === null ? "CPC is not offered" : "CPC from " + money(l.min_cpc, c)) +
      "; a relevance floor of at least " + l.min_relevance + " and up to " + l.max_keywords + " keywords a campaign.";
    [].forEach.call(document.querySelectorAll("[data-money]"), function (input) {
      var label = document.querySelector('label[for="' + input.id + '"]');
      if (!label.getAttribute("data-text")) label.setAttribute("data-text", label.textContent);
      label.textContent = label.getAttribute("data-text").replace(" (required)", "") + " (" + c + ")" +
        (input.getAttribute("aria-required") ? " (required)" : "");
    });
  }

  /* --- the list ----------------------------------------------------------------------------------------- */

  function button(text, action, label) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", action);
    return b;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function row(cells, cls) {
    var tr = document.createElement("tr");
    if (cls) tr.className = cls;
    cells.forEach(function (c, i) {
      var td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      if (c instanceof Node) td.appendChild(c); else if (Array.isArray(c)) c.forEach(function (n) { td.appendChild(n); });
      else td.textContent = c;
      tr.appendChild(td);
    });
    return tr;
  }

  /* Where an operator's review stands: a new or changed card serves once approved (the approved one meanwhile). */
  function reviewNote(item) {
    var r = item.review;
    if (!r || r.state === "approved") return null;
    return el("span", r.state === "rejected" ? "refused in review: " + r.reason
      : r.fields[0] === "new" ? "waiting for review"
      : "changes to " + r.fields.join(", ").replace(/_/g, " ") + " waiting for review", "review " + r.state);
  }

  function named(title, id, note) {
    var out = [el("span", title, "name"), el("br"), el("small", id, "id")];
    if (note) out.push(el("br"), el("small", note, "note"));
    return out;
  }

  function figures(d, currency, budget) {
    if (!d) return ["", "", "", "", "", ""];
    var spend = money(d.total.spend, currency) + (budget && budget.total !== null ? " of " + money(budget.total, currency) : "");
    var spendCell = [el("span", spend)];
    if (budget && budget.daily !== null) {
      spendCell.push(el("br"), el("small", money(d.today.spend, currency) + " of " + money(budget.daily, currency) + " today", "note"));
    }
    return [
      count(d.today.impressions), count(d.last_7_days.impressions), count(d.total.impressions),
      d.total.impressions ? percent(d.total.view_rate) : "–",
      count(d.total.clicks) + (d.total.impressions ? " (" + percent(d.total.ctr) + ")" : ""),
      spendCell
    ];
  }

  function act(promise, done) {
    status("Saving…");
    return promise.then(function () { return load(); }).then(function () { status(done); })
      .catch(function (e) { status(e.message, true); });
  }

  function table() {
    var rows = [], currency = limits.currency;
    campaigns.forEach(function (c) {
      var paused = c.status !== "active";
      var d = delivery[c.id];
      var state = el("span", d ? d.state_text : c.status, "state " + (d ? d.state : c.status));
      var note = reviewNote(c);
      var topics = (c.targeting.topics || []).concat(c.targeting.keywords || []);
      var tr = row([
        named(c.name, c.id, topics.length ? "On: " + topics.join(", ") : ""),
        note && d && d.state !== "waiting_for_review" ? [state, el("br"), note] : state,
        price(c.pricing, currency)
      ].concat(figures(d, currency, c.budget)).concat([[
        button(paused ? "Resume" : "Pause", function () {
          act(api("POST", "/v1/campaigns/" + c.id + (paused ? "/resume" : "/pause")),
            "Campaign " + c.id + (paused ? " resumed." : " paused."));
        }, (paused ? "Resume " : "Pause ") + c.name),
        button("Edit", function () { openCampaign(c); }, "Edit " + c.name),
        button("Add creative", function () { openCreative(c, null); }, "Add creative to " + c.name)
      ]]), "campaign");
      tr.setAttribute("data-campaign", c.id);
      rows.push(tr);
      var byId = {};
      (d ? d.creatives : []).forEach(function (k) { byId[k.creative_id] = k; });
      c.creatives.forEach(function (k) {
        var off = k.status !== "active";
        var knote = reviewNote(k);
        var kstate = [el("span", off ? "paused" : "active", "state " + k.status)];
        if (knote) kstate.push(el("br"), knote);
        var ktr = row([named(k.title, k.id), kstate, ""].concat(figures(byId[k.id], currency, null)).concat([[
          button(off ? "Resume" : "Pause", function () {
            act(api("POST", "/v1/creatives/" + k.id + (off ? "/resume" : "/pause")),
              "Creative " + k.id + (off ? " resumed." : " paused."));
          }, (off ? "Resume " : "Pause ") + k.id),
          button("Edit", function () { openCreative(c, k); }, "Edit " + k.id),
          button("Preview", function () { preview(k); }, "Preview " + k.id)
        ]]), "creative");
        ktr.setAttribute("data-creative", k.id);
        rows.push(ktr);
      });
    });
    var body = $("campaigns").tBodies[0];
    body.replaceChildren.apply(body, rows);
  }

  function load() {
    return Promise.all([api("GET", "/v1/campaigns"), api("GET", "/v1/limits"), api("GET", "/v1/delivery")])
      .then(function (got) {
        campaigns = got[0].campaigns;
        limits = got[1];
        advertiserId = limits.advertiser_id;
        delivery = {};
        got[2].campaigns.forEach(function (d) { delivery[d.campaign_id] = d; });
        showLimits(limits);
        table();
        document.body.setAttribute("data-loaded", "");
      });
  }

  /* --- forms: reading and filling by field path --------------------------------------------------------- */

  function put(doc, path, value) {
    var parts = path.split("."), at = doc;
    parts.slice(0, -1).forEach(function (p, i) {
      if (at[p] === undefined) at[p] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      at = at[p];
    });
    var last = parts[parts.length - 1];
    /* two inputs for one list (picked topics and typed ones): one list */
    at[last] = Array.isArray(at[last]) && Array.isArray(value) ? at[last].concat(value) : value;
  }

  function get(doc, path) {
    return path.split(".").reduce(function (at, p) { return at == null ? at : at[p]; }, doc);
  }

  function value(input) {
    var type = input.getAttribute("data-type");
    if (input.multiple) return [].filter.call(input.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    if (type === "lines") return input.value.replace(/\s+$/, "").split("\n").filter(function (l, i, all) { return l || i < all.length - 1; });
    var v = input.value.trim();
    if (type === "list") return v.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    if (input.type === "number") return v === "" ? null : Number(v);
    if (input.type === "date" || input.hasAttribute("data-empty")) return v || null;
    return v;
  }

  function fields(form) {
    return [].filter.call(form.elements, function (e) { return e.name && !e.matches(":disabled"); });
  }

  /* The form as the API takes it: empty optional parts left out (null resets them on an edit). */
  function read(form) {
    var doc = {};
    fields(form).forEach(function (e) {
      if (e.type === "checkbox") {
        if (get(doc, e.name) === undefined) put(doc, e.name, []);
        if (e.checked) get(doc, e.name).push(e.value);
      } else if (e.name.indexOf("hook_variants.") < 0 || e.value.trim()) {
        put(doc, e.name, value(e));
      }
    });
    var t = doc.targeting;
    if (t) {
      var s = t.schedule;
      t.schedule = s && (s.days.length || s.hours.length) ? { days: s.days, hours: s.hours, timezone: s.timezone || "UTC" } : null;
    }
    if (doc.frequency_cap) {
      doc.frequency_cap = doc.frequency_cap.impressions === null ? null
        : { impressions: doc.frequency_cap.impressions, hours: doc.frequency_cap.hours === null ? 24 : doc.frequency_cap.hours };
    }
    (doc.creatives || [doc]).forEach(card);
    return doc;
  }

  function card(k) {
    if (!k || k.cta === undefined) return;
    k.hook_variants = k.hook_variants || {};
    if (k.secondary_cta && !k.secondary_cta.text && !k.secondary_cta.url) k.secondary_cta = null;
  }

  function fill(form, doc) {
    clearErrors(form);
    [].forEach.call(form.querySelectorAll(".hook-variants .rows"), function (rows) { rows.replaceChildren(); });
    var variants = get(doc, form.getAttribute("id") === "campaign-form" ? "creatives.0.hook_variants" : "hook_variants") || {};
    Object.keys(variants).forEach(function (topic) { addHook(form.querySelector(".hook-variants"), topic, variants[topic]); });
    topicsChanged(form);
    var picked = {};
    fields(form).forEach(function (e) {
      if (e.name.indexOf("hook_variants.") >= 0) return;
      var v = get(doc, e.name);
      if (e.type === "checkbox") {
        e.checked = Array.isArray(v) && v.indexOf(e.value) >= 0;
      } else if (e.multiple) {
        [].forEach.call(e.options, function (o) { o.selected = Array.isArray(v) && v.indexOf(o.value) >= 0; if (o.selected) picked[o.value] = 1; });
      } else if (e.hasAttribute("data-other-topics")) {
        e.value = (v || []).filter(function (t) { return !picked[t]; }).join(", ");
      } else if (e.tagName === "SELECT") {
        if (v && ![].some.call(e.options, function (o) { return o.value === v; })) {
          e.add(new Option(v + " (the operator's)", v)); /* a flat deal: kept as it is */
        }
        e.value = v == null ? e.options[0].value : v;
      } else {
        e.value = Array.isArray(v) ? v.join(e.getAttribute("data-type") === "lines" ? "\n" : ", ") : v == null ? "" : v;
      }
    });
    [].forEach.call(form.querySelectorAll("[data-generated]"), function (e) { e.removeAttribute("data-edited"); });
  }

  /* --- hooks per topic ---------------------------------------------------------------------------------- */

  var hookRows = 0;
  function addHook(box, topic, text) {
    var n = ++hookRows, prefix = box.getAttribute("data-name") + ".";
    var line = el("div", "", "hook-row");
    var pick = document.createElement("select");
    pick.id = box.id + "-topic-" + n;
    pick.appendChild($("topic-options").content.cloneNode(true));
    if (topic && ![].some.call(pick.options, function (o) { return o.value === topic; })) pick.add(new Option(topic, topic));
    pick.value = topic || "";
    var input = document.createElement("input");
    input.id = box.id + "-text-" + n;
    input.maxLength = 300;
    input.value = text || "";
    var name = function () { input.name = pick.value ? prefix + pick.value : ""; };
    name();
    pick.addEventListener("change", function () { name(); topicsChanged(box.form); });
    var l1 = el("label", "Topic"), l2 = el("label", "Its hook");
    l1.htmlFor = pick.id;
    l2.htmlFor = input.id;
    var remove = button("Remove", function () { line.remove(); topicsChanged(box.form); previewSoon(box.form); }, "Remove this topic's hook");
    [l1, pick, l2, input, remove].forEach(function (e) { line.appendChild(e); });
    box.querySelector(".rows").appendChild(line);
    topicsChanged(box.form);
    return pick;
  }

  /* The preview's topic choice: the default hook, or one of the topics a hook was written for. */
  function topicsChanged(form) {
    var select = form.querySelector(".preview-topic");
    var was = select.value;
    while (select.options.length > 1) select.remove(1);
    [].forEach.call(form.querySelectorAll(".hook-row select"), function (s) {
      if (s.value) select.add(new Option(s.options[s.selectedIndex].text, s.value));
    });
    select.value = [].some.call(select.options, function (o) { return o.value === was; }) ? was : "";
  }

  [].forEach.call(document.querySelectorAll(".add-hook"), function (b) {
    b.addEventListener("click", function () { addHook(b.closest(".hook-variants"), "", "").focus(); });
  });

  /* --- ids made from names (unique among the advertiser's own; the server says if another has it) ------- */

  function slug(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function unique(base, taken) {
    base = base || "campaign";
    for (var n = 1; ; n++) {
      var tail = n === 1 ? "" : "-" + n;
      var id = base.slice(0, 64 - tail.length).replace(/-+$/, "") + tail;
      if (!taken[id]) return id;
    }
  }

  function ownIds(kind) {
    var taken = {};
    campaigns.forEach(function (c) {
      if (kind === "campaign") taken[c.id] = 1;
      else c.creatives.forEach(function (k) { taken[k.id] = 1; });
    });
    return taken;
  }

  function campaignId(name) {
    var s = slug(name);
    return unique(s.indexOf(advertiserId + "-") === 0 ? s : slug(advertiserId + " " + name), ownIds("campaign"));
  }

  function generate(form) {
    var id = form.elements.id;
    if (form.getAttribute("id") === "campaign-form" && !editing.id) {
      if (!id.hasAttribute("data-edited")) id.value = form.elements.name.value.trim() ? campaignId(form.elements.name.value) : "";
      var card = form.elements["creatives.0.id"];
      if (!card.hasAttribute("data-edited")) card.value = id.value ? unique(id.value + "-card", ownIds("creative")) : "";
    } else if (form.getAttribute("id") === "creative-form" && !editing.id && !id.hasAttribute("data-edited")) {
      id.value = unique(editing.campaign + "-card", ownIds("creative"));
    }
  }

  [].forEach.call(document.querySelectorAll("[data-generated]"), function (e) {
    e.addEventListener("input", function () { e.setAttribute("data-edited", ""); });
  });
  $("c-name").addEventListener("input", function () { generate($("campaign-form")); });

  /* --- every error at its field ------------------------------------------------------------------------- */

  function clearErrors(form) {
    [].forEach.call(form.querySelectorAll(".field-error"), function (e) { e.remove(); });
    [].forEach.call(form.querySelectorAll("[aria-invalid]"), function (e) { e.removeAttribute("aria-invalid"); });
    [].forEach.call(form.querySelectorAll("[data-described]"), function (e) {
      e.setAttribute("aria-describedby", e.getAttribute("data-described"));
      e.removeAttribute("data-described");
    });
    [].forEach.call(form.querySelectorAll("[aria-describedby='']"), function (e) { e.removeAttribute("aria-describedby"); });
    form.querySelector(".form-error").hidden = true;
  }

  /* The input (or group of choices) the API's path names: that name, else the nearest one holding it
     ("targeting.countries.2" -> the countries list), else the first within it ("targeting", run of site ->
     the topics), else none (the form's own message). */
  var AT = { targeting: "targeting.topics" }; /* run of site: name topics or keywords */
  function target(form, path) {
    var best = null, within = null;
    path = AT[path] || path;
    fields(form).concat([].slice.call(form.querySelectorAll("fieldset[data-name]"))).forEach(function (e) {
      var name = e.name || e.getAttribute("data-name");
      if ((path === name || path.indexOf(name + ".") === 0) && (!best || name.length > (best.name || best.getAttribute("data-name")).length)) best = e;
      if (!within && name.indexOf(path + ".") === 0) within = e;
    });
    best = best || within;
    if (best && best.type === "checkbox") best = best.closest("fieldset");
    return best;
  }

  function labelOf(e) {
    var label = e.tagName === "FIELDSET" ? e.querySelector("legend") : document.querySelector('label[for="' + e.id + '"]');
    return label ? label.textContent.replace(/ \((required|[A-Z]{3})\)/g, "").trim() : e.name;
  }

  function describe(e, id) {
    if (!e.hasAttribute("data-described")) e.setAttribute("data-described", e.getAttribute("aria-describedby") || "");
    e.setAttribute("aria-describedby", ((e.getAttribute("aria-describedby") || "") + " " + id).trim());
  }

  function showErrors(form, fieldMessages) {
    var shown = [], general = [];
    Object.keys(fieldMessages).forEach(function (path) {
      var text = fieldMessages[path].join(" ");
      var e = target(form, path);
      if (!e) { general.push(text); return; }
      var id = e.id + "-error";
      var box = $(id);
      if (box) { box.textContent += " " + text; return; }
      box = el("span", text, "field-error");
      box.id = id;
      (e.tagName === "FIELDSET" ? e : e.closest(".field, .hook-row") || e).appendChild(box);
      describe(e, id);
      (e.tagName === "FIELDSET" ? [].slice.call(e.querySelectorAll("input")) : [e]).forEach(function (i) {
        i.setAttribute("aria-invalid", "true");
        if (i !== e) describe(i, id);
      });
      shown.push({ input: e.tagName === "FIELDSET" ? e.querySelector("input") : e, text: labelOf(e) + ": " + text });
    });
    if (general.length) {
      form.querySelector(".form-error").textContent = general.join(" ");
      form.querySelector(".form-error").hidden = false;
    }
    shown.sort(function (a, b) { return a.input.compareDocumentPosition(b.input) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1; });
    if (shown.length) {
      for (var d = shown[0].input.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
      [].forEach.call(form.querySelectorAll("details"), function (det) { if (det.querySelector("[aria-invalid]")) det.open = true; });
      shown[0].input.focus();
    }
    return general.concat(shown.map(function (s) { return s.text; })).join(" ");
  }

  /* --- opening and saving ------------------------------------------------------------------------------- */

  function close() {
    editing = null;
    $("campaign-editor").hidden = $("creative-editor").hidden = true;
  }

  function openCampaign(c) {
    close();
    var form = $("campaign-form");
    editing = { kind: "campaign", id: c ? c.id : null };
    $("first-creative").disabled = $("first-creative").hidden = !!c; /* an edit changes creatives one by one */
    fill(form, c || { pricing: { model: limits.min_cpm === null && limits.min_cpc !== null ? "cpc" : "cpm" }, pacing: "even" });
    form.elements.id.readOnly = !!c;
    $("campaign-title").textContent = c ? "Edit " + c.name : "New campaign";
    $("campaign-editor").hidden = false;
    if (!c) previewSoon(form);
    forecastSoon();
    form.elements.name.focus();
  }

  function openCreative(c, k) {
    close();
    var form = $("creative-form");
    editing = { kind: "creative", id: k ? k.id : null, campaign: c.id };
    fill(form, k || { display_name: c.creatives.length ? c.creatives[0].display_name : "" });
    form.elements.id.readOnly = !!k;
    generate(form);
    $("creative-title").textContent = k ? "Edit " + k.id : "New creative in " + c.name;
    $("creative-editor").hidden = false;
    previewSoon(form);
    form.elements.title.focus();
  }

  function save(form, saving, done) {
    status("Saving…");
    saving.then(function () { close(); return load(); }).then(function () { status(done); }, function (e) {
      var said = Object.keys(e.fields || {}).length ? showErrors(form, e.fields) : "";
      status(said ? plural(Object.keys(e.fields).length, "field needs", "fields need") + " a change. " + said : e.message, true);
    });
  }

  $("campaign-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target, doc = read(form);
    clearErrors(form);
    if (editing.id) {
      delete doc.id;
      save(form, api("PATCH", "/v1/campaigns/" + editing.id, doc), "Campaign " + editing.id + " saved.");
    } else {
      save(form, api("POST", "/v1/campaigns", doc), "Campaign " + doc.id + " created.");
    }
  });

  $("creative-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target, doc = read(form);
    clearErrors(form);
    if (editing.id) {
      delete doc.id;
      save(form, api("PATCH", "/v1/creatives/" + editing.id, doc), "Creative " + editing.id + " saved.");
    } else {
      save(form, api("POST", "/v1/campaigns/" + editing.campaign + "/creatives", doc), "Creative " + doc.id + " saved.");
    }
  });

  [].forEach.call(document.querySelectorAll("button.cancel"), function (b) { b.addEventListener("click", close); });
  $("new-campaign").addEventListener("click", function () { openCampaign(null); });

  /* --- previews: a saved creative's, and the card being typed (debounced; the newest answer wins) ------- */

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

  var timers = {}, asked = {};
  function previewSoon(form) {
    clearTimeout(timers[form.getAttribute("id")]);
    timers[form.getAttribute("id")] = setTimeout(function () { livePreview(form); }, PREVIEW_DELAY);
  }

  function livePreview(form) {
    var doc = read(form), k = form.getAttribute("id") === "campaign-form" ? doc.creatives && doc.creatives[0] : doc;
    if (!k) return;
    /* Until the required parts are typed, stand-ins show where they go. */
    k.display_name = k.display_name || "Your name";
    k.title = k.title || "Your title";
    k.cta = { text: k.cta.text || "Learn more", url: k.cta.url || "https://example.com/" };
    var box = form.querySelector(".preview-card"), note = form.querySelector(".preview-note");
    var topic = form.querySelector(".preview-topic").value;
    var n = asked[form.getAttribute("id")] = (asked[form.getAttribute("id")] || 0) + 1;
    api("POST", "/v1/preview" + (topic ? "?topic=" + encodeURIComponent(topic) : ""), k).then(function (body) {
      if (n !== asked[form.getAttribute("id")]) return;
      window.adserver.preview(box, body.html);
      box.setAttribute("data-previewed", n);
      note.textContent = topic ? "On an article about " + topic + "." : "On any article.";
    }, function (e) {
      if (n !== asked[form.getAttribute("id")]) return;
      note.textContent = "The preview waits for: " + Object.keys(e.fields || {}).map(function (path) {
        var t = target(form, (form.getAttribute("id") === "campaign-form" ? "creatives.0." : "") + path);
        return (t ? labelOf(t) : path) + ": " + e.fields[path].join(" ");
      }).join(" ") || e.message;
    });
  }

  /* --- the reach forecast, while the targeting, price, budget and dates are edited (POST /v1/forecast) ------ */

  var FORECAST = /^(targeting\.|pricing\.|budget\.|starts_on$|ends_on$)/;
  var forecastTimer = null, forecastAsked = 0;
  function forecastSoon() {
    clearTimeout(forecastTimer);
    forecastTimer = setTimeout(forecast, PREVIEW_DELAY);
  }

  function forecast() {
    var doc = read($("campaign-form")), box = $("forecast");
    var body = { targeting: doc.targeting || {}, starts_on: doc.starts_on || null, ends_on: doc.ends_on || null };
    if (editing && editing.kind === "campaign" && editing.id) body.campaign = editing.id;
    if (doc.pricing && typeof doc.pricing.price === "number") body.pricing = doc.pricing;
    if (doc.budget && typeof doc.budget.total === "number") body.budget = doc.budget;
    var n = ++forecastAsked;
    box.hidden = false;
    api("POST", "/v1/forecast", body).then(function (f) {
      if (n !== forecastAsked) return;
      box.replaceChildren(el("h3", "Reach forecast"));
      if (!f.days) {
        box.appendChild(el("p", "No articles recorded yet: the forecast starts once the site has served for a day."));
        return;
      }
      var d = f.per_day, lines = [
        "About " + count(d.expected) + " matching impressions a day (" + count(d.low) + " to " + count(d.high) +
          " on most days), from the last " + plural(f.days, "day", "days") + " of articles.",
        f.competing ? plural(f.competing, "other campaign competes", "other campaigns compete") + " for the same articles at your tier or above."
          : "No other campaign competes for these articles at your tier or above."
      ];
      if (f.daily_budget_buys !== null) lines.push("Your daily budget pays for about " + count(f.daily_budget_buys) + " impressions a day.");
      if (f.flight) lines.push("Over your " + plural(f.flight.days, "day", "days") + ": about " + count(f.flight.expected) + ".");
      lines.forEach(function (t) { box.appendChild(el("p", t)); });
      var why = el("details");
      why.appendChild(el("summary", "What the forecast simplifies"));
      var list = el("ul");
      f.approximations.forEach(function (t) { list.appendChild(el("li", t)); });
      why.appendChild(list);
      box.appendChild(why);
    }, function (e) {
      if (n !== forecastAsked) return;
      var form = $("campaign-form");
      box.replaceChildren(el("h3", "Reach forecast"), el("p", "The forecast waits for: " + (Object.keys(e.fields || {}).map(function (path) {
        var t = target(form, path);
        return (t ? labelOf(t) : path) + ": " + e.fields[path].join(" ");
      }).join(" ") || e.message)));
    });
  }

  ["campaign-form", "creative-form"].forEach(function (id) {
    var form = $(id);
    var watch = function (ev) {
      if (ev.target.closest("#first-creative, #creative-form") || ev.target.classList.contains("preview-topic")) previewSoon(form);
      else if (id === "campaign-form" && FORECAST.test(ev.target.name || ev.target.closest("[data-name]") && ev.target.closest("[data-name]").getAttribute("data-name") || "")) forecastSoon();
    };
    form.addEventListener("input", watch);
    form.addEventListener("change", watch);
  });

  /* --- who is acting ------------------------------------------------------------------------------------ */

  /* Operator tokens act for one advertiser at a time, picked by name. */
  $("advertiser").addEventListener("change", function () {
    acting = $("advertiser").value;
    close();
    document.body.removeAttribute("data-loaded");
    load().then(function () { whoFor(); }).catch(function (e) { status(e.message, true); });
  });

  var names = {};
  function whoFor() {
    $("who").textContent = "Campaigns of " + names[advertiserId] + " (" + advertiserId + ")" +
      (acting ? ", acting as the operator" : "");
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
      status(campaigns.length ? plural(campaigns.length, "campaign", "campaigns") + "." : "No campaigns yet: start with New campaign.");
    }, function (e) {
      if (e.status === 401 || e.status === 429) {
        token = "";
        $("token").select();
      }
      status(e.message, true);
    });
  });
})();
