/* adserver embed v1: fills each [data-adserver-slot] with the sponsor card for this article.
 * No cookies, no storage, no requests to anyone but ADS-HOST. Its API: docs/publishers.md, "Publisher snippet". */
(function () {
  "use strict";
  var d = document;
  var script = d.currentScript;
  var origin = new URL(script ? script.src : "/", location.href).origin;
  var TIMEOUT = 1500, VIEW_MS = 1000, RATIO = 0.5;
  var CSS =
    ":host{display:block;font:inherit;color:inherit}" +
    ".ads-card{box-sizing:border-box;display:flex;flex-direction:column;gap:8px;font-size:15px;line-height:1.45;" +
    "border:1px solid #d8d8d0;border-radius:10px;padding:12px 16px;background:#fff;color:#1b1b1b;" +
    "overflow-wrap:anywhere}.ads-card>*{margin:0}" +
    ".ads-head{display:flex;gap:0 8px;flex-wrap:wrap;font-size:12px;color:#666}" +
    ".ads-label{text-transform:uppercase;letter-spacing:.06em}.ads-tagline{margin-left:auto}" +
    ".ads-hook{font-style:italic}.ads-title{font-size:18px;line-height:1.3}" +
    ".ads-title a{color:inherit;text-decoration:none}" +
    ".ads-image{display:block;max-width:100%;height:96px;object-fit:contain}" +
    ".ads-code{background:#111;color:#d6f5d6;padding:8px;border-radius:6px;overflow:auto;font-size:13px}" +
    ".ads-actions a{margin-right:12px;color:#0b57d0}.ads-cta{font-weight:600}" +
    ".ads-fine{font-size:12px;color:#666}" +
    ".dark .ads-card{background:#1d1f21;color:#e8e8e3;border-color:#3a3d40}" +
    ".dark .ads-head,.dark .ads-fine{color:#a9aaa5}.dark .ads-actions a{color:#8ab4f8}";
  var live = new WeakMap(); // slot -> {css: its own inline style, box, stop: ends its view watch}
  var run = 0; // a reload makes older answers stale

  function attr(el, name) {
    return (el.getAttribute(name) || "").trim();
  }
  function all(sel) {
    return [].slice.call(d.querySelectorAll(sel));
  }
  function metas(name) {
    return all('meta[name="' + name + '"],meta[property="' + name + '"]').map(function (m) {
      return attr(m, "content");
    }).filter(Boolean);
  }
  function optedOut() {
    return d.documentElement.hasAttribute("data-adserver-optout") ||
      metas("adserver").some(function (v) { return v.toLowerCase() === "optout"; });
  }

  /* The article context: the slot's own attributes first, else what the page says about itself. */
  function context(slot) {
    var h1 = d.querySelector("h1");
    var keywords = attr(slot, "data-keywords") ||
      metas("keywords").concat(metas("article:tag")).join(",");
    var c = {
      placement: attr(slot, "data-placement") || "article-footer",
      topic: attr(slot, "data-topic") || metas("article:section")[0] || "",
      keywords: keywords.split(",").map(function (k) { return k.trim(); })
        .filter(function (k, i, all) { return k && all.indexOf(k) === i; }).slice(0, 50).join(","),
      title: (attr(slot, "data-title") || metas("og:title")[0] || (h1 ? h1.textContent : "")).trim().slice(0, 500),
      id: attr(slot, "data-article-id"),
      reader: attr(slot, "data-reader") /* the publisher's own anonymous id, for frequency caps */
    };
    var q = new URLSearchParams();
    Object.keys(c).forEach(function (k) { if (c[k]) q.set(k, c[k]); });
    return q;
  }

  function emit(slot, name, detail) {
    return slot.dispatchEvent(new CustomEvent("adserver:" + name, { bubbles: true, cancelable: true, detail: detail }));
  }

  /* Collapses the slot unless an `adserver:empty` listener called preventDefault() to fill it itself. */
  function empty(slot, reason) {
    slot.setAttribute("data-adserver-state", "empty");
    if (emit(slot, "empty", { reason: reason })) {
      slot.style.minHeight = "0";
      slot.style.display = "none";
    }
  }

  /* Dark: data-theme, else the site's dark-mode selector, else the page's background behind the slot. */
  function dark(slot) {
    var t = attr(slot, "data-theme"), sel = attr(slot, "data-dark-selector");
    if (t === "dark" || t === "light") return t === "dark";
    try {
      if (sel) return !!d.querySelector(sel);
    } catch (e) {} // not a selector: as if none were given
    for (var e = slot; e; e = e.parentElement) {
      var c = getComputedStyle(e).backgroundColor.match(/[\d.]+/g) || [];
      if (c.length === 3 || c[3] > 0) return c[0] * 0.3 + c[1] * 0.6 + c[2] * 0.1 < 128;
    }
    return /dark/.test(getComputedStyle(d.documentElement).colorScheme) &&
      matchMedia("(prefers-color-scheme:dark)").matches;
  }
  function theme() {
    all("[data-adserver-state=filled]").forEach(function (slot) {
      var s = live.get(slot);
      if (s && s.box) s.box.className = dark(slot) ? "dark" : "";
    });
  }

  /* GET with a 1.5 s budget; resolves to the answer, else the HTTP status (0: error, timeout). */
  function request(path, q) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, TIMEOUT);
    return fetch(origin + "/v1/" + path + "?" + q, {
      credentials: "omit", cache: "no-store", referrerPolicy: "strict-origin", signal: ctl.signal
    }).then(function (r) {
      return r.status === 200 ? r.json() : r.status;
    }).catch(function () {
      return 0;
    }).then(function (res) {
      clearTimeout(timer);
      return res;
    });
  }

  function beacon(url) {
    if (!(navigator.sendBeacon && navigator.sendBeacon(url))) {
      fetch(url, { method: "POST", keepalive: true, credentials: "omit" }).catch(function () {});
    }
  }

  /* View = at least 50% of the card in the viewport for one continuous second of a visible tab; once. */
  function watchView(card, url, slot) {
    if (!window.IntersectionObserver) return null;
    var visible = false, timer = 0, done = false;
    function stop() {
      done = true;
      clearTimeout(timer);
      io.disconnect();
      d.removeEventListener("visibilitychange", arm);
    }
    function arm() {
      clearTimeout(timer);
      timer = 0;
      if (visible && !d.hidden && !done) {
        timer = setTimeout(function () {
          stop();
          slot.setAttribute("data-adserver-viewed", "");
          beacon(url);
        }, VIEW_MS);
      }
    }
    var io = new IntersectionObserver(function (entries) {
      var e = entries[entries.length - 1];
      visible = e.isIntersecting && e.intersectionRatio >= RATIO;
      arm();
    }, { threshold: [0, RATIO, 1] });
    io.observe(card);
    d.addEventListener("visibilitychange", arm);
    return stop;
  }

  /* The card keeps to its reserved space (no layout shift): parts go, least needed first, until it fits.
   * It is not stretched: the slot's min-height keeps the space below a short card. */
  function fit(card, h) {
    if (!h) return;
    ["image", "tagline", "code", "body"].some(function (part) {
      if (card.offsetHeight <= h) return true;
      var e = card.querySelector(".ads-" + part);
      if (e) e.remove();
    });
  }

  function paint(el, html) {
    var root = el.shadowRoot || el.attachShadow({ mode: "open" });
    var box = d.createElement("div");
    root.innerHTML = "<style>" + CSS + "</style>";
    box.innerHTML = html; // server-rendered, every field escaped
    box.className = dark(el) ? "dark" : "";
    root.appendChild(box);
    return box;
  }

  function render(slot, res) {
    var h = parseFloat(getComputedStyle(slot).minHeight) || slot.offsetHeight;
    var s = live.get(slot);
    var box = paint(slot, res.html);
    var card = box.firstElementChild || box;
    fit(card, h);
    slot.setAttribute("data-adserver-state", "filled");
    slot.setAttribute("data-adserver-decision", res.decision_id);
    s.box = box;
    s.stop = watchView(card, res.tracking.view_url, slot);
    emit(slot, "filled", { decision_id: res.decision_id, campaign: res.campaign });
  }

  /* The slot as the publisher wrote it (its own content shows again). */
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

  /* Slots with the same context share one request (/v1/decisions: one card per placement, no sponsor
   * twice); slots with their own context follow one after another, excluding the sponsors already shown. */
  function fill(again) {
    var slots = all("[data-adserver-slot]" + (again ? "" : ":not([data-adserver-state])"));
    var mine = ++run, seen = [], groups = {}, out = optedOut();
    slots.forEach(reset);
    slots.forEach(function (slot) {
      var q = context(slot), k;
      q.delete("placement");
      (groups[(k = "" + q)] = groups[k] || []).push(slot);
    });
    return Object.keys(groups).reduce(function (prev, k) {
      return prev.then(function () {
        var g = groups[k], q = new URLSearchParams(k), many = g.length > 1;
        if (mine !== run) return;
        if (out) return g.forEach(function (slot) { empty(slot, "optout"); });
        if (seen.length) q.set("exclude", seen.join(","));
        q.set(many ? "placements" : "placement", g.map(function (slot) {
          return context(slot).get("placement");
        }).join(","));
        return request(many ? "decisions" : "decision", q).then(function (res) {
          if (mine !== run) return;
          g.forEach(function (slot, i) {
            var r = many && res && res.decisions ? res.decisions[i] : res;
            if (!r || !r.html) return empty(slot, r === null || r === 204 ? "nofill" : "error");
            seen.push(r.campaign.advertiser_id);
            render(slot, r);
          });
        });
      });
    }, Promise.resolve()).catch(function () {});
  }

  function start() {
    fill();
    var mo = new MutationObserver(theme);
    [d.documentElement, d.body].forEach(function (e) { mo.observe(e, { attributes: true }); });
    var mq = matchMedia("(prefers-color-scheme:dark)");
    if (mq.addEventListener) mq.addEventListener("change", theme);
  }

  /* For single-page sites: after a route change, re-read the context and refill every slot. */
  /* preview(el, html): /advertiser's card preview, counting nothing. */
  window.adserver = { reload: function () { return fill(true); }, preview: paint };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
