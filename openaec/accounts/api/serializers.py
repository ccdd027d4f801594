"""Serializers shared by the accounts API views."""

from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.authentication import JWTAuthentication

from openaec.accounts.models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "role"]


class SettingsOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    erpnext_url = serializers.CharField(allow_null=True)
    erpnext_api_key = serializers.CharField(allow_null=True)
    erpnext_api_secret_set = serializers.BooleanField()
    nextcloud_url = serializers.CharField(allow_null=True)
    nextcloud_username = serializers.CharField(allow_null=True)
    nextcloud_password_set = serializers.BooleanField()

    def to_representation(self, user: User) -> dict:
        return {
            "username": user.username,
            "email": user.email,
            "role": user.role,
            "erpnext_url": user.erpnext_url,
            "erpnext_api_key": user.erpnext_api_key,
            "erpnext_api_secret_set": bool(user.erpnext_api_secret),
            "nextcloud_url": user.nextcloud_url,
            "nextcloud_username": user.nextcloud_username,
            "nextcloud_password_set": bool(user.nextcloud_password),
        }


class ConnectionTestOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    user = serializers.CharField(required=False)
    error = serializers.CharField(required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    # simplejwt's refresh, refusing what the access token would be refused for: it checks the
    # password digest (CHECK_REVOKE_TOKEN) only on access tokens, and a deleted user's refresh
    # token makes its serializer raise DoesNotExist.

    def validate(self, attrs: dict) -> dict:
        JWTAuthentication().get_user(self.token_class(attrs["refresh"]))
        return super().validate(attrs)
