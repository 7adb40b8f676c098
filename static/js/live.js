// Live page: camera -> JPEG frames over a WebSocket -> predictions drawn over the video, and each
// face's probabilities as bars beside it (HTML, so they read the same on a phone and a laptop).
// One frame in flight at a time: the next is sent when a prediction (or error) comes back,
// capped at the server's frame rate limit, so the rate adapts to what the server manages.
// Stop: the video and figures are cleared at once, then the saved summary and its link show.
// Texts go through Django's JavaScript catalog (gettext, ngettext, pgettext, interpolate; docs/i18n.md).
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const video = $("live-video"), overlay = $("live-overlay"), stage = $("live-stage"), panel = $("live-face-panel");
  const startButton = $("live-start"), stopButton = $("live-stop"), modelSelect = $("live-model");
  const statusLine = $("live-status"), summaryBox = $("live-summary");
  const EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];
  // The palette comes from the page (base.html writes it as CSS variables from analysis/core/palette.py).
  const rootStyle = getComputedStyle(document.documentElement);
  const COLOURS = Object.fromEntries(EMOTIONS.map((e) => [e, rootStyle.getPropertyValue("--emotion-" + e).trim()]));
  const MAX_SIDE = 640;
  const LABEL_PX = 15; // overlay labels, in CSS pixels whatever the video's size on screen
  const SUMMARY_WAIT_MS = 10000;
  const capture = document.createElement("canvas");

  // State, also read by the browser tests.
  const state = window.liveState = { running: false, predictions: 0, lastPrediction: null, errors: [], summary: null };
  let socket = null, stream = null, inFlight = false, sentAt = new Map(), sent = 0, minGapMs = 50;
  let lastSend = 0, retryMs = 1000, watchdog = null, recent = [], summaryTimer = null;

  const emotionName = window.emotionName; // site.js
  const percent = (p) => Math.round(p * 100) + "%";
  // The model's calibrated threshold says this label is right less than half the time (analysis.core.choices).
  const unsure = (face) => (face.uncertain ? " · " + gettext("uncertain") : "");
  const decimal = new Intl.NumberFormat(document.documentElement.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const frames = (n) => interpolate(ngettext("%s frame", "%s frames", n), [n]);
  const faces = (n) => interpolate(ngettext("%s face", "%s faces", n), [n]);

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
    if (isError) state.errors.push(text);
  }

  function resetFigures() {
    recent = [];
    for (const id of ["live-rate", "live-latency", "live-faces"]) $(id).textContent = "–";
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
    panel.replaceChildren();
    panel.hidden = true;
  }

  async function start() {
    summaryBox.hidden = true;
    summaryBox.replaceChildren();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return say(gettext("This browser cannot use a camera here (a secure https:// page or localhost is required)."), true);
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      const reason = err && err.name === "NotAllowedError" ? gettext("Camera access was denied. Allow it in your browser's site settings and try again.")
        : err && (err.name === "NotFoundError" || err.name === "OverconstrainedError") ? gettext("No camera was found on this device.")
        : interpolate(gettext("The camera could not be started (%s)."), [err && err.name]);
      return say(reason, true);
    }
    Object.assign(state, { running: true, predictions: 0, lastPrediction: null, summary: null });
    video.srcObject = stream;
    stage.hidden = false;
    await video.play().catch(() => {});
    startButton.disabled = true;
    stopButton.disabled = false;
    modelSelect.disabled = true;
    connect();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath + "?model=" + encodeURIComponent(modelSelect.value));
    socket.binaryType = "arraybuffer";
    say(gettext("Connecting…"));
    socket.addEventListener("open", () => { retryMs = 1000; inFlight = false; sentAt.clear(); sent = 0; });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      socket = null;
      if (!state.running) return;
      if (event.code === 4401) { say(gettext("Your session has ended: sign in again to use the camera."), true); return stop(false); }
      say(interpolate(gettext("Connection lost; reconnecting in %s s…"), [Math.round(retryMs / 1000)]), true);
      setTimeout(() => state.running && connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    });
  }

  function handle(message) {
    if (message.type === "ready") {
      minGapMs = Math.max(1000 / message.limits.max_fps, 33);
      say(interpolate(gettext("Live with the %s model."), [message.model]));
      sendFrame();
    } else if (message.type === "prediction") {
      if (!state.running) return; // a last answer after Stop: the figures stay cleared
      const t0 = sentAt.get(message.frame);
      const now = performance.now();
      recent.push({ at: now, rtt: t0 ? now - t0 : null });
      recent = recent.filter((r) => now - r.at < 3000);
      for (const key of sentAt.keys()) if (key <= message.frame) sentAt.delete(key);
      state.predictions += 1;
      state.lastPrediction = message;
      draw(message);
      showFaces(message.faces);
      showMetrics(message);
      inFlight = false;
      sendFrame();
    } else if (message.type === "error") {
      if (!state.running) return;
      say(message.message, true);
      inFlight = false;
      setTimeout(sendFrame, 200);
    } else if (message.type === "summary") {
      showSummary(message);
      if (socket) socket.close(1000);
    }
  }

  function showSummary(message) {
    clearTimeout(summaryTimer);
    state.summary = message;
    summaryBox.replaceChildren();
    if (!message.url) {
      say(gettext("Stopped. Nothing was saved: no frame was analysed."));
      return;
    }
    say(gettext("Stopped. The session was saved."));
    const text = document.createElement("p");
    text.textContent = interpolate(gettext("Saved: %(frames)s analysed, %(faces)s seen."),
      { frames: frames(message.frames_analysed), faces: faces(message.faces_seen) }, true);
    const link = document.createElement("a");
    link.className = "button";
    link.href = message.url;
    link.textContent = gettext("See the session's timeline");
    summaryBox.append(text, link);
    summaryBox.hidden = false;
    addRecent(message);
  }

  function addRecent(message) {
    const item = document.createElement("li");
    item.className = "session-item";
    const link = document.createElement("a");
    link.href = message.url;
    link.textContent = gettext("Just now");
    const detail = document.createElement("span");
    detail.className = "result-detail";
    detail.textContent = frames(message.frames_analysed) + " · " + faces(message.faces_seen);
    item.append(link, " ", detail);
    $("live-sessions").prepend(item);
    $("live-recent").hidden = false;
  }

  function showMetrics(message) {
    const windowS = recent.length > 1 ? (recent[recent.length - 1].at - recent[0].at) / 1000 : 0;
    $("live-rate").textContent = windowS > 0 ? decimal.format((recent.length - 1) / windowS) : "–";
    const rtts = recent.map((r) => r.rtt).filter((v) => v !== null).sort((a, b) => a - b);
    $("live-latency").textContent = rtts.length ? Math.round(rtts[Math.floor(rtts.length / 2)]) + " ms" : "–";
    $("live-faces").textContent = String(message.faces.length);
  }

  function sendFrame() {
    if (!state.running || !socket || socket.readyState !== WebSocket.OPEN || inFlight || !video.videoWidth) {
      if (state.running && !video.videoWidth) setTimeout(sendFrame, 100);
      return;
    }
    const wait = lastSend + minGapMs - performance.now();
    if (wait > 0) { setTimeout(sendFrame, wait); return; }
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    capture.width = Math.round(video.videoWidth * scale);
    capture.height = Math.round(video.videoHeight * scale);
    capture.getContext("2d").drawImage(video, 0, 0, capture.width, capture.height);
    inFlight = true;
    capture.toBlob((blob) => {
      if (!blob || !socket || socket.readyState !== WebSocket.OPEN) { inFlight = false; return; }
      sent += 1;
      sentAt.set(sent, performance.now());
      lastSend = performance.now();
      socket.send(blob);
      clearTimeout(watchdog);
      // A frame the server skipped gets no answer: do not wait for it forever.
      watchdog = setTimeout(() => { if (inFlight) { inFlight = false; sendFrame(); } }, 2000);
    }, "image/jpeg", 0.75);
  }

  // Boxes and labels over the video, drawn in CSS pixels (the canvas matches its size on screen),
  // so a label is LABEL_PX high on a phone as on a laptop.
  function draw(message) {
    const ratio = window.devicePixelRatio || 1;
    const width = overlay.clientWidth, height = overlay.clientHeight;
    overlay.width = Math.round(width * ratio);
    overlay.height = Math.round(height * ratio);
    const ctx = overlay.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const sx = width / message.width, sy = height / message.height;
    ctx.font = "600 " + LABEL_PX + "px system-ui, sans-serif";
    message.faces.forEach((face, i) => {
      const b = face.box, colour = COLOURS[face.emotion];
      // The video is shown mirrored: mirror the boxes, not the text.
      const x = width - (b.x + b.w) * sx, y = b.y * sy, w = b.w * sx, h = b.h * sy;
      ctx.lineWidth = 3;
      ctx.strokeStyle = colour;
      ctx.strokeRect(x, y, w, h);
      const label = (i + 1) + ". " + emotionName(face.emotion) + " " + percent(face.confidence) + unsure(face);
      const labelW = ctx.measureText(label).width + 10, labelH = LABEL_PX + 8;
      const top = y >= labelH ? y - labelH : y + h;
      const left = Math.min(Math.max(0, x), width - labelW);
      ctx.fillStyle = colour;
      ctx.fillRect(left, top, labelW, labelH);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, left + 5, top + LABEL_PX + 1);
    });
  }

  // Each face's smoothed probabilities as labelled bars, numbered like the labels on the video.
  function showFaces(faces) {
    panel.replaceChildren(...faces.map((face, i) => {
      const card = document.createElement("article");
      card.className = "live-face";
      const heading = document.createElement("h3");
      heading.textContent = interpolate(gettext("Face %s:"), [i + 1]) + " " + emotionName(face.emotion) + " " +
        percent(face.confidence) + unsure(face);
      heading.style.color = COLOURS[face.emotion];
      const bars = document.createElement("dl");
      bars.className = "prob-bars";
      for (const emotion of EMOTIONS) {
        const p = face.smoothed[emotion];
        const row = document.createElement("div");
        row.className = "prob-row" + (emotion === face.emotion ? " prob-top" : "");
        const name = document.createElement("dt");
        name.textContent = emotionName(emotion);
        const value = document.createElement("dd");
        const bar = document.createElement("span");
        bar.className = "prob-bar";
        bar.style.width = (Math.max(0, Math.min(1, p)) * 100).toFixed(1) + "%";
        bar.style.background = COLOURS[emotion];
        const shown = document.createElement("span");
        shown.className = "prob-value";
        shown.textContent = percent(p);
        value.append(bar, shown);
        row.append(name, value);
        bars.append(row);
      }
      card.append(heading, bars);
      return card;
    }));
    panel.hidden = faces.length === 0;
  }

  function stop(sendStop = true) {
    state.running = false;
    if (socket && socket.readyState === WebSocket.OPEN && sendStop) {
      socket.send(JSON.stringify({ type: "stop" }));
      say(gettext("Stopped. Saving the session…"));
      summaryTimer = setTimeout(() => {
        say(gettext("Stopped. The summary did not arrive; if frames were analysed the session is in your history."), true);
        if (socket) socket.close(1000);
      }, SUMMARY_WAIT_MS);
    } else if (socket) {
      socket.close(1000);
    }
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    stage.hidden = true;
    resetFigures();
    startButton.disabled = false;
    stopButton.disabled = true;
    modelSelect.disabled = false;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", () => stop(true));
  window.addEventListener("pagehide", () => state.running && stop(true));
})();
