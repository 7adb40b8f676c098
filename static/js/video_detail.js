// Video result page. While the analysis runs: poll its progress, cancel without reloading, reload when it
// ends. Once done: draw each face's box and label over the player, from the stored per-frame results, at
// the time the video shows; request the annotated MP4 and show its link when the task has made it.
(function () {
  "use strict";
  const statusEl = document.getElementById("video-status");
  if (!statusEl) return;
  const statusUrl = statusEl.dataset.statusUrl + "?ids=" + statusEl.dataset.id;
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  const finished = (s) => s === "done" || s === "failed" || s === "cancelled";

  async function fetchStatus() {
    const response = await fetch(statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("status " + response.status);
    return (await response.json()).videos[0];
  }

  // --- While it runs -------------------------------------------------------------------------------
  if (!finished(statusEl.dataset.status)) {
    const bar = document.getElementById("video-progress"), text = document.getElementById("video-progress-text");
    const cancelForm = document.getElementById("video-cancel-form"), cancelButton = document.getElementById("video-cancel");
    const poll = async () => {
      try {
        const v = await fetchStatus();
        if (!v || finished(v.status)) return window.location.reload();
        statusEl.querySelector(".status").textContent = v.status_label;
        bar.value = v.progress;
        text.textContent = Math.round(v.progress * 100) + "% · " + interpolate(gettext("%(done)s of about %(expected)s frames"),
          { done: v.frames_analysed, expected: v.frames_expected }, true);
        if (v.cancelling) { cancelButton.disabled = true; cancelButton.textContent = gettext("Cancelling…"); }
      } catch (err) { /* try again */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
    cancelForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      cancelButton.disabled = true;
      cancelButton.textContent = gettext("Cancelling…");
      await fetch(cancelForm.action, { method: "POST", headers: { "X-CSRFToken": csrf, Accept: "application/json" } }).catch(() => {});
    });
    return;
  }

  // --- The overlay -----------------------------------------------------------------------------------
  const player = document.getElementById("video-player"), canvas = document.getElementById("video-overlay");
  const stage = document.getElementById("video-stage");
  const rootStyle = getComputedStyle(document.documentElement);
  // State, also read by the browser tests.
  const state = window.videoOverlay = { samples: 0, draws: 0, boxesDrawn: 0, lastTime: null };
  let data = null;

  function sampleAt(time) {
    const samples = data.samples;
    let lo = 0, hi = samples.length - 1, found = -1;
    while (lo <= hi) {  // the last sample at or before `time`
      const mid = (lo + hi) >> 1;
      if (samples[mid].t <= time + 0.02) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    // A sample stands for its frame until the next one, at most one and a half sampling intervals.
    return found >= 0 && time - samples[found].t < 1.5 / data.sample_fps ? samples[found] : null;
  }

  function draw() {
    if (!data) return;
    canvas.width = player.videoWidth || data.width;
    canvas.height = player.videoHeight || data.height;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const sx = canvas.width / data.width, sy = canvas.height / data.height;
    const font = Math.max(12, Math.round(canvas.width / 40));
    ctx.font = "600 " + font + "px system-ui, sans-serif";
    const sample = sampleAt(player.currentTime);
    state.draws += 1;
    state.lastTime = player.currentTime;
    if (!sample) return;
    for (const [number, bx, by, bw, bh, e, confidence] of sample.faces) {
      const emotion = data.emotions[e], colour = rootStyle.getPropertyValue("--emotion-" + emotion).trim() || "#888";
      const x = bx * sx, y = by * sy, w = bw * sx, h = bh * sy;
      ctx.lineWidth = Math.max(2, font / 6);
      ctx.strokeStyle = colour;
      ctx.strokeRect(x, y, w, h);
      const unsure = data.uncertain_below !== null && confidence < data.uncertain_below;
      const label = number + ". " + window.emotionName(emotion) + " " + Math.round(confidence * 100) + "%" +
        (unsure ? " · " + gettext("uncertain") : "");
      const tw = ctx.measureText(label).width + 8;
      ctx.fillStyle = colour;
      ctx.fillRect(x, Math.max(0, y - font - 6), tw, font + 6);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x + 4, Math.max(font, y - 5));
      state.boxesDrawn += 1;
    }
  }

  function follow() {
    // Redraw on every shown frame while playing (requestVideoFrameCallback where the browser has it).
    if (player.requestVideoFrameCallback) {
      const onFrame = () => { draw(); player.requestVideoFrameCallback(onFrame); };
      player.requestVideoFrameCallback(onFrame);
    } else {
      const loop = () => { if (!player.paused) { draw(); requestAnimationFrame(loop); } };
      player.addEventListener("play", () => requestAnimationFrame(loop));
    }
    ["loadeddata", "seeked", "timeupdate", "pause"].forEach((type) => player.addEventListener(type, draw));
  }

  if (player && canvas) {
    fetch(stage.dataset.framesUrl, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((payload) => { data = payload; state.samples = payload.samples.length; follow(); draw(); })
      .catch(() => { state.error = gettext("The per-frame results could not be loaded."); });
  }

  // --- The annotated MP4 -----------------------------------------------------------------------------
  const box = document.getElementById("annotated-box");
  if (!box) return;
  function showAnnotated(v) {
    if (v.annotated_status === "done") {
      box.innerHTML = '<a class="button button-ghost" id="annotated-link" download>Download annotated MP4</a>';
      box.querySelector("a").href = box.dataset.annotatedUrl;
      return true;
    }
    if (v.annotated_status === "failed") { box.textContent = v.annotated_error; return true; }
    box.innerHTML = '<span class="help" id="annotated-note">Making the annotated MP4…</span>';
    return false;
  }
  async function pollAnnotated() {
    try { if (showAnnotated(await fetchStatus())) return; } catch (err) { /* try again */ }
    setTimeout(pollAnnotated, 1500);
  }
  const form = document.getElementById("annotate-form");
  if (form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const response = await fetch(form.action, { method: "POST", headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) { box.textContent = body.error || gettext("The annotated video could not be requested."); return; }
      if (!showAnnotated(body)) setTimeout(pollAnnotated, 1500);
    });
  } else if (box.dataset.status === "pending" || box.dataset.status === "running") {
    setTimeout(pollAnnotated, 1500);
  }
})();
