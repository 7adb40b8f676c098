"""Token routes, mounted under /api/v1/ by fer_site.api.urls (namespace "api").

Exempt from the site's LoginRequiredMiddleware: the API authenticates with its own classes.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", login_not_required(views.TokenObtainView.as_view()), name="token-obtain"),
    path("auth/tokens/", login_not_required(views.TokenListView.as_view()), name="token-list"),
    path("auth/tokens/<int:token_id>/", login_not_required(views.TokenDetailView.as_view()), name="token-detail"),
]
