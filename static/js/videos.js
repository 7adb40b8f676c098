// Videos page: one XHR per file with an upload bar, then the analysis progress of each video polled until
// it is done, failed or cancelled. Without this script the form still posts normally.
(function () {
  "use strict";
  const form = document.getElementById("video-form");
  if (!form) return;
  const input = document.getElementById("videos");
  const dropzone = document.getElementById("video-dropzone");
  const list = document.getElementById("video-upload-list");
  const statusUrl = form.dataset.statusUrl;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const finished = (s) => s === "done" || s === "failed" || s === "cancelled";
  const { watching, poll } = window.statusPoller({ url: statusUrl, key: "videos", every: 1000, show });

  function item(name) {
    const li = document.createElement("li");
    li.className = "upload-item video-item";
    li.innerHTML = '<span class="upload-name"></span><span class="status status-uploading">Uploading</span>' +
      '<span class="upload-detail"><progress max="1" value="0"></progress> <span class="progress-text"></span></span>';
    li.querySelector(".upload-name").textContent = name;
    list.prepend(li);
    return li;
  }

  function show(li, v) {
    li.dataset.status = v.status;
    const status = li.querySelector(".status");
    status.className = "status status-" + v.status;
    status.textContent = v.status_label;
    const detail = li.querySelector(".upload-detail");
    if (v.status === "done") {
      detail.textContent = interpolate(ngettext("%s face", "%s faces", v.tracks), [v.tracks])
        + (v.top_emotion ? " · " + interpolate(gettext("mostly %s"), [window.emotionName(v.top_emotion).toLowerCase()]) : "");
    } else if (finished(v.status)) {
      detail.textContent = v.error;
    } else {
      let bar = detail.querySelector("progress");
      if (!bar) { detail.innerHTML = '<progress max="1"></progress> <span class="progress-text"></span>'; bar = detail.querySelector("progress"); }
      bar.value = v.progress;
      detail.querySelector(".progress-text").textContent = Math.round(v.progress * 100) + "% · " +
        interpolate(gettext("%(done)s/%(expected)s frames"), { done: v.frames_analysed, expected: v.frames_expected }, true)
        + (v.cancelling ? " · " + gettext("cancelling") : "");
    }
    const name = li.querySelector(".upload-name");
    if (v.url && name.tagName !== "A") {
      const link = document.createElement("a");
      link.href = v.url;
      link.className = "upload-name";
      link.textContent = name.textContent;
      name.replaceWith(link);
    }
    if (finished(v.status)) watching.delete(v.id);
  }

  function refuse(li, message) {
    li.classList.add("upload-error");
    show(li, { status: "failed", status_label: gettext("Refused"), error: message });
  }

  function upload(file) {
    const li = item(file.name);
    const data = new FormData();
    data.append("videos", file);
    ["model", "detector", "fps"].forEach((name) => data.append(name, form.elements[name].value));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        li.querySelector("progress").value = e.loaded / e.total;
        li.querySelector(".progress-text").textContent = interpolate(gettext("uploading %s"), [Math.round((100 * e.loaded) / e.total) + "%"]);
      }
    });
    xhr.addEventListener("load", () => {
      let body;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      const result = body && body.results && body.results[0];
      if (!result) return refuse(li, interpolate(gettext("The server could not take this file (%s)."), [xhr.status]));
      if (!result.ok) return refuse(li, result.error);
      li.dataset.id = result.id;
      watching.set(result.id, li);
      show(li, result);
      poll();
    });
    xhr.addEventListener("error", () => refuse(li, gettext("The upload did not reach the server.")));
    xhr.send(data);
  }

  function send(files) {
    [...files].forEach(upload);
    input.value = "";
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); if (input.files.length) send(input.files); });
  input.addEventListener("change", () => send(input.files));
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => { e.preventDefault(); dropzone.classList.add("dragging"); }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => dropzone.classList.remove("dragging")));
  dropzone.addEventListener("drop", (e) => { e.preventDefault(); send(e.dataTransfer.files); });

  // Videos still running from earlier visits keep updating too.
  document.querySelectorAll("#video-recent .video-item").forEach((li) => {
    if (!finished(li.dataset.status)) watching.set(li.dataset.id, li);
  });
  poll();
})();
