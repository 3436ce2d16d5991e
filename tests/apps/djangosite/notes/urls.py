from django.urls import path

from . import views

app_name = "notes"
urlpatterns = [
    path("", views.note_list, name="list"),
    path("add/", views.add_note, name="add"),
    path("<int:note_id>/", views.note_detail, name="detail"),
    path("upload/", views.upload, name="upload"),
]
