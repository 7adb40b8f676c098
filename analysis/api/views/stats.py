"""`GET /api/v1/stats/`: the statistics page's report for a date range, as JSON."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis.api import examples
from analysis.api import serializers as s
from analysis.core import statistics
from analysis.core.date_ranges import resolve_range
from fer_site.api.schema import BAD_PARAMS, ERRORS_COMMON


class StatsView(APIView):
    @extend_schema(
        operation_id="stats_retrieve",
        tags=["statistics"],
        summary="Your statistics for a date range (the statistics page's figures)",
        parameters=[s.StatsQuerySerializer],
        responses={200: OpenApiResponse(s.StatsSerializer, "Statistics", examples=[examples.STATS]),
                   **BAD_PARAMS, **ERRORS_COMMON},
    )
    def get(self, request):
        params = s.StatsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        date_range = resolve_range(period=p.get("period"), date_from=p.get("date_from"), date_to=p.get("date_to"),
                                   default_period="30")
        report = statistics.report(owner=request.user, date_range=date_range, group=p.get("group"))
        over_time = report.over_time
        data = {
            "range": {"start": date_range.start, "end": date_range.end, "period": date_range.period,
                      "description": date_range.describe()},
            "headline": report.headline,
            "per_emotion": report.per_emotion,
            "per_model": report.per_model,
            "over_time": {"group": over_time.group, "periods": over_time.periods, "series": over_time.series,
                          "totals": over_time.totals},
            "videos": report.videos,
        }
        return Response(s.StatsSerializer(data).data)
