from django.urls import path

from questions import own_views, views

app_name = "questions"
urlpatterns = [
    path("", views.topic_list, name="topics"),
    path("all/", views.question_index, name="index"),
    path("export.apkg", views.anki_export, name="anki-export"),
    path("mine/", own_views.own_card_list, name="own"),
    path("mine/new/", own_views.own_card_new, name="own-new"),
    path("mine/import/", own_views.own_cards_import, name="own-import"),
    path("mine/template.csv", own_views.own_cards_template, name="own-template"),
    path("mine/export.csv", own_views.own_cards_export, name="own-export"),
    path("mine/delete/", own_views.own_cards_delete_many, name="own-delete-many"),
    path("mine/<slug:card_id>/edit/", own_views.own_card_edit, name="own-edit"),
    path("mine/<slug:card_id>/delete/", own_views.own_card_delete, name="own-delete"),
    path("<slug:card_id>/", views.question_detail, name="detail"),
]
