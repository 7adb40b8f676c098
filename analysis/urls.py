from django.urls import path

from analysis.views import PlaceholderPageView

app_name = "analysis"

PAGES = [
    ("analyze/", "analyze", "Analyze", "Upload a photo to find every face in it and estimate each face's expression."),
    ("history/", "history", "History", "Your past analyses and live sessions, newest first."),
    ("statistics/", "statistics", "Statistics", "How expressions are distributed across your analyses over time."),
    ("live/", "live", "Live", "Stream your webcam through the site and see predictions drawn over the video."),
    ("api/", "api", "API", "Call the same functions from your own code with an API token."),
]

urlpatterns = [
    path(route, PlaceholderPageView.as_view(title=title, blurb=blurb), name=name)
    for route, name, title, blurb in PAGES
]
