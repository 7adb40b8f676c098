"""`manage.py sweep_analyses`: the periodic sweep for profiles without Celery beat (cron, a timer)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from analysis.core.services import analysis_sweep


class Command(BaseCommand):
    help = "Fail analyses stuck past FER_ANALYSIS_TIMEOUT_SECONDS and delete photos their owners chose not to keep."

    def handle(self, *args, **options) -> None:
        self.stdout.write(json.dumps(analysis_sweep()))
