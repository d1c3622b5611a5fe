// Small progressive enhancements; every page works without them. No inline script anywhere (CSP).
(function () {
  "use strict";
  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Sections marked data-toggled-by="<checkbox id>" show only while that box is ticked.
  function syncToggles(root) {
    root.querySelectorAll("[data-toggled-by]").forEach(function (section) {
      var box = document.getElementById(section.getAttribute("data-toggled-by"));
      if (box) section.hidden = !box.checked;
    });
  }

  // An assignee select offers only the members of the chosen group (all groups while none is chosen).
  function syncAssignees(form) {
    var group = form.querySelector("select[name=group]");
    var select = form.querySelector("[data-assignee-select]");
    if (!group || !select) return;
    var chosen = group.value;
    select.querySelectorAll("optgroup").forEach(function (og) {
      var show = !chosen || og.getAttribute("data-group") === chosen;
      og.hidden = !show;
      og.disabled = !show;
    });
    var option = select.options[select.selectedIndex];
    if (option && option.parentElement && option.parentElement.disabled) select.value = "";
  }

  function pickRequester(button) {
    var hidden = document.getElementById("id_requester");
    if (!hidden) return;
    hidden.value = button.getAttribute("data-pick-requester");
    var chosen = document.getElementById("requester-chosen");
    var search = document.getElementById("requester-search");
    chosen.querySelector("[data-chosen-name]").textContent = button.getAttribute("data-name");
    chosen.hidden = false;
    search.hidden = true;
    // Pre-fill the contact details from the profile when the agent has not typed others.
    [["id_contact_phone", "data-phone"], ["id_contact_email", "data-email"]].forEach(function (pair) {
      var input = document.getElementById(pair[0]);
      var value = button.getAttribute(pair[1]);
      if (input && value && !input.value) input.value = value;
    });
    var results = document.getElementById("requester-results");
    if (results) results.innerHTML = "";
  }

  function clearRequester() {
    var hidden = document.getElementById("id_requester");
    if (hidden) hidden.value = "";
    document.getElementById("requester-chosen").hidden = true;
    var search = document.getElementById("requester-search");
    search.hidden = false;
    var input = document.getElementById("id_requester_query");
    if (input) { input.value = ""; input.focus(); }
  }

  onReady(function () {
    syncToggles(document);
    document.querySelectorAll("form").forEach(syncAssignees);

    document.body.addEventListener("change", function (event) {
      var el = event.target;
      // Selects marked data-autosubmit submit their form on change (language switcher).
      if (el.matches && el.matches("[data-autosubmit]") && el.form) {
        if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
      }
      if (el.matches && el.matches("input[type=checkbox]") && el.id) syncToggles(document);
      if (el.matches && el.matches("select[name=group]") && el.form) syncAssignees(el.form);
    });

    document.body.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target : event.target.parentElement;
      // Buttons marked data-confirm ask before a destructive step.
      var confirmEl = target.closest("[data-confirm]");
      if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      var pick = target.closest("[data-pick-requester]");
      if (pick) { event.preventDefault(); pickRequester(pick); return; }
      if (target.closest("[data-clear-requester]")) { event.preventDefault(); clearRequester(); }
    });

    // The queue filters leave empty fields out of the URL htmx requests and pushes (shorter, bookmarkable).
    document.body.addEventListener("htmx:configRequest", function (event) {
      var data = event.detail.formData;
      if (!data || !event.detail.elt.matches("form.filters")) return;
      var empty = [];
      data.forEach(function (value, key) { if (value === "") empty.push(key); });
      empty.forEach(function (key) { data.delete(key); });
    });

    // Enter in the requester search looks people up instead of sending the whole intake form.
    document.body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.id === "id_requester_query") event.preventDefault();
    });

    // A form submits once: a second tap while the first is in flight does nothing. (htmx forms are
    // excluded: they submit again on every filter change, and htmx itself drops the stale request.)
    document.body.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) return;
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
      form.setAttribute("aria-busy", "true");
      setTimeout(function () { form.dataset.submitting = ""; form.removeAttribute("aria-busy"); }, 8000);
    });
    // Coming back through the browser's cache must not leave a form stuck as "submitting".
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-submitting='1']").forEach(function (form) {
        form.dataset.submitting = "";
        form.removeAttribute("aria-busy");
      });
    });
  });
})();
