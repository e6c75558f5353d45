from django.urls import path

from enterprise.credentials import views

# The OAuth token endpoint that gives Entra access tokens for an enterprise's SCIM endpoint. No namespace:
# Enterprise.token_endpoint reverses "oauth-token".
urlpatterns = [
    path("<uuid:public_id>/token", views.token, name="oauth-token"),
]
