"""English dates as the site writes them: 3 Dec 2026, 3 Dec 2026, 14:05."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
