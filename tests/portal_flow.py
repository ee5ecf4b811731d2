"""The portal as a storyteller's browser meets it, and her decision walked page by page.

PortalClient reads every portal page it is shown and refuses jargon on it. Each decision
helper reads the page it is on and submits that page's own form (hidden fields and the
ticked defaults included), with only the answers a person would change.
"""

import re

from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from stories.models import StoryPage

# Words a storyteller should never have to decode (DESIGN.md, "Trauma-informed by default").
JARGON = re.compile(r"\b(revisions?|workflows?|tasks?)\b", re.IGNORECASE)
# Attributes a person meets through a screen reader or a tooltip, besides the text itself.
READ_ALOUD_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


def readable_text(html):
    """Everything a person reads or hears on a page: its text and its spoken attributes."""
    soup = BeautifulSoup(html, "html.parser")
    for invisible in soup(["script", "style"]):
        invisible.decompose()
    parts = [soup.get_text(" ")]
    for tag in soup.find_all(True):
        parts.extend(str(tag[name]) for name in READ_ALOUD_ATTRIBUTES if tag.has_attr(name))
        if tag.name in ("input", "button") and tag.get("type") in ("submit", "button"):
            parts.append(str(tag.get("value", "")))
    return " ".join(" ".join(parts).split())


class PortalClient(Client):
    """A test client that reads every portal page it is shown and refuses any jargon on it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal_pages_read = []

    def request(self, **request):
        response = super().request(**request)
        path = request["PATH_INFO"]
        if path.startswith("/my/") and "text/html" in response.get("Content-Type", ""):
            words = JARGON.findall(readable_text(response.content.decode()))
            assert not words, f"{path} speaks of {sorted(set(words))} to a storyteller"
            self.portal_pages_read.append(path)
        return response


def text_of(response):
    return readable_text(response.content.decode())


def signed_in(storyteller_or_user):
    """A PortalClient signed in as this storyteller (or user)."""
    user = getattr(storyteller_or_user, "user", storyteller_or_user)
    client = PortalClient()
    client.force_login(user)
    return client


def current_review_step(story):
    """The step of the story's review in progress now (hers, or the editors' sign-off)."""
    return StoryPage.objects.get(pk=story.pk).current_workflow_task_state


def page_form(response, action=""):
    """What the browser would submit from the page's form posting to ``action``, untouched."""
    soup = BeautifulSoup(response.content, "html.parser")
    forms = [
        form
        for form in soup.find_all("form")
        if (form.get("method") or "").lower() == "post" and (form.get("action") or "") == action
    ]
    assert len(forms) == 1, f"expected one form posting to {action!r}, found {len(forms)}"
    data = querydict_from_html(str(forms[0]))
    return {key: data.getlist(key) for key in data}


def start_deciding(client, story):
    """Read the story, then press "Decide about this version" under it."""
    story_page = client.get(reverse("portal:story", args=[story.pk]))
    assert story_page.status_code == 200
    start = reverse("portal:decide_start", args=[story.pk])
    response = client.post(start, page_form(story_page, start))
    assert response.status_code == 302, response
    assert response["Location"] == reverse("portal:decide", args=[story.pk])
    return response


def answer(client, url, **answers):
    """Open one question's page and send its form with these answers (lists or strings)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = page_form(page)
    for name, value in answers.items():
        data[name] = value if isinstance(value, list) else [value]
    return client.post(url, data)


def choose(client, story, decision):
    """On "What would you like to do?", choose one."""
    return answer(client, reverse("portal:decide", args=[story.pk]), decision=decision)


def approve_in_portal(
    client,
    story,
    *,
    channels=("website",),
    byline=None,
    photo=None,
    until="withdrawn",
    valid_until="",
    follow=True,
    stop_at_check=False,
):
    """Approve (or, when the answers don't match the version, send them back) in the portal.

    Unanswered questions keep what the page ticks for her. Returns the last response; with
    ``stop_at_check``, the "check your answers" page, not yet confirmed.
    """
    start_deciding(client, story)
    choose(client, story, "approve")
    url = lambda step: reverse(f"portal:approve_{step}", args=[story.pk])  # noqa: E731
    response = answer(client, url("places"), channels=list(channels))
    assert response.status_code == 302, "places"
    response = answer(client, url("name"), **({"byline": byline} if byline else {}))
    assert response.status_code == 302, "name"
    if response["Location"] == url("photo"):
        response = answer(client, url("photo"), **({"photo": photo} if photo else {}))
        assert response.status_code == 302, "photo"
    response = answer(client, url("until"), until=until, valid_until=valid_until)
    assert response.status_code == 302, "until"
    assert response["Location"] == url("check")
    check = client.get(url("check"))
    assert check.status_code == 200
    if stop_at_check:
        return check
    return client.post(url("check"), page_form(check), follow=follow)


def ask_for_changes_in_portal(client, story, message, *, follow=True):
    start_deciding(client, story)
    choose(client, story, "changes")
    url = reverse("portal:request_changes", args=[story.pk])
    return answer_and_follow(client, url, follow, message=message)


def answer_and_follow(client, url, follow, **answers):
    page = client.get(url)
    assert page.status_code == 200
    data = page_form(page)
    data.update({name: [value] for name, value in answers.items()})
    return client.post(url, data, follow=follow)


def withdraw_in_portal(client, story, *, follow=False):
    """Withdraw the story everywhere: one choice, one button."""
    return client.post(
        reverse("portal:withdraw", args=[story.pk]), {"where": "everywhere"}, follow=follow
    )
