"""What she approves is exactly what she was shown, all of it.

Mechanically: every key of StoryPage.public_content() (the content her consent is bound to,
nested keys of the photo included) must have a check below. Each check plants a distinctive
value in that field and looks for it, in plain words, on the portal's review page; and, when
only that field changes between the version she approved and a new one, in the "what
changed" view. A key added to the hash without a way to show it fails the first test.
"""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage

from images.models import SaysoImage
from stories.models import ContentWarning, StoryPage, Topic

from tests.conftest import approve, new_photo, warn_and_tag
from tests.portal_flow import PortalClient

pytestmark = pytest.mark.django_db

PUBLIC_ADDRESS = "http://localhost/stories/{slug}/"


def key_paths(content, prefix=""):
    """Every key of a nested dict, as dotted paths ("image.alt")."""
    paths = []
    for key, value in content.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            paths.extend(key_paths(value, f"{path}."))
        else:
            paths.append(path)
    return paths


@pytest.fixture
def everything(make_story, amara):
    """A story with a distinctive value in every field readers get."""
    story = make_story(
        amara,
        slug="lanterns-quarry-lane",
        title="Lanterns over Quarry Lane",
        seo_title="Tabtitle Xanthe",
        search_description="Searchblurb Yarrow",
        summary="Summary Zinnia.",
        body="<p>Body Wolfsbane.</p>",
        byline_kind=StoryPage.Byline.PSEUDONYM,
        byline_name="Byname Vetch",
        image=new_photo((200, 40, 40), "My photo"),
        image_alt="Alttext Umber",
        image_blurred=True,
        region="KG",
    )
    warn_and_tag(story, "Quillwort warning", "Marrowfat topic")
    return StoryPage.objects.get(pk=story.pk)


def review_page(story, storyteller):
    client = PortalClient()
    client.force_login(storyteller.user)
    response = client.get(reverse("portal:story", args=[story.pk]))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    for hint in soup.select(".visually-hidden"):
        hint.decompose()
    return soup


def text(soup):
    return " ".join(soup.get_text(" ").split())


def pictures_of(soup, image):
    """The renditions of `image` the page shows, by filter."""
    specs = []
    for tag in soup.find_all("img"):
        path = tag["src"].split("/media/", 1)[-1]
        rendition = image.renditions.filter(file=path).first()
        if rendition is not None:
            specs.append(rendition.filter_spec)
    return specs


def latest(story):
    return StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()


# What the review page must show for each key, given the version she reads.
def shows_title(soup, page):
    return page.title in text(soup)


def shows_seo_title(soup, page):
    return page.seo_title in text(soup)


def shows_search_description(soup, page):
    return page.search_description in text(soup)


def shows_slug(soup, page):
    return PUBLIC_ADDRESS.format(slug=page.slug) in text(soup)


def shows_summary(soup, page):
    return page.summary in text(soup)


def shows_body(soup, page):
    return "Body Wolfsbane." in text(soup.select_one(".preview-frame"))


def shows_warnings(soup, page):
    return all(w.name in text(soup) for w in page.content_warnings.all())


def shows_byline_kind(soup, page):
    return {
        StoryPage.Byline.PSEUDONYM: "(the name you chose to be known by)",
        StoryPage.Byline.FIRST_NAME: "(your first name)",
        StoryPage.Byline.ANONYMOUS: "Anonymous: no name is shown",
    }[page.byline_kind] in text(soup)


def shows_byline_name(soup, page):
    return page.byline_name in text(soup)


def shows_the_photo(soup, page):
    # The very picture readers get: a rendition of this image, blurred if she chose it.
    specs = pictures_of(soup, page.image)
    blurred = [spec for spec in specs if "blur" in spec]
    return bool(specs) and (blurred == specs if page.image_blurred else not blurred)


def shows_alt(soup, page):
    # As words she can read, not only as the picture's alt attribute.
    return page.image_alt in text(soup)


def shows_blurred(soup, page):
    return "Yes: readers only ever get a blurred copy" in text(soup) and shows_the_photo(soup, page)


def shows_topics(soup, page):
    return all(t.name in text(soup) for t in page.topics.all())


def shows_region(soup, page):
    return page.region.name in text(soup)


SHOWN = {
    "title": shows_title,
    "seo_title": shows_seo_title,
    "search_description": shows_search_description,
    "slug": shows_slug,
    "summary": shows_summary,
    "body": shows_body,
    "content_warnings": shows_warnings,
    "byline_kind": shows_byline_kind,
    "byline_name": shows_byline_name,
    "image.id": shows_the_photo,
    "image.file_hash": shows_the_photo,
    "image.alt": shows_alt,
    "image.blurred": shows_blurred,
    "topics": shows_topics,
    "region": shows_region,
}


def test_every_hashed_key_has_a_check_that_it_is_shown(everything):
    assert sorted(key_paths(latest(everything).public_content())) == sorted(SHOWN)


def test_the_review_page_shows_every_field_readers_get(everything, amara, review_workflow, editor):
    review_workflow.start(everything, editor)
    page = latest(everything)

    soup = review_page(everything, amara)

    missing = [key for key in key_paths(page.public_content()) if not SHOWN[key](soup, page)]
    assert missing == []
    # In plain words: no jargon she would have to ask about.
    words = text(soup).lower()
    for jargon in ("slug", "seo", "alt text", "revision", "metadata"):
        assert jargon not in words


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        (StoryPage.Byline.PSEUDONYM, "Byname Vetch (the name you chose to be known by)"),
        (StoryPage.Byline.FIRST_NAME, "Byname Vetch (your first name)"),
        (StoryPage.Byline.ANONYMOUS, "Anonymous: no name is shown"),
    ],
)
def test_how_she_is_named_is_said_in_plain_words(
    everything, amara, review_workflow, editor, kind, phrase
):
    draft = latest(everything)
    draft.byline_kind = kind
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=everything.pk), editor)

    assert phrase in text(review_page(everything, amara))


