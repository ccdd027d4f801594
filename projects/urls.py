"""HTML pages of BIM projects."""

urlpatterns: list = []
