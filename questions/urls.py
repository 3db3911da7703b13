from django.urls import path

from questions import views

app_name = "questions"
urlpatterns = [
    path("", views.topic_list, name="topics"),
    path("all/", views.question_index, name="index"),
    path("export.apkg", views.anki_export, name="anki-export"),
    path("exports/<uuid:export_id>/", views.anki_export_status, name="anki-export-status"),
    path("exports/<uuid:export_id>/deck.apkg", views.anki_export_download, name="anki-export-download"),
    path("<slug:card_id>/", views.question_detail, name="detail"),
]
