// The notice banner: a person may hide a notice they have read; it stays hidden in this browser. No inline
// script anywhere (CSP). Without JavaScript every current notice simply stays visible.
(function () {
  "use strict";
  var KEY = "sd-hidden-notices";

  function hiddenIds() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function remember(id) {
    var ids = hiddenIds();
    if (ids.indexOf(id) === -1) ids.push(id);
    try { window.localStorage.setItem(KEY, JSON.stringify(ids.slice(-50))); } catch (e) { /* private mode */ }
  }

  function apply() {
    var ids = hiddenIds();
    document.querySelectorAll("[data-notice-banner]").forEach(function (banner) {
      var left = 0;
      banner.querySelectorAll("[data-notice-id]").forEach(function (item) {
        var hide = ids.indexOf(item.getAttribute("data-notice-id")) !== -1;
        item.hidden = hide;
        if (!hide) left += 1;
      });
      banner.hidden = left === 0;
    });
  }

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    apply();
    document.body.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-dismiss-notice]");
      if (!button) return;
      event.preventDefault();
      remember(button.getAttribute("data-dismiss-notice"));
      apply();
    });
  });
})();
