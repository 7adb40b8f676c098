// Live page: camera -> JPEG frames over a WebSocket -> predictions drawn over the video.
// One frame in flight at a time: the next is sent when a prediction (or error) comes back,
// capped at the server's frame rate limit, so the rate adapts to what the server manages.
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const video = $("live-video"), overlay = $("live-overlay"), stage = $("live-stage");
  const startButton = $("live-start"), stopButton = $("live-stop"), modelSelect = $("live-model");
  const statusLine = $("live-status"), summaryLine = $("live-summary");
  const EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];
  // The palette comes from the page (base.html writes it as CSS variables from analysis/core/palette.py).
  const rootStyle = getComputedStyle(document.documentElement);
  const COLOURS = Object.fromEntries(EMOTIONS.map((e) => [e, rootStyle.getPropertyValue("--emotion-" + e).trim()]));
  const MAX_SIDE = 640;
  const capture = document.createElement("canvas");

  // State, also read by the browser tests.
  const state = window.liveState = { running: false, predictions: 0, lastPrediction: null, errors: [], summary: null };
  let socket = null, stream = null, inFlight = false, sentAt = new Map(), sent = 0, minGapMs = 50;
  let lastSend = 0, retryMs = 1000, watchdog = null, recent = [];

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
    if (isError) state.errors.push(text);
  }

  async function start() {
    summaryLine.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return say("This browser cannot use a camera here (a secure https:// page or localhost is required).", true);
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      const reason = err && err.name === "NotAllowedError" ? "Camera access was denied. Allow it in your browser's site settings and try again."
        : err && (err.name === "NotFoundError" || err.name === "OverconstrainedError") ? "No camera was found on this device."
        : "The camera could not be started (" + (err && err.name) + ").";
      return say(reason, true);
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    stage.hidden = false;
    state.running = true;
    startButton.disabled = true;
    stopButton.disabled = false;
    modelSelect.disabled = true;
    connect();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath + "?model=" + encodeURIComponent(modelSelect.value));
    socket.binaryType = "arraybuffer";
    say("Connecting…");
    socket.addEventListener("open", () => { retryMs = 1000; inFlight = false; sentAt.clear(); sent = 0; });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      socket = null;
      if (!state.running) return;
      if (event.code === 4401) { say("Your session has ended: sign in again to use the camera.", true); return stop(false); }
      say("Connection lost; reconnecting in " + Math.round(retryMs / 1000) + " s…", true);
      setTimeout(() => state.running && connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    });
  }

  function handle(message) {
    if (message.type === "ready") {
      minGapMs = Math.max(1000 / message.limits.max_fps, 33);
      say("Live with the " + message.model + " model.");
      sendFrame();
    } else if (message.type === "prediction") {
      const t0 = sentAt.get(message.frame);
      const now = performance.now();
      recent.push({ at: now, rtt: t0 ? now - t0 : null });
      recent = recent.filter((r) => now - r.at < 3000);
      for (const key of sentAt.keys()) if (key <= message.frame) sentAt.delete(key);
      state.predictions += 1;
      state.lastPrediction = message;
      draw(message);
      showMetrics(message);
      inFlight = false;
      sendFrame();
    } else if (message.type === "error") {
      say(message.message, true);
      inFlight = false;
      setTimeout(sendFrame, 200);
    } else if (message.type === "summary") {
      state.summary = message;
      summaryLine.hidden = false;
      summaryLine.innerHTML = "";
      const text = document.createTextNode("Saved: " + message.frames_analysed + " frames, " + message.faces_seen + " face(s). ");
      summaryLine.append(text);
      if (message.url) {
        const link = document.createElement("a");
        link.href = message.url;
        link.textContent = "See the session's timeline";
        summaryLine.append(link);
      }
      if (socket) socket.close(1000);
    }
  }

  function showMetrics(message) {
    const windowS = recent.length > 1 ? (recent[recent.length - 1].at - recent[0].at) / 1000 : 0;
    $("live-rate").textContent = windowS > 0 ? ((recent.length - 1) / windowS).toFixed(1) : "–";
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

  function draw(message) {
    overlay.width = video.videoWidth || message.width;
    overlay.height = video.videoHeight || message.height;
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const sx = overlay.width / message.width, sy = overlay.height / message.height;
    const font = Math.max(12, Math.round(overlay.width / 40));
    ctx.font = "600 " + font + "px system-ui, sans-serif";
    for (const face of message.faces) {
      const b = face.box, colour = COLOURS[face.emotion];
      // The video is shown mirrored: mirror the boxes, not the text.
      const x = overlay.width - (b.x + b.w) * sx, y = b.y * sy, w = b.w * sx, h = b.h * sy;
      ctx.lineWidth = Math.max(2, font / 6);
      ctx.strokeStyle = colour;
      ctx.strokeRect(x, y, w, h);
      const label = face.emotion.charAt(0).toUpperCase() + face.emotion.slice(1) + " " + Math.round(face.confidence * 100) + "%";
      const tw = ctx.measureText(label).width + 8;
      ctx.fillStyle = colour;
      ctx.fillRect(x, Math.max(0, y - font - 6), tw, font + 6);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x + 4, Math.max(font, y - 5));
      // Small bar set: one bar per emotion under the box.
      const barH = Math.max(3, font / 4), barW = w / EMOTIONS.length;
      EMOTIONS.forEach((emotion, i) => {
        const p = face.smoothed[emotion];
        ctx.fillStyle = COLOURS[emotion];
        ctx.fillRect(x + i * barW + 1, y + h + 4 + barH * 4 * (1 - p), barW - 2, barH * 4 * p);
      });
    }
  }

  function stop(sendStop = true) {
    state.running = false;
    if (socket && socket.readyState === WebSocket.OPEN && sendStop) {
      socket.send(JSON.stringify({ type: "stop" }));
      say("Stopped. Saving the session summary…");
    } else if (socket) {
      socket.close(1000);
    }
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    startButton.disabled = false;
    stopButton.disabled = true;
    modelSelect.disabled = false;
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", () => stop(true));
  window.addEventListener("pagehide", () => state.running && stop(true));
})();
