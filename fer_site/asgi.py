"""ASGI entry point: plain HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")

# Build the Django app first: it sets up the app registry that the routing imports below rely on.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from analysis.core.dispatch import prepare_web_process  # noqa: E402
from analysis.live.routing import websocket_urlpatterns  # noqa: E402
from fer_site.body_limit import BodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

prepare_web_process()  # the embedded profile warms its model up now, in the background
