from django.urls import path

from visitors import api, views

app_name = "visitors"

urlpatterns = [
    path("", views.VisitorPage.as_view(), name="index"),
    path("visitors/<int:pk>/sign-out", views.SignOut.as_view(), name="sign-out"),
    path("health", views.health, name="health"),
    path("health/live", views.health_live, name="health-live"),
    path("api/visitors", api.VisitorCollection.as_view(), name="api-visitors"),
    path("api/visitors/<int:pk>", api.VisitorDetail.as_view(), name="api-visitor"),
    path("api/visitors/<int:pk>/sign-out", api.VisitorSignOut.as_view(), name="api-sign-out"),
    path("api/openapi.json", api.OpenApiDocument.as_view(), name="api-openapi"),
]
