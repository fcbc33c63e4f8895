from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "locale", "status", "approved_by", "updated_at")
    list_filter = ("status", "locale")
    search_fields = ("title", "slug", "answer")
    prepopulated_fields = {"slug": ("title",)}

    def save_model(self, request, obj, form, change):
        if obj.status == Article.Status.PUBLISHED and obj.approved_by is None:
            obj.approved_by = request.user
        super().save_model(request, obj, form, change)
