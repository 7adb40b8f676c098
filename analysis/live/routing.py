"""WebSocket routes (wrapped in origin and auth checks in fer_site/asgi.py)."""

from django.urls import path

from analysis.live.consumer import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
