"""WebSocket routes, mounted by fer_site.asgi. The live-stream consumer (/ws/live/) is added by a later issue."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
