/* adserver embed: fills each [data-adserver-slot] with the sponsor card for this article. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src, location.href).origin : location.origin;
  var CSS = ":host{display:block;min-height:var(--ads-min-height,0)}" +
    ".ads-card{font:15px/1.5 system-ui,sans-serif;border:1px solid #d8d8d0;border-radius:10px;padding:14px 16px;margin:24px 0;background:#fff;color:#1b1b1b}" +
    ".ads-head{display:flex;gap:8px;flex-wrap:wrap;font-size:12px;color:#666}.ads-label{text-transform:uppercase;letter-spacing:.06em}" +
    ".ads-tagline{margin-left:auto}.ads-hook{font-style:italic;margin:.5em 0}.ads-title{margin:.2em 0;font-size:18px}" +
    ".ads-title a{color:inherit;text-decoration:none}.ads-code{background:#111;color:#d6f5d6;padding:8px;border-radius:6px;overflow:auto}" +
    ".ads-code code{display:block}.ads-actions a{margin-right:12px}.ads-cta{font-weight:600}.ads-fine{font-size:12px;color:#777}";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"],meta[property="' + name + '"]');
    return el ? el.getAttribute("content") || "" : "";
  }
  function fill(slot) {
    var q = new URLSearchParams();
    q.set("placement", slot.getAttribute("data-placement") || "article-footer");
    var topic = slot.getAttribute("data-topic") || meta("article:section");
    var keywords = slot.getAttribute("data-keywords") || meta("keywords");
    var title = meta("og:title") || (document.querySelector("h1") || {}).textContent || "";
    if (topic) q.set("topic", topic);
    if (keywords) q.set("keywords", keywords);
    if (title) q.set("title", title.trim().slice(0, 500));
    fetch(origin + "/v1/decision?" + q.toString(), { credentials: "omit" }).then(function (r) {
      if (r.status !== 200) throw new Error("no fill");
      return r.json();
    }).then(function (d) {
      var root = slot.attachShadow ? slot.attachShadow({ mode: "open" }) : slot;
      root.innerHTML = "<style>" + CSS + "</style>" + d.html;
      watch(slot, d.tracking.view_url);
    }).catch(function () { slot.style.display = "none"; });
  }
  function watch(slot, url) {
    if (!("IntersectionObserver" in window)) return;
    var timer = null, sent = false;
    var io = new IntersectionObserver(function (entries) {
      var e = entries[0];
      if (e.intersectionRatio >= 0.5 && !document.hidden) {
        if (!timer) timer = setTimeout(function () {
          if (sent) return; sent = true; io.disconnect();
          if (!(navigator.sendBeacon && navigator.sendBeacon(url))) fetch(url, { method: "POST", keepalive: true, credentials: "omit" });
        }, 1000);
      } else if (timer) { clearTimeout(timer); timer = null; }
    }, { threshold: [0, 0.5, 1] });
    io.observe(slot);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-adserver-slot]"), fill);
})();
