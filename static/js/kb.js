// Knowledge tools on the ticket screens (no inline script anywhere: CSP). Every page works without it;
// the suggestion panels themselves are htmx.
(function () {
  "use strict";

  function show(id, text) {
    var el = document.getElementById(id);
    if (!el) return;
    var label = el.querySelector("[data-kb-chosen-text]");
    if (label) label.textContent = text;
    el.hidden = !text;
  }

  // Ticket page: append an article's answer to the reply box.
  function insertAnswer(button) {
    var box = document.getElementById(button.getAttribute("data-kb-target") || "id_body");
    if (!box) return;
    var text = button.getAttribute("data-kb-insert") || "";
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
    box.focus();
    box.scrollIntoView({ block: "center" });
  }

  // Intake form: resolve the new report with this article on first contact.
  function useArticle(button) {
    var hidden = document.getElementById("id_kb_article");
    var resolveNow = document.getElementById("id_resolve_now");
    var resolution = document.getElementById("id_resolution");
    if (!hidden || !resolveNow || !resolution) return;
    hidden.value = button.getAttribute("data-kb-use-article");
    resolveNow.checked = true;
    resolveNow.dispatchEvent(new Event("change", { bubbles: true }));
    var dispatchNow = document.getElementById("id_dispatch_now");
    if (dispatchNow && dispatchNow.checked) {
      dispatchNow.checked = false;
      dispatchNow.dispatchEvent(new Event("change", { bubbles: true }));
    }
    resolution.value = button.getAttribute("data-kb-answer") || "";
    show("kb-chosen-article", button.getAttribute("data-kb-title") || "");
    resolution.focus();
  }

  // Intake form: record the report as a duplicate of an open ticket.
  function linkDuplicate(button) {
    var hidden = document.getElementById("id_duplicate_of");
    if (!hidden) return;
    hidden.value = button.getAttribute("data-kb-duplicate");
    show("kb-chosen-duplicate", hidden.value);
  }

  function clearChoice(button) {
    var which = button.getAttribute("data-kb-clear");
    var hidden = document.getElementById(which === "article" ? "id_kb_article" : "id_duplicate_of");
    if (hidden) hidden.value = "";
    show(which === "article" ? "kb-chosen-article" : "kb-chosen-duplicate", "");
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    var el;
    if ((el = target.closest("[data-kb-insert]"))) { event.preventDefault(); insertAnswer(el); return; }
    if ((el = target.closest("[data-kb-use-article]"))) { event.preventDefault(); useArticle(el); return; }
    if ((el = target.closest("[data-kb-duplicate]"))) { event.preventDefault(); linkDuplicate(el); return; }
    if ((el = target.closest("[data-kb-clear]"))) { event.preventDefault(); clearChoice(el); }
  });
})();
