"""Analysis, statistics and model routes, mounted under /api/v1/ by fer_site.api.urls (namespace "api").

Exempt from the site's LoginRequiredMiddleware: the API authenticates with its own classes (token
or session) and answers 401 in its error shape instead of redirecting to a page.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from analysis.api.views import analyses, catalogue, stats, videos

urlpatterns = [
    path("analyses/", login_not_required(analyses.AnalysisListCreateView.as_view()), name="analysis-list"),
    path("analyses/batch/", login_not_required(analyses.AnalysisBatchView.as_view()), name="analysis-batch"),
    path("analyses/<uuid:analysis_id>/", login_not_required(analyses.AnalysisDetailView.as_view()),
         name="analysis-detail"),
    path("analyses/<uuid:analysis_id>/photo/", login_not_required(analyses.AnalysisPhotoView.as_view()),
         name="analysis-photo"),
    path("analyses/<uuid:analysis_id>/annotated/", login_not_required(analyses.AnalysisAnnotatedView.as_view()),
         name="analysis-annotated"),
    path("analyses/<uuid:analysis_id>/faces/<int:index>/heatmap.png",
         login_not_required(analyses.AnalysisFaceHeatmapView.as_view()), name="analysis-face-heatmap"),
    path("videos/", login_not_required(videos.VideoListCreateView.as_view()), name="video-list"),
    path("videos/<uuid:video_id>/", login_not_required(videos.VideoDetailView.as_view()), name="video-detail"),
    path("videos/<uuid:video_id>/cancel/", login_not_required(videos.VideoCancelView.as_view()), name="video-cancel"),
    path("stats/", login_not_required(stats.StatsView.as_view()), name="stats"),
    path("models/", login_not_required(catalogue.ModelListView.as_view()), name="models"),
]
