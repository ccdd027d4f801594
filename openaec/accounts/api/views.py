"""JSON API of accounts: OpenAEC's /api/auth/* paths and shapes."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from openaec.accounts import selectors, services
from openaec.accounts.permissions import IsEditorOrAdmin, ReadOnlyOrEditor
from openaec.accounts.throttles import ApiTokenCreateThrottle, ConnectionTestThrottle
from openaec.api import ClosedSerializer, validated

from .serializers import (
    ConnectionTestOutputSerializer,
    DetailSerializer,
    SettingsOutputSerializer,
    UserSerializer,
)


def django_to_drf(exc: DjangoValidationError) -> ValidationError:
    """Turn a service's Django ValidationError into DRF's, keeping per-field messages."""
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError(exc.messages)


class RegisterApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterInput"

        username = serializers.CharField(max_length=150)
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={201: UserSerializer, 400: DetailSerializer, 403: DetailSerializer},
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        try:
            user = services.user_register(**data)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LoginInput"

        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LoginOutput"

        access_token = serializers.CharField()
        token_type = serializers.CharField()
        refresh_token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 401: DetailSerializer, 429: DetailSerializer},
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        user = services.user_authenticate(
            request=request, username=data["username"], password=data["password"]
        )
        if user is None:
            return Response({"detail": "Invalid credentials"}, status=401)
        pair = services.jwt_pair_for(user)
        return Response(
            {
                "access_token": pair["access"],
                "token_type": "bearer",
                "refresh_token": pair["refresh"],
            }
        )


class TokenPairApi(TokenObtainPairView):
    """simplejwt's pair; its password check goes through the lockout backend."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenPairOutput"

        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer, 401: DetailSerializer, 429: DetailSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenRefreshOutput"

        access = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer, 401: DetailSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MeApi(APIView):
    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    token = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def _token_data(token, raw: str | None = None) -> dict:
    return {
        "id": str(token.id),
        "name": token.name,
        "token": raw,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "created_at": token.created_at.isoformat(),
    }


class ApiTokenListApi(APIView):
    def get_throttles(self):
        # Listing the tokens is free; only making one counts.
        return [ApiTokenCreateThrottle()] if self.request.method == "POST" else []

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiTokenListInput"

        name = serializers.CharField(max_length=255)
        expires_days = serializers.IntegerField(
            min_value=1, max_value=3650, required=False, allow_null=True
        )

    @extend_schema(responses={200: ApiTokenOutputSerializer(many=True)})
    def get(self, request):
        tokens = selectors.api_token_list(user=request.user)
        return Response([_token_data(token) for token in tokens])

    @extend_schema(request=InputSerializer, responses={201: ApiTokenOutputSerializer})
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        new = services.api_token_create(
            user=request.user, name=data["name"], expires_days=data.get("expires_days")
        )
        return Response(_token_data(new.token, new.raw), status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    @extend_schema(responses={204: None, 404: DetailSerializer})
    def delete(self, request, token_id: str):
        services.api_token_delete(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntegrationSettingsApi(APIView):
    """GET and PUT /api/auth/settings (OpenAEC's settings API)."""

    permission_classes = [ReadOnlyOrEditor]

    class InputSerializer(ClosedSerializer):
        class Meta:
            ref_name = "IntegrationSettingsInput"

        ignored_fields = (
            "username",
            "email",
            "role",
            "erpnext_api_secret_set",
            "nextcloud_password_set",
        )

        erpnext_url = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )
        erpnext_api_key = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )
        erpnext_api_secret = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )
        nextcloud_url = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )
        nextcloud_username = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )
        nextcloud_password = serializers.CharField(
            required=False, allow_null=True, allow_blank=True, trim_whitespace=False
        )

    @extend_schema(responses={200: SettingsOutputSerializer})
    def get(self, request):
        return Response(SettingsOutputSerializer(request.user).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: SettingsOutputSerializer, 400: DetailSerializer, 403: DetailSerializer},
    )
    def put(self, request):
        data = validated(self.InputSerializer, request.data)
        try:
            user = services.integration_settings_update(user=request.user, changes=data)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return Response(SettingsOutputSerializer(user).data)


class ErpnextConnectionTestApi(APIView):
    permission_classes = [IsAuthenticated, IsEditorOrAdmin]
    throttle_classes = [ConnectionTestThrottle]

    @extend_schema(
        request=None,
        responses={
            200: ConnectionTestOutputSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            429: OpenApiResponse(DetailSerializer, description="Too many tests"),
        },
    )
    def post(self, request):
        return Response(services.erpnext_connection_test(user=request.user))


class NextcloudConnectionTestApi(APIView):
    permission_classes = [IsAuthenticated, IsEditorOrAdmin]
    throttle_classes = [ConnectionTestThrottle]

    @extend_schema(
        request=None,
        responses={200: ConnectionTestOutputSerializer, 400: DetailSerializer},
    )
    def post(self, request):
        return Response(services.nextcloud_connection_test(user=request.user))
