"""Vietnamese dates as people write them: 03/12/2026, 14:05 03/12/2026 (numbers keep Django's vi formats)."""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i, d/m/Y"
