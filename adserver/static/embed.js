/* adserver embed v1: fills each [data-adserver-slot] with the sponsor card for this article.
 * Paste: <div data-adserver-slot data-placement="article-footer" style="min-height:300px"></div>
 *        <script async src="https://ADS-HOST/embed.js"></script>
 * No cookies, no storage, no requests to anyone but ADS-HOST. Opt out per page with
 * <html data-adserver-optout> or <meta name="adserver" content="optout">. */
(function () {
  "use strict";
  var d = document;
  var script = d.currentScript;
  var origin = new URL(script ? script.src : "/", location.href).origin;
  var TIMEOUT = 1500, VIEW_MS = 1000, RATIO = 0.5;
  var CSS =
    ":host{display:block;font:inherit;color:inherit}" +
    ".ads-card{box-sizing:border-box;font-family:inherit;font-size:15px;line-height:1.5;border:1px solid #d8d8d0;" +
    "border-radius:10px;padding:14px 16px;margin:0;background:#fff;color:#1b1b1b;overflow-wrap:anywhere}" +
    ".ads-head{display:flex;gap:8px;flex-wrap:wrap;font-size:12px;color:#666}" +
    ".ads-label{text-transform:uppercase;letter-spacing:.06em}.ads-tagline{margin-left:auto}" +
    ".ads-hook{font-style:italic;margin:.5em 0}.ads-title{margin:.2em 0;font-size:18px}" +
    ".ads-title a{color:inherit;text-decoration:none}.ads-image{max-width:100%;height:auto}" +
    ".ads-code{background:#111;color:#d6f5d6;padding:8px;border-radius:6px;overflow:auto;font-size:13px}" +
    ".ads-code code{display:block}.ads-actions a{margin-right:12px;color:#0b57d0}.ads-cta{font-weight:600}" +
    ".ads-fine{font-size:12px;color:#777;margin-bottom:0}" +
    "@media (prefers-color-scheme:dark){.ads-card{background:#1d1f21;color:#e8e8e3;border-color:#3a3d40}" +
    ".ads-head,.ads-fine{color:#a9aaa5}.ads-actions a{color:#8ab4f8}}";

  function attr(el, name) {
    return (el.getAttribute(name) || "").trim();
  }
  function metas(name) {
    var out = [];
    d.querySelectorAll('meta[name="' + name + '"],meta[property="' + name + '"]').forEach(function (m) {
      if (attr(m, "content")) out.push(attr(m, "content"));
    });
    return out;
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

  function collapse(slot) {
    slot.style.minHeight = "0";
    slot.style.display = "none";
    slot.setAttribute("data-adserver-state", "empty");
  }

  /* GET /v1/decision with a 1.5 s budget; resolves to the decision or null (no fill, error, timeout). */
  function request(q) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, TIMEOUT);
    return fetch(origin + "/v1/decision?" + q, {
      credentials: "omit", cache: "no-store", referrerPolicy: "strict-origin", signal: ctl && ctl.signal
    }).then(function (r) {
      return r.status === 200 ? r.json() : null;
    }).catch(function () {
      return null;
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
    if (!window.IntersectionObserver) return;
    var visible = false, timer = 0, done = false;
    function arm() {
      clearTimeout(timer);
      timer = 0;
      if (visible && !d.hidden && !done) {
        timer = setTimeout(function () {
          done = true;
          io.disconnect();
          d.removeEventListener("visibilitychange", arm);
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
  }

  function render(slot, res) {
    var root = slot.attachShadow ? slot.attachShadow({ mode: "open" }) : slot;
    var style = d.createElement("style");
    style.textContent = CSS;
    var box = d.createElement("div");
    box.innerHTML = res.html; // server-rendered, every field escaped
    root.appendChild(style);
    root.appendChild(box);
    slot.setAttribute("data-adserver-state", "filled");
    slot.setAttribute("data-adserver-decision", res.decision_id);
    watchView(box.firstElementChild || box, res.tracking.view_url, slot);
  }

  /* Slots are filled one after another so a page never shows the same sponsor twice. */
  function fillAll() {
    var slots = [].slice.call(d.querySelectorAll("[data-adserver-slot]:not([data-adserver-state])"));
    if (optedOut()) return slots.forEach(collapse);
    var seen = [];
    slots.reduce(function (prev, slot) {
      slot.setAttribute("data-adserver-state", "loading");
      return prev.then(function () {
        var q = context(slot);
        if (seen.length) q.set("exclude", seen.join(","));
        return request(q).then(function (res) {
          if (!res || !res.html) return collapse(slot);
          seen.push(res.campaign.advertiser_id);
          render(slot, res);
        });
      });
    }, Promise.resolve()).catch(function () {});
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", fillAll);
  else fillAll();
})();
