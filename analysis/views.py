"""Analysis pages. Placeholders until the upload, history, statistics, live and API issues land."""

from django.views.generic import TemplateView


class PlaceholderPageView(TemplateView):
    """A signed-in page whose feature is not built yet; title and blurb come from the URLconf."""

    template_name = "analysis/placeholder.html"
    title = ""
    blurb = ""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title, "blurb": self.blurb}
