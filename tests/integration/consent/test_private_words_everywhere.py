"""Nothing private reaches any public page, however it is spelled and whichever page it is.

The guard ignores what a reader can't see (invisible formatting characters, typed or as
HTML entities) and covers every public page type and string: campaigns, the home page, the
indexes, search, topic and content-warning names. Those are checked against every
storyteller's private words and legal name (consent.selectors.public_page_verdict), when
they go live and as rendered for a reader; a word added later takes them down.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from consent.exceptions import ConsentRequired, PrivateWordsFound
from consent.selectors import publication_verdict
from stories.cache import purge_all
from stories.models import (
    INTRO_RICH_TEXT_FEATURES,
    CampaignIndexPage,
    CampaignPage,
    CampaignStory,
    ContentWarning,
    HomePage,
    StoryIndexPage,
    StoryPage,
    Topic,
)

from tests.conftest import approve
from tests.integration.consent.test_redaction import words_for
from tests.integration.stories.test_public_site import publish_consented
from tests.portal_flow import PortalClient, text_of

pytestmark = pytest.mark.django_db

TOWN = "Brindisi"
SHY, ZWSP, ZWJ, ZWNJ, WJ, BOM = "\u00ad", "\u200b", "\u200d", "\u200c", "\u2060", "\ufeff"

# The same word, looking just like "Brindisi" to a reader.
DISGUISES = {
    "soft hyphen": f"Brin{SHY}disi",
    "zero-width space": f"Br{ZWSP}indisi",
    "zero-width joiner": f"Brin{ZWJ}disi",
    "zero-width non-joiner": f"Brind{ZWNJ}isi",
    "word joiner": f"Brindi{WJ}si",
    "byte order mark": f"B{BOM}rindisi",
    "bidi controls": "\u202aBrin\u200edisi\u202c\u2066",
    "combining grapheme joiner": "Brin\u034fdisi",
    "variation selector": "Brin\ufe0fdisi",
    "ideographic variation selector": "Brin\U000e0100disi",
    "&shy;": "Brin&shy;disi",
    "&#173;": "Brin&#173;disi",
    "&#x200B;": "Brin&#x200B;disi",
    "&zwj;": "Brin&zwj;disi",
    "&#8203; twice encoded": "Brin&amp;#8203;disi",
}


# 1. Invisible characters don't hide a word


@pytest.mark.parametrize("spelling", DISGUISES.values(), ids=list(DISGUISES))
def test_invisible_characters_do_not_hide_a_private_word_in_a_story(make_story, amara, spelling):
    words_for(amara, TOWN)
    in_summary = make_story(amara, slug="summary", summary=f"I grew up in {spelling}.")
    in_body = make_story(amara, slug="body", body=f"<p>I grew up in {spelling}.</p>")

    assert publication_verdict(in_summary.get_latest_revision_as_object()).reason == (
        "The summary contains one of Amara's private words."
    )
    assert publication_verdict(in_body.get_latest_revision_as_object()).reason == (
        "The story contains one of Amara's private words."
    )


def test_a_private_word_typed_with_invisible_characters_still_guards_the_plain_word(
    make_story, amara
):
    words_for(amara, f"Brin{SHY}di{ZWSP}si")
    story = make_story(amara, summary=f"I grew up in {TOWN}.")

    assert publication_verdict(story.get_latest_revision_as_object()).code == "private_term"


def test_invisible_characters_do_not_join_a_word_that_is_not_there(make_story, amara):
    words_for(amara, "Ana")
    story = make_story(amara, summary=f"A ba{SHY}na{ZWSP}na and some bread.")

    assert publication_verdict(story.get_latest_revision_as_object()).code != "private_term"


# 2. Every other page type refuses to go live with anyone's private words


def page_edit(client, page, **typed):
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name, value in typed.items():
        data[name] = (
            rich_text(value, features=INTRO_RICH_TEXT_FEATURES) if name == "intro" else value
        )
    data["action-publish"] = "action-publish"
    return client.post(url, data, follow=True)


@pytest.fixture
def campaign(campaign_index, photo):
    campaign = CampaignPage(
        title="Fair work", slug="fair-work", intro="<p>Intro</p>", image=photo, image_alt="Hands"
    )
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    return CampaignPage.objects.get(pk=campaign.pk)


CAMPAIGN_FIELDS = [
    ("title", f"Leaving {DISGUISES['soft hyphen']}", "title"),
    ("seo_title", f"Leaving {DISGUISES['zero-width space']}", "title for search engines"),
    ("search_description", f"From {DISGUISES['&shy;']}", "search description"),
    ("slug", "leaving-brindisi", "web address (slug)"),
    ("intro", f"<p>From {DISGUISES['zero-width joiner']} to here.</p>", "introduction"),
    ("image_alt", f"The road to {DISGUISES['&#x200B;']}", "image description"),
]


@pytest.mark.parametrize(
    ("field", "value", "label"), CAMPAIGN_FIELDS, ids=[f[0] for f in CAMPAIGN_FIELDS]
)
def test_publishing_a_campaign_with_anyones_hidden_private_word_is_refused_and_says_where(
    client, superuser, campaign, lucia, field, value, label
):
    # Lucía's word, on a campaign that is no story of hers: still refused.
    words_for(lucia, TOWN)
    client.force_login(superuser)

    response = page_edit(client, campaign, **{field: value})

    assert response.status_code == 200
    assert f"The {label} contains a storyteller's private words." in text_of(response)
    assert "Lucía" not in text_of(response)  # whose words they are is not said either
    live = CampaignPage.objects.get(pk=campaign.pk)
    assert live.live
    assert getattr(live, field) != value  # the version with the word never went live


@pytest.mark.parametrize("page_type", ["home", "story index", "campaign index"])
def test_publishing_the_home_or_an_index_page_with_a_hidden_private_word_is_refused(
    client, superuser, home, story_index, campaign_index, lucia, page_type
):
    page = {"home": home, "story index": story_index, "campaign index": campaign_index}[page_type]
    words_for(lucia, TOWN, legal_name="María Lucía Ferrer")
    client.force_login(superuser)

    response = page_edit(
        client, page, intro=f"<p>Stories from {DISGUISES['soft hyphen']} and elsewhere.</p>"
    )
    named = page_edit(client, page, title=f"Mar{ZWJ}ía Lucía Fe{SHY}rrer")

    assert "The introduction contains a storyteller's private words." in text_of(response)
    assert "The title contains a storyteller's private words." in text_of(named)
    assert TOWN not in type(page).objects.get(pk=page.pk).intro


def test_no_door_makes_another_page_type_live_with_a_private_word(
    home, story_index, campaign_index, campaign, lucia
):
    words_for(lucia, TOWN)
    for page in (home, story_index, campaign_index, campaign):
        page = type(page).objects.get(pk=page.pk)
        page.search_description = f"Near {DISGUISES['word joiner']}"
        with pytest.raises(PrivateWordsFound, match="search description"):
            page.save()  # the ORM
        revision = page.save_revision()  # a draft may hold it: nobody reads drafts
        with pytest.raises(PrivateWordsFound):
            revision.publish()  # what the Publish button, a schedule and the API call
        assert type(page).objects.get(pk=page.pk).search_description == ""


def test_a_new_campaign_with_a_private_word_cannot_be_created_live(campaign_index, lucia):
    words_for(lucia, TOWN)

    with pytest.raises(PrivateWordsFound):
        campaign_index.add_child(instance=CampaignPage(title=f"Leaving {TOWN}", slug="leaving"))

    assert not CampaignPage.objects.filter(slug="leaving").exists()


# 3. Topic and content-warning names


@pytest.mark.parametrize(
    ("snippet", "data", "field"),
    [
        ("contentwarning", {"name": f"Events in {DISGUISES['&shy;']}", "description": ""}, "name"),
        ("topic", {"name": f"Life in {DISGUISES['soft hyphen']}", "slug": "life"}, "name"),
        ("topic", {"name": "Harbour life", "slug": "life-in-brindisi"}, "slug"),
    ],
)
def test_a_topic_or_warning_naming_a_private_word_is_refused_in_the_admin(
    client, superuser, lucia, snippet, data, field
):
    words_for(lucia, TOWN)
    client.force_login(superuser)

    response = client.post(reverse(f"wagtailsnippets_stories_{snippet}:add"), data)

    assert response.status_code == 200
    assert "This contains a storyteller's private words." in text_of(response)
    assert not ContentWarning.objects.exists() and not Topic.objects.exists()


def test_a_topic_or_warning_naming_a_private_word_is_refused_by_the_orm(lucia):
    words_for(lucia, TOWN)

    with pytest.raises(PrivateWordsFound):
        Topic.objects.create(name=f"Life in {DISGUISES['zero-width space']}", slug="life")
    with pytest.raises(PrivateWordsFound):
        ContentWarning.objects.create(name=f"Events in {DISGUISES['&zwj;']}")


# 4. The page as a reader gets it


def test_a_private_word_reaching_a_campaign_only_through_its_rendering_is_never_served(
    client, make_story, amara, lucia, campaign
):
    # The intro holds a page id; only the rendered page shows the linked story's address.
    linked = publish_consented(make_story, amara, "okonkwo-street", title="Another story")
    draft = campaign.get_latest_revision_as_object()
    draft.intro = f'<p>Read <a linktype="page" id="{linked.pk}">this</a>.</p>'
    draft.save_revision().publish()
    assert client.get("/campaigns/fair-work/").status_code == 200
    words_for(lucia, "Okonkwo Street")
    assert CampaignPage.objects.get(pk=campaign.pk).live  # its stored strings are clean
    purge_all()

    response = client.get("/campaigns/fair-work/")
    again = client.get("/campaigns/fair-work/")

    assert response.status_code == 404
    assert "okonkwo" not in response.content.decode().lower()
    assert again.status_code == 404  # the refusal was not cached as a page either
    assert again.get("X-Sayso-Cache") != "hit"


def test_a_story_card_is_checked_with_its_own_storytellers_words_on_every_listing(
    client, make_story, amara, lucia, campaign
):
    # Amara may tell of Brindisi; it is Lucía's word, but not on Lucía's story.
    story = publish_consented(make_story, amara, "harbour", summary=f"I sailed from {TOWN}.")
    draft = campaign.get_latest_revision_as_object()
    draft.campaign_stories = [CampaignStory(story=story, sort_order=0)]
    draft.save_revision().publish()
    words_for(lucia, TOWN)

    for url in ("/", "/stories/", "/campaigns/fair-work/", "/search/?q=sailed"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/stories/harbour/" in response.content.decode(), url


def test_searching_for_a_private_word_does_not_reveal_that_it_is_one(client, lucia):
    words_for(lucia, TOWN)

    searched = client.get(f"/search/?q={TOWN}")
    other = client.get("/search/?q=Lisbon")

    assert searched.status_code == other.status_code == 200
    assert text_of(searched).replace(TOWN, "Lisbon") == text_of(other)


def test_the_guarded_words_are_read_once_per_rendered_page(
    client, make_story, amara, lucia, home, campaign
):
    words_for(amara, "Enugu")
    words_for(lucia, TOWN)
    publish_consented(make_story, amara, "s0")
    purge_all()

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200

    reads = [q["sql"] for q in queries if 'FROM "consent_storyteller"' in q["sql"]]
    assert len(reads) == 1


# 5. A word added after publication


def test_a_word_added_after_publication_takes_down_campaigns_and_pages_that_show_it(
    client, home, story_index, campaign, lucia, django_capture_on_commit_callbacks
):
    draft = campaign.get_latest_revision_as_object()
    draft.intro = f"<p>Stories from Bri{SHY}ndisi.</p>"
    draft.save_revision().publish()
    home_draft = HomePage.objects.get(pk=home.pk)
    home_draft.search_description = f"From {TOWN} and beyond"
    home_draft.save_revision().publish()
    for url in ("/", "/campaigns/", "/campaigns/fair-work/"):
        assert client.get(url).status_code == 200  # and cached
    portal = PortalClient()
    portal.force_login(lucia.user)

    with django_capture_on_commit_callbacks(execute=True):
        portal.post(reverse("portal:private_words"), {"word": "brindisi"})

    assert not CampaignPage.objects.get(pk=campaign.pk).live
    assert not HomePage.objects.get(pk=home.pk).live
    assert StoryIndexPage.objects.get(pk=story_index.pk).live
    assert CampaignIndexPage.objects.get().live
    assert client.get("/campaigns/fair-work/").status_code == 404
    assert "/campaigns/fair-work/" not in client.get("/campaigns/").content.decode()
    assert client.get("/").status_code == 404


def test_a_word_added_after_publication_takes_down_stories_showing_it_in_a_shared_name(
    client, make_story, amara, lucia, editor, django_capture_on_commit_callbacks
):
    warning = ContentWarning.objects.create(name=f"Events in {TOWN}")
    story = make_story(amara, slug="warned")
    draft = story.get_latest_revision_as_object()
    draft.content_warnings = [warning]
    draft.save_revision(user=editor)
    story = StoryPage.objects.get(pk=story.pk)
    approve(story, amara)
    story.get_latest_revision().publish()
    assert [w.name for w in StoryPage.objects.get(pk=story.pk).content_warnings.all()] == [
        warning.name
    ]
    assert client.get("/stories/warned/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        words_for(lucia, TOWN)

    assert not StoryPage.objects.get(pk=story.pk).live
    assert client.get("/stories/warned/").status_code == 404
    # And an editor can't put it back while the warning says it.
    with pytest.raises(ConsentRequired, match="The content warnings contain"):
        StoryPage.objects.get(pk=story.pk).get_latest_revision().publish(user=editor)
