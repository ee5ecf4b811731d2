"""A storyteller's photo obeys her choices wherever it could appear.

Her photo (StoryPage.image, or a picture inside her story's text) reaches readers only
through her story: other page types are refused it at save and publish, a picture already
public elsewhere can't become hers, pictures in her text are bound to consent by their
file's content and obey "don't show the photo" and blurring.
"""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.test.utils.form_data import querydict_from_html

from consent.exceptions import ConsentRequired
from consent.selectors import publication_verdict
from images.models import SaysoImage, SaysoRendition
from stories.models import CampaignPage, HomePage, StoryPage
from stories.photos import REFUSED_ELSEWHERE, REFUSED_FOR_STORY, REFUSED_OTHER_STORYTELLER

from tests.conftest import approve

pytestmark = pytest.mark.django_db


def jpeg(colour):
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 80), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def new_image(colour=(20, 90, 160), title="A picture"):
    image = SaysoImage(title=title, file=ImageFile(io.BytesIO(jpeg(colour)), name="p.jpg"))
    image.save()
    return image


def embed(image, alt="A picture in the text"):
    return f'<embed alt="{alt}" embedtype="image" format="fullwidth" id="{image.pk}"/>'


def publish(story, storyteller, **scope):
    scope.setdefault("image_allowed", True)
    approve(story, storyteller, **scope)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


@pytest.fixture
def her_story(make_story, amara, photo):
    return publish(make_story(amara, slug="hers", image=photo, image_alt="Her hands"), amara)


@pytest.fixture
def campaign(campaign_index):
    campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Intro</p>")
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    return CampaignPage.objects.get(pk=campaign.pk)


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def admin_edit(client, page, publish_it=False, **typed):
    form = client.get(edit_url(page))
    assert form.status_code == 200
    data = querydict_from_html(form.content.decode(), form_id="page-edit-form")
    for name, value in typed.items():
        data[name] = value
    if publish_it:
        data["action-publish"] = "action-publish"
    return client.post(edit_url(page), data)


def page_errors(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.get_text(" ").split())


# Other pages can't show her photo


@pytest.mark.parametrize("publish_it", [False, True], ids=["save-draft", "publish"])
def test_the_campaign_editor_refuses_a_storytellers_photo_as_its_image(
    editor_client, her_story, campaign, photo, publish_it
):
    revisions = campaign.revisions.count()

    response = admin_edit(
        editor_client, campaign, publish_it, image=str(photo.pk), image_alt="Hands"
    )

    assert response.status_code == 200
    assert str(REFUSED_ELSEWHERE) in page_errors(response)
    campaign = CampaignPage.objects.get(pk=campaign.pk)
    assert campaign.image_id is None
    assert campaign.revisions.count() == revisions


def test_a_campaign_can_use_a_picture_that_is_no_storytellers(editor_client, campaign):
    picture = new_image()

    response = admin_edit(
        editor_client, campaign, True, image=str(picture.pk), image_alt="A banner"
    )

    assert response.status_code == 302
    assert CampaignPage.objects.get(pk=campaign.pk).image_id == picture.pk


def test_code_cannot_save_or_publish_a_campaign_with_her_photo(her_story, campaign, photo):
    campaign.image, campaign.image_alt = photo, "Hands"

    with pytest.raises(ValidationError) as refused:
        campaign.save_revision()
    assert refused.value.message_dict == {"image": [str(REFUSED_ELSEWHERE)]}
    with pytest.raises(ValidationError):
        campaign.save()
    assert CampaignPage.objects.get(pk=campaign.pk).image_id is None


@pytest.mark.parametrize("where", ["home", "story_index", "campaign_index", "campaign"])
def test_no_introduction_can_embed_her_photo(her_story, campaign, photo, where, request):
    page = campaign if where == "campaign" else request.getfixturevalue(where)
    page = type(page).objects.get(pk=page.pk)
    page.intro = f"<p>Look:</p>{embed(photo)}"

    with pytest.raises(ValidationError) as refused:
        page.save_revision()
    assert refused.value.message_dict == {"intro": [str(REFUSED_ELSEWHERE)]}
    page.live = True
    with pytest.raises(ValidationError):
        page.save()


def test_a_second_upload_of_the_same_file_is_still_her_photo(her_story, campaign, photo):
    with photo.file.open("rb") as original:
        twin = SaysoImage(title="Same file", file=ImageFile(io.BytesIO(original.read()), "t.jpg"))
        twin.save()
    assert twin.pk != photo.pk and twin.file_hash == photo.file_hash

    campaign.image, campaign.image_alt = twin, "Hands"
    with pytest.raises(ValidationError):
        campaign.save_revision()


def test_a_photo_removed_from_her_story_is_still_hers(her_story, campaign, photo, editor, home):
    draft = StoryPage.objects.get(pk=her_story.pk)
    draft.image, draft.image_alt = None, ""
    draft.save_revision(user=editor)
    StoryPage.objects.filter(pk=her_story.pk).update(image=None, image_alt="")

    home = HomePage.objects.get(pk=home.pk)
    home.intro = embed(photo)
    with pytest.raises(ValidationError):
        home.save_revision()


# Her story can't take a picture already public elsewhere, or another storyteller's


