"""`GET /api/v1/models/`: the models a request may name, with the figures from their cards."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis.api import examples
from analysis.api import serializers as s
from analysis.core.choices import model_catalogue
from fer_site.api.schema import ERRORS_COMMON


class ModelListView(APIView):
    @extend_schema(operation_id="models_list", tags=["models"], summary="Models you can choose, with their figures",
                   responses={200: OpenApiResponse(s.ModelInfoSerializer(many=True), "Models",
                                                   examples=[examples.MODELS]),
                              **ERRORS_COMMON})
    def get(self, request):
        rows = [
            {
                "name": m["name"], "arch": m.get("arch") or "", "description": m.get("description") or "",
                "input": m.get("input") or {}, "accuracy": m.get("accuracy"), "per_class": m.get("per_class"),
                "metrics": m.get("metrics") or {}, "default": bool(m.get("default")),
                **{key: m.get(key) for key in ("quality_reason", "ece", "temperature", "uncertain_below")},
                "label": m.get("label") or m["name"], "quality": m.get("quality") or "unmeasured",
            }
            for m in model_catalogue()
        ]
        return Response(s.ModelInfoSerializer(rows, many=True).data)
