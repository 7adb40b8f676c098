"""Examples of the video endpoints shown in the OpenAPI schema (Swagger UI / Redoc)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from fer_site.api.schema import error_example as _error

_ID = "9b2d7c4e-1f3a-4c8b-a6e5-7d0f2b9c1e33"
_PROBS = {"angry": 0.012, "disgust": 0.001, "fear": 0.018, "happy": 0.902, "sad": 0.021, "surprise": 0.019,
          "neutral": 0.027}
_VIDEO = {
    "id": _ID, "url": f"http://127.0.0.1:8000/api/v1/videos/{_ID}/", "status": "pending", "error": "",
    "progress": 0.0, "original_name": "interview.mp4", "container": "mp4", "codec": "h264", "width": 640,
    "height": 480, "duration_s": 60.0, "source_fps": 30.0, "fps": 5.0, "model": "fast", "detector": "haar",
    "frames_expected": 300, "frames_analysed": 0, "track_count": 0, "top_emotion": "", "cancel_requested": False,
    "created_at": "2026-11-28T09:15:02.114Z", "started_at": None, "finished_at": None, "file_kept": True,
}
_RUNNING = {**_VIDEO, "status": "running", "progress": 0.42, "frames_analysed": 126,
            "started_at": "2026-11-28T09:15:02.300Z", "tracks": []}
_DONE = {
    **_VIDEO, "status": "done", "progress": 1.0, "frames_analysed": 300, "track_count": 1, "top_emotion": "happy",
    "started_at": "2026-11-28T09:15:02.300Z", "finished_at": "2026-11-28T09:15:19.800Z",
    "tracks": [{
        "id": 1, "frames": 2,
        "summary": {"frames": 2, "first_t": 0.0, "last_t": 0.2, "emotion": "happy",
                    "shares": {**dict.fromkeys(_PROBS, 0.0), "happy": 1.0}, "mean_probabilities": _PROBS},
        "timeline": [
            {"t": 0.0, "box": {"x": 262, "y": 131, "w": 118, "h": 118}, "emotion": "happy", "probabilities": _PROBS},
            {"t": 0.2, "box": {"x": 266, "y": 130, "w": 118, "h": 118}, "emotion": "happy", "probabilities": _PROBS},
        ],
    }],
}

VIDEO_PENDING = OpenApiExample("Accepted", value=_VIDEO, response_only=True)
VIDEO_RUNNING = OpenApiExample("Running", value=_RUNNING, response_only=True)
VIDEO_DONE = OpenApiExample("Done (one face, two sampled frames shown)", value=_DONE, response_only=True)
INVALID_VIDEO = _error("Not a video", "invalid_video", "notes.mp4: this is not a video file we can read (MP4 or MOV "
                       "(H.264, H.265, MPEG-4) or WebM (VP8, VP9, AV1)), or it is corrupt or truncated.")
AUDIO_ONLY = _error("Audio only", "no_video_track",
                    "song.m4a: the file has sound but no video track (an audio-only file).")
VIDEO_TOO_LONG = _error("Too long", "video_too_long",
                        "talk.mp4: the video lasts 42 min 10 s, over the limit of 10 min 00 s.")
