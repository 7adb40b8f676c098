from django.urls import path

from analysis.web.views import api_page, explain, history, live, photos, privacy, statistics, videos

app_name = "analysis"

urlpatterns = [
    # Upload and results (views/photos.py)
    path("analyze/", photos.AnalyzeView.as_view(), name="analyze"),
    path("analyses/status/", photos.status, name="status"),
    path("analyses/<uuid:analysis_id>/", photos.AnalysisDetailView.as_view(), name="detail"),
    path("analyses/<uuid:analysis_id>/photo/", photos.photo, name="photo"),
    path("analyses/<uuid:analysis_id>/thumbnail/", photos.thumbnail, name="thumbnail"),
    path("analyses/<uuid:analysis_id>/annotated.jpg", photos.annotated, name="annotated"),
    path("analyses/<uuid:analysis_id>/delete/", photos.delete, name="delete"),
    path("analyses/<uuid:analysis_id>/again/", photos.again, name="again"),
    # Model comparison and heatmaps on the result page (views/explain.py)
    path("analyses/<uuid:analysis_id>/compare/", explain.compare, name="compare"),
    path("analyses/<uuid:analysis_id>/faces/<int:index>/heatmap.png", explain.heatmap, name="face_heatmap"),
    # Live webcam (views/live.py); the WebSocket itself is in analysis/live/routing.py
    path("live/", live.LiveView.as_view(), name="live"),
    path("live/sessions/<uuid:session_id>/", live.LiveSessionView.as_view(), name="live_session"),
    path("live/sessions/<uuid:session_id>/delete/", live.delete_session, name="live_session_delete"),
    # Video files (views/videos.py)
    path("videos/", videos.VideosView.as_view(), name="videos"),
    path("videos/status/", videos.status, name="video_status"),
    path("videos/<uuid:video_id>/", videos.VideoDetailView.as_view(), name="video_detail"),
    path("videos/<uuid:video_id>/file/", videos.video_file, name="video_file"),
    path("videos/<uuid:video_id>/frames.json", videos.frames, name="video_frames"),
    path("videos/<uuid:video_id>/cancel/", videos.cancel, name="video_cancel"),
    path("videos/<uuid:video_id>/delete/", videos.delete, name="video_delete"),
    path("videos/<uuid:video_id>/annotate/", videos.annotate, name="video_annotate"),
    path("videos/<uuid:video_id>/annotated.mp4", videos.annotated, name="video_annotated"),
    path("videos/<uuid:video_id>/faces.csv", videos.export_csv, name="video_export_csv"),
    path("videos/<uuid:video_id>/faces.json", videos.export_json, name="video_export_json"),
    # History, statistics, exports, privacy
    path("history/", history.HistoryView.as_view(), name="history"),
    path("history/delete/", history.delete_many, name="delete_many"),
    path("statistics/", statistics.StatisticsView.as_view(), name="statistics"),
    path("export/faces.csv", statistics.export_csv, name="export_csv"),
    path("export/faces.json", statistics.export_json, name="export_json"),
    path("privacy/", privacy.PrivacyView.as_view(), name="privacy"),
    path("privacy/delete-all/", privacy.DeleteAllView.as_view(), name="delete_all"),
    path("api/", api_page.ApiPageView.as_view(), name="api"),
]
