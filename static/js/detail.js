// Result page: while the analysis is pending or running, poll its status and reload once it ends.
(function () {
  "use strict";
  const el = document.getElementById("analysis-status");
  if (!el || el.dataset.status === "done" || el.dataset.status === "failed") return;
  const url = el.dataset.statusUrl + "?ids=" + el.dataset.id;
  async function check() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const a = (await response.json()).analyses[0];
        if (a && (a.status === "done" || a.status === "failed")) return window.location.reload();
        if (a && a.status !== el.dataset.status) {
          el.dataset.status = a.status;
          el.querySelector(".status").textContent = a.status_label;
        }
      }
    } catch (err) { /* try again */ }
    setTimeout(check, 800);
  }
  setTimeout(check, 800);
})();
