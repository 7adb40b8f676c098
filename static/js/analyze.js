// Upload page: chosen photos are checked here first (type and size, the server's limits written
// into the form) and shown with a thumbnail; nothing is sent until "Analyse". Then one XHR per
// photo with a progress bar, each photo added to the top of the Recent list with a "View result"
// link, and status polling until every analysis is done or failed. A single photo opens its
// result page straight away (it updates itself). Without this script the form posts normally.
// Texts go through Django's JavaScript catalog (gettext, ngettext, interpolate; see docs/i18n.md).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const input = $("images"), dropzone = $("dropzone"), pickedList = $("picked"), message = $("upload-message");
  const list = $("upload-list"), emptyNote = $("recent-empty"), itemTemplate = $("result-item");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const limits = {
    maxBytes: Number(form.dataset.maxBytes), maxMb: form.dataset.maxMb, maxFiles: Number(form.dataset.maxFiles),
    types: form.dataset.types.split(","), typeNames: form.dataset.typeNames,
  };
  const picked = []; // {file, error, li, url}
  const { watching, poll } = window.statusPoller({
    url: form.dataset.statusUrl, key: "analyses", every: 800, show,
    onBody: (body) => body.models_ready && document.getElementById("models-loading")?.remove(),
  });

  const decimal = new Intl.NumberFormat(document.documentElement.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const megabytes = (n) => interpolate(gettext("%s MB"), [decimal.format(n / 1024 / 1024)]);

  function refusal(file) {
    if (!limits.types.includes(file.type)) return interpolate(gettext("This is not a %s photo."), [limits.typeNames]);
    if (file.size === 0) return gettext("The file is empty.");
    if (file.size > limits.maxBytes) {
      return interpolate(gettext("The file (%(size)s) is over the %(limit)s MB limit."),
        { size: megabytes(file.size), limit: limits.maxMb }, true);
    }
    return null;
  }

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  // --- Choosing photos -------------------------------------------------------------------------

  function pick(files) {
    say("");
    for (const file of files) {
      const entry = { file, error: refusal(file), url: null };
      const li = document.createElement("li");
      li.className = "result-item pick-item" + (entry.error ? " upload-error" : "");
      const thumb = document.createElement("span");
      thumb.className = "result-thumb";
      if (!entry.error) {
        entry.url = URL.createObjectURL(file);
        const img = document.createElement("img");
        img.src = entry.url;
        img.alt = "";
        thumb.append(img);
      }
      const main = document.createElement("span");
      main.className = "result-main";
      const name = document.createElement("span");
      name.className = "result-name";
      name.textContent = file.name;
      const detail = document.createElement("span");
      detail.className = "result-detail";
      detail.textContent = entry.error || interpolate(gettext("%s · ready"), [megabytes(file.size)]);
      main.append(name, detail);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button-ghost button-small";
      remove.textContent = gettext("Remove");
      remove.setAttribute("aria-label", interpolate(gettext("Remove %s"), [file.name]));
      remove.addEventListener("click", () => unpick(entry));
      li.append(thumb, main, remove);
      entry.li = li;
      pickedList.append(li);
      picked.push(entry);
    }
    input.value = ""; // choosing the same file again still counts as a change
  }

  function unpick(entry) {
    picked.splice(picked.indexOf(entry), 1);
    entry.li.remove();
    if (entry.url) URL.revokeObjectURL(entry.url);
  }

  // --- Uploading -------------------------------------------------------------------------------

  function resultItem(entry) {
    const li = itemTemplate.content.firstElementChild.cloneNode(true);
    li.dataset.new = "1";
    li.querySelector(".result-name").textContent = entry.file.name;
    if (entry.url) {
      const img = document.createElement("img");
      img.src = entry.url;
      img.alt = "";
      li.querySelector(".result-thumb").append(img);
    }
    list.prepend(li);
    emptyNote.hidden = true;
    // Keep the list short: older entries from before this visit go first.
    const shown = Number(list.dataset.shown);
    const old = [...list.querySelectorAll(".result-item:not([data-new])")];
    while (list.children.length > shown && old.length) old.pop().remove();
    return li;
  }

  function show(li, a) {
    li.dataset.status = a.status;
    const status = li.querySelector(".status");
    status.className = "status status-" + a.status;
    status.textContent = a.status_label;
    li.querySelector(".result-detail").textContent = a.summary || "";
    if (a.url) {
      const link = li.querySelector(".result-link");
      link.href = a.url;
      link.hidden = false;
    }
    if (a.thumbnail && !li.querySelector(".result-thumb img")) {
      const img = document.createElement("img");
      img.src = a.thumbnail;
      img.alt = "";
      li.querySelector(".result-thumb").append(img);
    }
    if (a.status === "done" || a.status === "failed") watching.delete(a.id);
  }

  function refused(li, text) {
    li.classList.add("upload-error");
    li.querySelector("progress")?.remove();
    show(li, { status: "failed", status_label: gettext("Refused"), summary: text });
  }

  function upload(entry, openResult) {
    const li = resultItem(entry);
    const data = new FormData();
    data.append("images", entry.file);
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
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON: an error page */ }
      const result = body && body.results && body.results[0];
      if (!result) return refused(li, interpolate(gettext("The server could not take this photo (HTTP %s); try again."), [xhr.status]));
      if (!result.ok) return refused(li, result.error);
      li.querySelector("progress")?.remove();
      li.dataset.id = result.id;
      if (openResult) return window.location.assign(result.url);
      watching.set(result.id, li);
      show(li, result);
      poll();
    });
    xhr.addEventListener("error", () => refused(li, gettext("The upload did not reach the server; check your connection and try again.")));
    xhr.send(data);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const ready = picked.filter((entry) => !entry.error);
    if (!ready.length) {
      say(picked.length ? interpolate(gettext("None of the chosen files can be analysed (see why above): choose %s photos."), [limits.typeNames])
        : gettext("Choose at least one photo first: drop it on the box above or press “choose files”."));
      input.focus();
      return;
    }
    if (ready.length > limits.maxFiles) {
      say(interpolate(gettext("At most %(max)s photos at a time; you chose %(chosen)s. Remove some and press Analyse again."),
        { max: limits.maxFiles, chosen: ready.length }, true));
      return;
    }
    say("");
    ready.forEach((entry) => upload(entry, ready.length === 1));
    picked.filter((entry) => entry.error).forEach(unpick);
    picked.length = 0;
    pickedList.replaceChildren();
  });
  input.addEventListener("change", () => pick(input.files));
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => dropzone.classList.remove("dragging")));
  dropzone.addEventListener("drop", (e) => {
    e.preventDefault();
    pick(e.dataTransfer.files);
  });

  // Analyses still pending from earlier visits keep updating too.
  list.querySelectorAll(".result-item").forEach((li) => {
    if (li.dataset.status === "pending" || li.dataset.status === "running") watching.set(li.dataset.id, li);
  });
  poll();
})();
