// The report dashboard's charts and period picker. The data comes from a <script type="application/json"> element
// (json_script), so no inline script runs (CSP). Without JavaScript the figures are still in the tables.
(function () {
  "use strict";
  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function readData() {
    var node = document.getElementById("report-chart-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var COLORS = {
    tickets: "#1f6feb", resolved: "#2e7d32", breaches: "#c62828",
    fcr_rate: "#6a1b9a", response_sla_rate: "#00838f", resolution_sla_rate: "#ef6c00", satisfied_rate: "#2e7d32"
  };

  function dataset(data, key, type) {
    return {
      type: type, label: data.names[key], data: data.series[key],
      borderColor: COLORS[key], backgroundColor: type === "bar" ? COLORS[key] + "cc" : COLORS[key],
      borderWidth: 2, pointRadius: data.labels.length > 40 ? 0 : 2, spanGaps: true, tension: 0.2
    };
  }

  function drawCharts() {
    var data = readData();
    if (!data || typeof window.Chart === "undefined") return;
    var volume = document.getElementById("chart-volume");
    var rates = document.getElementById("chart-rates");
    var common = { responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
                   plugins: { legend: { position: "bottom" } } };
    if (volume) {
      new window.Chart(volume, {
        type: "bar",
        data: { labels: data.labels, datasets: [dataset(data, "tickets", "bar"), dataset(data, "resolved", "line"),
                                                  dataset(data, "breaches", "line")] },
        options: Object.assign({}, common, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } })
      });
    }
    if (rates) {
      new window.Chart(rates, {
        type: "line",
        data: { labels: data.labels, datasets: ["fcr_rate", "response_sla_rate", "resolution_sla_rate", "satisfied_rate"]
          .map(function (key) { return dataset(data, key, "line"); }) },
        options: Object.assign({}, common, { scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } })
      });
    }
  }

  // Choosing a preset period shows it at once; typing a date switches the picker to "custom".
  function periodPicker() {
    var select = document.querySelector("[data-period-select]");
    if (!select) return;
    select.addEventListener("change", function () {
      if (select.value !== "custom" && select.form) select.form.submit();
    });
    document.querySelectorAll("[data-custom-date]").forEach(function (input) {
      input.addEventListener("change", function () { select.value = "custom"; });
    });
  }

  onReady(function () {
    periodPicker();
    drawCharts();
  });
})();
