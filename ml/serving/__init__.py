"""Serving: decoding, detection, framing, classification and tracking (no training code, no Django)."""