def test_an_unblurred_photo_is_shown_sharp_and_said_to_be(
    everything, amara, review_workflow, editor
):
    draft = latest(everything)
    draft.image_blurred = False
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=everything.pk), editor)
    page = latest(everything)

    soup = review_page(everything, amara)

    assert "No: readers see the photo clearly" in text(soup)
    specs = pictures_of(soup, page.image)
    assert specs and not [spec for spec in specs if "blur" in spec]


# The "what changed" view: change one field only, and she must see that change.


def set_warning(page):
    page.content_warnings = [ContentWarning.objects.create(name="Bramblewood warning")]


def set_topic(page):
    page.topics = [Topic.objects.create(name="Kestrelgate topic", slug="kestrelgate")]


def set_photo(page):
    # Same name as the old one, so only the picture itself tells them apart.
    page.image = new_photo((20, 160, 220), title=page.image.title)


CHANGES = {
    "title": (lambda p: setattr(p, "title", "Lanterns over Mill Lane"), "Mill"),
    "seo_title": (lambda p: setattr(p, "seo_title", "Tabtitle Jonquil"), "Jonquil"),
    "search_description": (
        lambda p: setattr(p, "search_description", "Searchblurb Hellebore"),
        "Hellebore",
    ),
    "slug": (
        lambda p: setattr(p, "slug", "lanterns-mill-lane"),
        PUBLIC_ADDRESS.format(slug="lanterns-mill-lane"),
    ),
    "summary": (lambda p: setattr(p, "summary", "Summary Gentian."), "Gentian."),
    "body": (lambda p: setattr(p, "body", "<p>Body Foxglove.</p>"), "Foxglove."),
    "content_warnings": (set_warning, "Bramblewood"),
    "byline_kind": (
        lambda p: setattr(p, "byline_kind", StoryPage.Byline.FIRST_NAME),
        "first name)",
    ),
    "byline_name": (lambda p: setattr(p, "byline_name", "Byname Eyebright"), "Eyebright"),
    "image.id": (set_photo, "a different photo"),
    "image.alt": (lambda p: setattr(p, "image_alt", "Alttext Damson"), "Damson"),
    "image.blurred": (lambda p: setattr(p, "image_blurred", False), None),
    "topics": (set_topic, "Kestrelgate"),
    "region": (lambda p: setattr(p, "region", "UY"), "Uruguay"),
}


def test_every_hashed_key_has_a_change_to_show(everything):
    paths = set(key_paths(latest(everything).public_content()))
    # A photo's file replaced in place changes its hash under every version: tested below.
    assert paths - {"image.file_hash"} == set(CHANGES)


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_what_changed_shows_a_change_to_any_field_readers_get(
    everything, amara, review_workflow, editor, key
):
    approve(everything, amara, image_allowed=True)
    before = latest(everything)
    change, added = CHANGES[key]
    draft = latest(everything)
    change(draft)
    draft.save_revision(user=editor)
    story = StoryPage.objects.get(pk=everything.pk)
    after = latest(story)
    assert key_paths(before.public_content()) and before.public_content() != (
        after.public_content()
    )
    review_workflow.start(story, editor)

    soup = review_page(story, amara)

    changes = soup.select_one(".changes")
    assert changes is not None, key
    shown = text(changes)
    if added is not None:
        assert added in " ".join(text(tag) for tag in changes.select("ins")) or (
            added in shown and key == "slug"
        ), key
    if key == "image.id":
        # Both pictures, each as readers get it (blurred, as she chose).
        assert pictures_of(changes, before.image) == ["width-800|format-webp|blur"]
        assert pictures_of(changes, after.image) == ["width-800|format-webp|blur"]
    if key == "image.blurred":
        assert "shown blurred" in " ".join(text(tag) for tag in changes.select("del"))
        assert sorted(pictures_of(changes, after.image)) == [
            "width-800|format-webp",
            "width-800|format-webp|blur",
        ]
    # The change is only what changed: every other row stayed out of it.
    assert len(changes.select("h3")) == 1, key


def test_a_photo_replaced_under_the_version_she_approved_is_shown_as_changed(
    everything, amara, review_workflow, editor
):
    approve(everything, amara, image_allowed=True)
    image = SaysoImage.objects.get(pk=everything.image_id)
    old_hash = image.file_hash
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 80), (10, 200, 10)).save(buffer, format="JPEG")
    image.file = ImageFile(buffer, name="replaced.jpg")
    image._set_image_file_metadata()
    image.save()
    assert SaysoImage.objects.get(pk=image.pk).file_hash != old_hash
    review_workflow.start(StoryPage.objects.get(pk=everything.pk), editor)

    soup = review_page(everything, amara)

    changes = soup.select_one(".changes")
    assert changes is not None
    assert "Something your story shows was replaced" in text(changes)
    assert pictures_of(changes, SaysoImage.objects.get(pk=image.pk)) == [
        "width-800|format-webp|blur"
    ]
