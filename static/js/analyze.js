// Upload page: drag and drop, one XHR per photo with a progress bar, then status polling until
// every analysis is done or failed. Without this script the form still posts normally.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("images");
  const dropzone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const statusUrl = form.dataset.statusUrl;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const watching = new Map(); // analysis id -> list item

  function item(name) {
    const li = document.createElement("li");
    li.className = "upload-item";
    li.innerHTML = '<span class="upload-name"></span><progress max="100" value="0"></progress>' +
      '<span class="status status-uploading">Uploading</span><span class="upload-detail"></span>';
    li.querySelector(".upload-name").textContent = name;
    list.prepend(li);
    return li;
  }

  function show(li, a) {
    li.dataset.status = a.status;
    const status = li.querySelector(".status");
    status.className = "status status-" + a.status;
    status.textContent = a.status_label;
    const detail = li.querySelector(".upload-detail");
    if (a.status === "done") {
      detail.textContent = a.faces ? a.faces + (a.faces === 1 ? " face" : " faces") + (a.top_emotion ? " · " + a.top_emotion : "") : "no face found";
    } else if (a.status === "failed") {
      detail.textContent = a.error;
    }
    const name = li.querySelector(".upload-name");
    if (a.url && name.tagName !== "A") {
      const link = document.createElement("a");
      link.href = a.url;
      link.className = "upload-name";
      link.textContent = name.textContent;
      name.replaceWith(link);
    }
    if (a.status === "done" || a.status === "failed") watching.delete(a.id);
  }

  function upload(file) {
    const li = item(file.name);
    const data = new FormData();
    data.append("images", file);
    data.append("model", form.elements.model.value);
    data.append("detector", form.elements.detector.value);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) li.querySelector("progress").value = (100 * e.loaded) / e.total;
    });
    xhr.addEventListener("load", () => {
      li.querySelector("progress").remove();
      let body;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      const result = body && body.results && body.results[0];
      if (!result) {
        show(li, { status: "failed", status_label: "Refused", error: "The server could not take this file (" + xhr.status + ")." });
      } else if (!result.ok) {
        li.classList.add("upload-error");
        show(li, { status: "failed", status_label: "Refused", error: result.error });
      } else {
        li.dataset.id = result.id;
        watching.set(result.id, li);
        show(li, result);
        poll();
      }
    });
    xhr.addEventListener("error", () => {
      li.querySelector("progress")?.remove();
      show(li, { status: "failed", status_label: "Failed", error: "The upload did not reach the server." });
    });
    xhr.send(data);
  }

  let timer = null;
  function poll() {
    if (timer || watching.size === 0) return;
    timer = setTimeout(async () => {
      timer = null;
      try {
        const response = await fetch(statusUrl + "?ids=" + [...watching.keys()].join(","), { headers: { Accept: "application/json" } });
        if (response.ok) {
          const body = await response.json();
          body.analyses.forEach((a) => watching.has(a.id) && show(watching.get(a.id), a));
        }
      } catch (err) { /* network blip: try again */ }
      poll();
    }, 800);
  }

  function send(files) {
    [...files].forEach(upload);
    input.value = "";
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.files.length) send(input.files);
  });
  input.addEventListener("change", () => send(input.files));
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => dropzone.classList.remove("dragging")));
  dropzone.addEventListener("drop", (e) => {
    e.preventDefault();
    send(e.dataTransfer.files);
  });

  // Analyses still pending from earlier visits keep updating too.
  document.querySelectorAll(".recent .upload-item").forEach((li) => {
    if (li.dataset.status === "pending" || li.dataset.status === "running") {
      li.querySelector("a").classList.add("upload-name");
      watching.set(li.dataset.id, li);
    }
  });
  poll();
})();
