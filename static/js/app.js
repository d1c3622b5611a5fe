// Small progressive enhancements; every page works without them. No inline script anywhere (CSP).
(function () {
  "use strict";
  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  onReady(function () {
    // Selects marked data-autosubmit submit their form on change (language switcher, queue filters).
    document.body.addEventListener("change", function (event) {
      var el = event.target;
      if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    });
    // Buttons marked data-confirm ask before a destructive step.
    document.body.addEventListener("click", function (event) {
      var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
      if (el && !window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
    });
    // A form submits once: a second tap while the first is in flight does nothing.
    document.body.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
      form.setAttribute("aria-busy", "true");
      setTimeout(function () { form.dataset.submitting = ""; form.removeAttribute("aria-busy"); }, 8000);
    });
  });
})();
