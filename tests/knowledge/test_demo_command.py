from django.core.management import call_command

from knowledge.models import Article


def test_load_kb_demo_is_idempotent_and_searchable(alice, sam, client):
    call_command("load_kb_demo", stdout=None)
    n = Article.objects.filter(status="published").count()
    call_command("load_kb_demo", stdout=None)
    assert Article.objects.filter(status="published").count() == n >= 5
    assert "打印机卡纸" in client.get("/kb/", {"q": "打印机 卡纸"}).content.decode()
    assert "printer paper jam" in client.get("/kb/", {"q": "paper jam"}).content.decode()
