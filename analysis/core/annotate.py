"""The photo with a box and label on every face, drawn with Pillow (for downloads)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont, ImageOps

from analysis.core.palette import rgb
from analysis.models import Analysis


def annotated_jpeg(analysis: Analysis) -> bytes:
    with analysis.photo.open("rb") as handle, Image.open(handle) as source:
        image = ImageOps.exif_transpose(source).convert("RGB")
    draw = ImageDraw.Draw(image)
    line = max(2, round(max(image.size) / 300))
    font = ImageFont.load_default(size=max(12, round(max(image.size) / 40)))
    for face in analysis.faces.all():
        colour = rgb(face.emotion)
        draw.rectangle((face.x, face.y, face.x + face.w, face.y + face.h), outline=colour, width=line)
        label = f"{face.emotion.capitalize()} {face.confidence:.0%}"
        left, top, right, bottom = draw.textbbox((face.x, face.y), label, font=font)
        height = bottom - top + 2 * line
        y = face.y - height if face.y - height >= 0 else face.y + face.h
        draw.rectangle((face.x, y, face.x + (right - left) + 2 * line, y + height), fill=colour)
        draw.text((face.x + line, y + line - (top - face.y)), label, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
