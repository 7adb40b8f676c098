// Result page: "compare models" updates itself while the models run, and each heatmap follows its model choice.
(function () {
  "use strict";
  document.querySelectorAll("details.heatmap").forEach((details) => {
    const img = details.querySelector(".heatmap-image");
    const select = details.querySelector(".heatmap-model");
    if (!img || !select) return;
    select.addEventListener("change", () => {
      img.src = img.dataset.baseUrl + "?model=" + encodeURIComponent(select.value);
    });
  });

  const section = document.getElementById("compare");
  const waiting = section && ["pending", "running"].includes(section.dataset.compareStatus);
  if (!waiting) return;
  const url = section.dataset.statusUrl + "?ids=" + section.dataset.id;
  async function check() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const a = (await response.json()).analyses[0];
        if (a && ["done", "failed"].includes(a.compare_status)) {
          window.location.hash = "compare";
          return window.location.reload();
        }
      }
    } catch (err) { /* try again */ }
    setTimeout(check, 1000);
  }
  setTimeout(check, 1000);
})();
