from django.urls import path

from enterprise import views

app_name = "enterprise"

urlpatterns = [
    path("", views.home, name="home"),
]
