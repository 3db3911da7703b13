# Included under /questions/mine/ in the questions namespace (quizapp/urls.py): the names stay
# questions:own, questions:own-new, …
from django.urls import path

from quizapp.own_cards import views

urlpatterns = [
    path("", views.own_card_list, name="own"),
    path("new/", views.own_card_new, name="own-new"),
    path("import/", views.own_cards_import, name="own-import"),
    path("import/confirm/", views.own_cards_import_confirm, name="own-import-confirm"),
    path("template.csv", views.own_cards_template, name="own-template"),
    path("export.csv", views.own_cards_export, name="own-export"),
    path("delete/", views.own_cards_delete_many, name="own-delete-many"),
    path("images/<str:name>", views.own_card_image, name="own-image"),
    path("<slug:card_id>/edit/", views.own_card_edit, name="own-edit"),
    path("<slug:card_id>/delete/", views.own_card_delete, name="own-delete"),
]
