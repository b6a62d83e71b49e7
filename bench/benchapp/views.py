"""The bare DRF view of P4: what storing a webhook costs with nothing of the app's own."""

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import BareEvent


class BareEventView(APIView):
    """``POST`` a JSON object: stored as one row, answered 201 with its id."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        event = BareEvent.objects.create(body=request.data)
        return Response({"id": event.pk}, status=201)
