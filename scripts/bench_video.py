"""Time to analyse a video file: decode + detect + classify + track, on this machine.

    .venv/bin/python scripts/bench_video.py                  # 60 s, 640x480, 30 fps, one face, fast, 5/s
    .venv/bin/python scripts/bench_video.py --seconds 10 --compare-full

Makes the clip first (`ml.clips`: scikit-image's astronaut walking across the frame, H.264), loads
the model and detector, then times `ml.serving.video.analyse_video` alone. `--compare-full` also
times the same clip with the whole frame searched at every sample. Prints one JSON line per run
with the CPU load average, since the wall time depends on what else the machine is doing, and the
CPU seconds the run used (all its threads), which does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.clips import write_walking_clip  # noqa: E402
from ml.serving.detection import DEFAULT_DETECTOR, get_detector  # noqa: E402
from ml.serving.registry import get_classifier  # noqa: E402
from ml.serving.video import DEFAULT_SAMPLE_FPS, FULL_DETECTION_S, analyse_video  # noqa: E402
from ml.serving.video_files import probe_video  # noqa: E402


def run(path: Path, args, full_detection_s: float) -> dict:
    load_before = os.getloadavg()
    cpu_started = time.process_time()  # every thread of this process: what the run costs, whatever the load
    started = time.perf_counter()
    result = analyse_video(str(path), model=args.model, detector=args.detector, sample_fps=args.fps,
                           full_detection_s=full_detection_s)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "clip": f"{args.seconds:g} s {args.width}x{args.height} {args.source_fps} fps",
        "model": args.model, "detector": args.detector, "sample_fps": args.fps,
        "full_detection_s": full_detection_s,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "frames_analysed": result.frames_analysed,
        "frames_per_s": round(result.frames_analysed / seconds, 1),
        "tracks": len(result.tracks),
        "faces_per_track": [track.frames for track in result.tracks],
        "searches": result.searches,
        "timings_ms": result.timings_ms,
        "load_average_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--source-fps", type=int, default=30)
    parser.add_argument("--fps", type=float, default=DEFAULT_SAMPLE_FPS, help="frames analysed per second")
    parser.add_argument("--model", default="fast")
    parser.add_argument("--detector", default=DEFAULT_DETECTOR)
    parser.add_argument("--compare-full", action="store_true", help="also search every sampled frame whole")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "walk.mp4"
        started = time.perf_counter()
        write_walking_clip(path, seconds=args.seconds, fps=args.source_fps, width=args.width, height=args.height)
        print(f"clip written in {time.perf_counter() - started:.1f} s: {probe_video(str(path))}", file=sys.stderr)
        get_classifier(args.model).warm_up()
        get_detector(args.detector)
        runs = [FULL_DETECTION_S, 0.0] if args.compare_full else [FULL_DETECTION_S]
        for full_detection_s in runs:
            print(json.dumps(run(path, args, full_detection_s)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