def test_a_campaigns_picture_cannot_become_a_storys_photo(
    editor_client, campaign, make_story, amara
):
    picture = new_image()
    campaign.image, campaign.image_alt = picture, "A banner"
    campaign.save_revision().publish()
    story = make_story(amara, slug="new")

    response = admin_edit(editor_client, story, image=str(picture.pk), image_alt="A banner")

    assert response.status_code == 200
    assert str(REFUSED_FOR_STORY) in page_errors(response)
    assert StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object().image_id is None


def test_another_storytellers_photo_cannot_be_used_for_a_story(
    editor_client, her_story, photo, make_story, lucia
):
    story = make_story(lucia, slug="lucias")

    response = admin_edit(editor_client, story, image=str(photo.pk), image_alt="Hands")

    assert response.status_code == 200
    assert str(REFUSED_OTHER_STORYTELLER) in page_errors(response)
    story.body = f"<p>Words.</p>{embed(photo)}"
    with pytest.raises(ValidationError) as refused:
        story.save_revision()
    assert refused.value.message_dict == {"body": [str(REFUSED_OTHER_STORYTELLER)]}


def test_two_of_her_own_stories_may_share_her_photo(
    editor_client, her_story, photo, make_story, amara
):
    story = make_story(amara, slug="second")

    response = admin_edit(editor_client, story, image=str(photo.pk), image_alt="Hands")

    assert response.status_code == 302
    assert StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object().image_id == photo.pk


# Pictures in her text: bound by content, obeying "no photo" and blur


@pytest.fixture
def picture():
    return new_image((200, 40, 40), title="In the text")


@pytest.fixture
def story_with_picture(make_story, amara, picture):
    story = make_story(amara, slug="pictured", body=f"<p>The market.</p>{embed(picture)}")
    return publish(story, amara)


def test_replacing_the_file_of_a_picture_in_her_text_ends_her_consent_for_it(
    client, admin_client, story_with_picture, picture
):
    assert client.get("/stories/pictured/").status_code == 200

    response = admin_client.post(
        reverse("wagtailimages:edit", args=[picture.pk]),
        {
            "title": "In the text",
            "collection": picture.collection_id,
            "file": SimpleUploadedFile("other.jpg", jpeg((0, 200, 0)), "image/jpeg"),
        },
    )

    assert response.status_code == 302
    story = StoryPage.objects.get(pk=story_with_picture.pk)
    assert not publication_verdict(story, publishing=False).allowed
    assert client.get("/stories/pictured/").status_code == 410
    assert client.get(f"/api/v3/pages/{story.pk}/").status_code == 404
    with pytest.raises(ConsentRequired):
        story.get_latest_revision().publish()


def test_dont_show_the_photo_refuses_a_version_with_pictures_in_its_text(
    make_story, amara, picture
):
    story = make_story(amara, slug="pictured", body=f"<p>The market.</p>{embed(picture)}")
    approve(story, amara, image_allowed=False)

    verdict = publication_verdict(StoryPage.objects.get(pk=story.pk))

    assert (verdict.allowed, verdict.code) == (False, "image")
    with pytest.raises(ConsentRequired):
        story.get_latest_revision().publish()
    assert not StoryPage.objects.get(pk=story.pk).live


def test_dont_show_the_photo_still_allows_a_version_without_pictures(make_story, amara):
    story = make_story(amara, slug="words-only")
    approve(story, amara, image_allowed=False)

    assert publication_verdict(StoryPage.objects.get(pk=story.pk)).allowed


def _media_renditions(html):
    soup = BeautifulSoup(html, "html.parser")
    names = {
        "images/" + tag["src"].rsplit("/media/images/", 1)[-1]
        for tag in soup.select(".story-body img")
    }
    return list(SaysoRendition.objects.filter(file__in=names))


def test_pictures_in_a_blurred_story_are_blurred_too(client, make_story, amara, picture):
    story = make_story(
        amara, slug="blurred", body=f"<p>The market.</p>{embed(picture)}", image_blurred=True
    )
    publish(story, amara)

    html = client.get("/stories/blurred/").content.decode()

    renditions = _media_renditions(html)
    assert [r.image_id for r in renditions] == [picture.pk]
    assert "blur" in renditions[0].filter_spec.split("|")
    assert not picture.renditions.exclude(filter_spec__contains="blur").exists()
    assert 'alt="A picture in the text"' in html


def test_pictures_in_a_story_not_asked_to_be_blurred_are_shown_as_they_are(
    client, story_with_picture, picture
):
    html = client.get("/stories/pictured/").content.decode()

    renditions = _media_renditions(html)
    assert [r.image_id for r in renditions] == [picture.pk]
    assert "blur" not in renditions[0].filter_spec.split("|")


def test_withdrawal_takes_down_the_files_of_pictures_in_her_text(
    client, story_with_picture, picture, amara, django_capture_on_commit_callbacks
):
    from consent import services

    html = client.get("/stories/pictured/").content.decode()
    [shown] = _media_renditions(html)
    storage, name = shown.file.storage, shown.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=story_with_picture, user=amara.user)

    assert not picture.renditions.exists()
    assert not storage.exists(name)
    assert client.get("/stories/pictured/").status_code == 410
