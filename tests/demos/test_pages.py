"""The demo pages give demos.js what it cannot know itself: its words in the page's language, and the API's URLs."""

import json

from django.urls import reverse


def page_strings(html: str) -> dict:
    return json.loads(html.split('id="demo-strings" type="application/json">')[1].split("</script>")[0])


def test_it_gives_the_script_its_words_in_the_pages_language_and_the_apis_urls(client, db):
    html = client.get(reverse("demos:detail", args=["D1"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    strings = page_strings(html)
    assert strings["retry"] == "运行过于频繁，请 %(n)s 秒后再试。"
    assert strings["queued"] == "排队中，等待 worker……"
    assert f'data-start-url="{reverse("api-demo-run-start", args=["D1"])}"' in html
    runs_url = html.split('data-runs-url="')[1].split('"')[0]
    run_id = "00000000-0000-0000-0000-000000000000"
    assert f"{runs_url}{run_id}/" == reverse("api-run-detail", args=[run_id])  # how demos.js polls a run
