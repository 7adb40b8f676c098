"""What the result page and the API call to compare models and to get a heatmap: the check and the write
of `compare` / `heatmaps`, then `dispatch` for where the work runs. Callers look the analysis up through
its owner (`selectors.analysis_get`)."""

from __future__ import annotations

from accounts.models import User
from analysis.core import compare, dispatch, heatmaps
from analysis.models import Analysis


def compare_start(*, owner: User, analysis: Analysis, models: str | list[str] | None = None) -> Analysis:
    """Ask for the models' predictions on the analysis's faces (default: every available model) and start it."""
    analysis = compare.compare_request(owner=owner, analysis=analysis, models=models)
    if analysis.compare_status == compare.CompareStatus.PENDING:
        dispatch.submit_compare(analysis)
    return analysis


def heatmap_png(*, analysis: Analysis, index: int, model: str | None = None) -> bytes:
    """One face's heatmap PNG for `model` (default: the analysis's own model)."""
    _, model = heatmaps.heatmap_check(analysis=analysis, index=index, model=model)
    return dispatch.heatmap(analysis, index, model)
