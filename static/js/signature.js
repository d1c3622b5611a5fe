// Customer sign-off on the technician's phone: the vendored signature pad draws on the canvas; on submit the
// drawing goes into the hidden "signature" field as a PNG data URL, which the server decodes and checks.
// No inline script or handlers (CSP). An empty pad is refused here and, again, by the server.
(function () {
  "use strict";

  function setUp(form) {
    var canvas = form.querySelector("[data-signature-canvas]");
    var field = form.querySelector("input[name=signature]");
    var empty = form.querySelector("[data-signature-empty]");
    if (!canvas || !field || typeof window.SignaturePad === "undefined") return;
    var pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)" });

    function resize() {
      // Match the canvas's pixels to its CSS size (and the screen's density) so strokes land under the finger.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(data);
    }
    window.addEventListener("resize", resize);
    resize();

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () { pad.clear(); field.value = ""; });

    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        // Refused before sending: stop here so app.js's once-only guard does not hold the next, signed submit.
        event.preventDefault();
        event.stopPropagation();
        if (empty) empty.hidden = false;
        return;
      }
      if (empty) empty.hidden = true;
      field.value = pad.toDataURL("image/png");
    });
  }

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  onReady(function () {
    document.querySelectorAll("form[data-wo-sign]").forEach(setUp);
  });
})();
