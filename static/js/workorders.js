// Work-order screens: tick the arrival countdown (the server renders the minutes; this only keeps them fresh).
// A second tap is held by app.js's once-only submit, and the idempotency key in each form makes a resend
// harmless anyway. No inline script (CSP).
(function () {
  "use strict";

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-wo-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var minutes = Math.floor((due - now) / 60000);
      var late = minutes < 0;
      var template = el.getAttribute(late ? "data-late-text" : "data-left-text") || "{n}";
      el.textContent = template.replace("{n}", String(Math.abs(minutes)));
      el.classList.toggle("wo-late-text", late);
    });
  }

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  onReady(function () {
    tick();
    window.setInterval(tick, 30000);
  });
})();
