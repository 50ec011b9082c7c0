/* adserver embed v1: fills each [data-adserver-slot] with the sponsor card for this article.
 * No cookies, no storage, no requests to anyone but ADS-HOST. Its API: docs/publishers.md, "Publisher snippet". */
(() => {
  "use strict";
  var d = document;
  var origin = new URL((d.currentScript || {}).src || "/", location.href).origin;
  var TIMEOUT = 1500, VIEW_MS = 1000, RATIO = 0.5;
  var CSS =
    ":host{display:block;font:inherit;color:inherit}" +
    ".ads-card{box-sizing:border-box;display:flex;flex-flow:column;gap:8px;font-size:15px;line-height:1.45;" +
    "border:1px solid #d8d8d0;border-radius:10px;padding:12px 16px;background:#fff;color:#1b1b1b;" +
    "overflow-wrap:anywhere}.ads-card>*{margin:0}" +
    ".ads-head{display:flex;gap:0 8px;flex-flow:wrap}.ads-head,.ads-fine{font-size:12px;color:#666}" +
    ".ads-label{text-transform:uppercase;letter-spacing:.06em}.ads-tagline{margin-left:auto}" +
    ".ads-hook{font-style:italic}.ads-title{font-size:18px;line-height:1.3}" +
    ".ads-title a{color:inherit;text-decoration:none}" +
    ".ads-image{display:block;max-width:100%;height:96px;object-fit:contain}" +
    ".ads-code{background:#111;color:#d6f5d6;padding:8px;border-radius:6px;overflow:auto;font-size:13px}" +
    ".ads-actions a{margin-right:12px;color:#0b57d0}.ads-cta{font-weight:600}" +
    ".dark .ads-card{background:#1d1f21;color:#e8e8e3;border-color:#3a3d40}" +
    ".dark .ads-head,.dark .ads-fine{color:#a9aaa5}.dark .ads-actions a{color:#8ab4f8}";
  var live = new WeakMap(); // slot -> {css: as the publisher wrote it, box, stop: ends its view watch}
  var run = 0; // a reload makes older answers stale

  function attr(el, name) {
    return (el.getAttribute(name) || "").trim();
  }
  function all(sel) {
    return [].slice.call(d.querySelectorAll(sel));
  }
  function metas(name) {
    return all('meta[name="' + name + '"],meta[property="' + name + '"]').map(m => attr(m, "content")).filter(Boolean);
  }

  /* The JSON-LD article (NewsArticle, BlogPosting...: alone, in an array or an @graph), or {}. */
  function ld() {
    function find(o) {
      return o && (/(Article|BlogPosting)\b/.test([].concat(o["@type"])) ? o :
        [].concat(Array.isArray(o) ? o : o["@graph"] || []).map(find).find(Boolean));
    }
    return all('script[type="application/ld+json"]').map(s => {
      try {
        return find(JSON.parse(s.textContent));
      } catch {} // not JSON: as if absent
    }).find(Boolean) || {};
  }
  function first(v) {
    v = [].concat(v)[0];
    return typeof v == "string" ? v.trim() : "";
  }

  /* The slot's data-* attributes, else the page's JSON-LD (`a`), else its meta tags; within the API's limits. */
  function context(slot, a) {
    var keywords = attr(slot, "data-keywords") || [].concat(a.keywords).map(first).join() ||
      metas("news_keywords").concat(metas("keywords"), metas("article:tag")).join();
    var c = {
      topic: (attr(slot, "data-topic") || first(a.articleSection) || first(metas("article:section"))).slice(0, 100),
      keywords: keywords.split(",").map(first)
        .filter((k, i, all) => k && k.length <= 100 && all.indexOf(k) === i).slice(0, 50).join(),
      title: (attr(slot, "data-title") || first(a.headline) || first(metas("og:title")) ||
        first((d.querySelector("h1") || {}).textContent)).slice(0, 500),
      summary: first(a.description).slice(0, 500),
      id: attr(slot, "data-article-id"),
      site: attr(slot, "data-site"),
      reader: attr(slot, "data-reader") /* the publisher's own anonymous id, for frequency caps */
    };
    return "" + new URLSearchParams(Object.entries(c).filter(e => e[1]));
  }

  function emit(slot, name, detail) {
    return slot.dispatchEvent(new CustomEvent("adserver:" + name, { bubbles: true, cancelable: true, detail }));
  }

  /* Collapses the slot unless an adserver:empty listener calls preventDefault(). */
  function empty(slot, reason) {
    slot.setAttribute("data-adserver-state", "empty");
    if (emit(slot, "empty", { reason })) {
      slot.style.minHeight = "0";
      slot.style.display = "none";
    }
  }

  /* Dark: data-theme, else data-dark-selector, else the page's background behind the slot. */
  function dark(slot) {
    var t = attr(slot, "data-theme"), sel = attr(slot, "data-dark-selector");
    if (t === "dark" || t === "light") return t === "dark";
    try {
      if (sel) return !!d.querySelector(sel);
    } catch {} // not a selector: as if none were given
    for (var e = slot; e; e = e.parentElement) {
      var c = getComputedStyle(e).backgroundColor.match(/[\d.]+/g) || [];
      if (c.length === 3 || c[3] > 0) return c[0] * 0.3 + c[1] * 0.6 + c[2] * 0.1 < 128;
    }
    return /dark/.test(getComputedStyle(d.documentElement).colorScheme) &&
      matchMedia("(prefers-color-scheme:dark)").matches;
  }
  function theme() {
    all("[data-adserver-state=filled]").forEach(slot => {
      var s = live.get(slot);
      if (s && s.box) s.box.className = dark(slot) ? "dark" : "";
    });
  }

  /* GET within TIMEOUT: the answer, else the HTTP status (0: error, timeout). */
  function request(path, q) {
    var ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), TIMEOUT);
    return fetch(origin + "/v1/" + path + "?" + q, {
      credentials: "omit", cache: "no-store", referrerPolicy: "strict-origin", signal: ctl.signal
    }).then(r => r.status === 200 ? r.json() : r.status).catch(() => 0).finally(() => clearTimeout(timer));
  }

  function beacon(url) {
    navigator.sendBeacon && navigator.sendBeacon(url) ||
      fetch(url, { method: "POST", keepalive: true, credentials: "omit" }).catch(() => {});
  }

  /* A view: RATIO of the card in the viewport for VIEW_MS on end in a visible tab; once. */
  function watchView(card, url, slot) {
    if (!window.IntersectionObserver) return;
    var visible = false, timer = 0, done = false;
    function stop() {
      done = true;
      clearTimeout(timer);
      io.disconnect();
      d.removeEventListener("visibilitychange", arm);
    }
    function arm() {
      clearTimeout(timer);
      if (visible && !d.hidden && !done) {
        timer = setTimeout(() => {
          stop();
          slot.setAttribute("data-adserver-viewed", "");
          beacon(url);
        }, VIEW_MS);
      }
    }
    var io = new IntersectionObserver(entries => {
      var e = entries.pop();
      visible = e.isIntersecting && e.intersectionRatio >= RATIO;
      arm();
    }, { threshold: [0, RATIO, 1] });
    io.observe(card);
    d.addEventListener("visibilitychange", arm);
    return stop;
  }

  /* Too tall for its reserved space: parts go, least needed first (no layout shift). */
  function fit(card, h) {
    h && ["image", "tagline", "code", "body"].some(part => {
      if (card.offsetHeight <= h) return true;
      var e = card.querySelector(".ads-" + part);
      if (e) e.remove();
    });
  }

  function paint(el, html) {
    var root = el.shadowRoot || el.attachShadow({ mode: "open" }), box = d.createElement("div");
    root.innerHTML = "<style>" + CSS + "</style>";
    box.innerHTML = html; // server-rendered, every field escaped
    box.className = dark(el) ? "dark" : "";
    root.appendChild(box);
    return box;
  }

  function render(slot, res) {
    var h = parseFloat(getComputedStyle(slot).minHeight) || slot.offsetHeight, s = live.get(slot);
    var box = paint(slot, res.html), card = box.firstElementChild || box;
    fit(card, h);
    slot.setAttribute("data-adserver-state", "filled");
    slot.setAttribute("data-adserver-decision", res.decision_id);
    s.box = box;
    s.stop = watchView(card, res.tracking.view_url, slot);
    emit(slot, "filled", { decision_id: res.decision_id, campaign: res.campaign });
  }

  /* Back to the slot as the publisher wrote it. */
  function reset(slot) {
    var s = live.get(slot);
    if (!s) live.set(slot, (s = { css: slot.style.cssText }));
    if (s.stop) s.stop();
    s.box = s.stop = null;
    slot.style.cssText = s.css;
    if (slot.shadowRoot) slot.shadowRoot.innerHTML = "<slot></slot>";
    slot.removeAttribute("data-adserver-decision");
    slot.removeAttribute("data-adserver-viewed");
    slot.setAttribute("data-adserver-state", "loading");
  }

  /* Slots of one context share a request (/v1/decisions); contexts go in turn, excluding sponsors shown. */
  function fill(again) {
    var slots = all("[data-adserver-slot]" + (again ? "" : ":not([data-adserver-state])"));
    var mine = ++run, seen = [], groups = {}, a = ld();
    var out = d.documentElement.hasAttribute("data-adserver-optout") ||
      metas("adserver").some(v => v.toLowerCase() === "optout");
    slots.forEach(slot => {
      var k = context(slot, a);
      reset(slot);
      (groups[k] = groups[k] || []).push(slot);
    });
    return Object.keys(groups).reduce((prev, k) => prev.then(() => {
      var g = groups[k], q = new URLSearchParams(k), many = g.length > 1 ? "s" : "";
      if (mine !== run) return;
      if (out) return g.forEach(slot => empty(slot, "optout"));
      if (seen.length) q.set("exclude", seen.join(","));
      q.set("placement" + many, g.map(slot => attr(slot, "data-placement") || "article-footer"));
      return request("decision" + many, q).then(res => {
        if (mine !== run) return;
        g.forEach((slot, i) => {
          var r = many && res && res.decisions ? res.decisions[i] : res;
          if (!r || !r.html) return empty(slot, r === null || r === 204 ? "nofill" : "error");
          seen.push(r.campaign.advertiser_id);
          render(slot, r);
        });
      });
    }), Promise.resolve()).catch(() => {});
  }

  function start() {
    fill();
    var mo = new MutationObserver(theme), mq = matchMedia("(prefers-color-scheme:dark)");
    [d.documentElement, d.body].forEach(e => mo.observe(e, { attributes: true }));
    if (mq.addEventListener) mq.addEventListener("change", theme);
  }

  /* reload(): after a route change, refill every slot. preview(el, html): counts nothing. */
  window.adserver = { reload: () => fill(true), preview: paint };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
