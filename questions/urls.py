from django.urls import path

from questions import views

app_name = "questions"
urlpatterns = [
    path("", views.topic_list, name="topics"),
    path("all/", views.question_index, name="index"),
    path("export.apkg", views.anki_export, name="anki-export"),
    path("<slug:card_id>/", views.question_detail, name="detail"),
]
