"""The application's URLs plus `/api/_bench/bare`, a DRF view with the same JWT auth."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from openaec.urls import urlpatterns as app_urlpatterns


class BareApi(APIView):
    """Authenticated like every API view, then returns a constant: the baseline."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/_bench/bare", BareApi.as_view()), *app_urlpatterns]
