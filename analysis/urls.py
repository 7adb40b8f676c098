from django.urls import path

from analysis import views_api, views_history, views_live, views_photos
from analysis.views import PlaceholderPageView

app_name = "analysis"

PLACEHOLDERS = [
]

urlpatterns = [
    # Upload and results (views_photos)
    path("analyze/", views_photos.AnalyzeView.as_view(), name="analyze"),
    path("analyses/status/", views_photos.status, name="status"),
    path("analyses/<uuid:analysis_id>/", views_photos.AnalysisDetailView.as_view(), name="detail"),
    path("analyses/<uuid:analysis_id>/photo/", views_photos.photo, name="photo"),
    path("analyses/<uuid:analysis_id>/thumbnail/", views_photos.thumbnail, name="thumbnail"),
    path("analyses/<uuid:analysis_id>/annotated.jpg", views_photos.annotated, name="annotated"),
    path("analyses/<uuid:analysis_id>/delete/", views_photos.delete, name="delete"),
    # Live webcam (views_live); the WebSocket itself is in analysis/routing.py
    path("live/", views_live.LiveView.as_view(), name="live"),
    path("live/sessions/<uuid:session_id>/", views_live.LiveSessionView.as_view(), name="live_session"),
    path("live/sessions/<uuid:session_id>/delete/", views_live.delete_session, name="live_session_delete"),
    # History, statistics, exports, privacy (views_history)
    path("history/", views_history.HistoryView.as_view(), name="history"),
    path("history/delete/", views_history.delete_many, name="delete_many"),
    path("statistics/", views_history.StatisticsView.as_view(), name="statistics"),
    path("export/faces.csv", views_history.export_csv, name="export_csv"),
    path("export/faces.json", views_history.export_json, name="export_json"),
    path("privacy/", views_history.PrivacyView.as_view(), name="privacy"),
    path("privacy/delete-all/", views_history.DeleteAllView.as_view(), name="delete_all"),
    path("api/", views_api.ApiPageView.as_view(), name="api"),
] + [
    path(route, PlaceholderPageView.as_view(title=title, blurb=blurb), name=name)
    for route, name, title, blurb in PLACEHOLDERS
]
