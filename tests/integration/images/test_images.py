"""Photos without traces: no metadata stored or served, only photos accepted, originals private.

A survivor's photo can carry the GPS position of where it was taken and the phone that took
it. Every door an image comes in by must leave none of that in the stored original or in any
rendition, read back with Pillow exactly as someone downloading it would.
"""

import hashlib
import importlib.util
import io
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import clear_url_caches, reverse
from PIL import ExifTags, ImageCms, ImageStat, PngImagePlugin
from PIL import Image as PILImage
from wagtail.images.models import Filter
from wagtail.models import Collection, UploadedFile

from consent.selectors import publication_verdict
from core.text.diff import story_changes
from images.models import SaysoImage, SaysoRendition
from stories.models import CampaignPage, StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db

# What the test photos say about themselves; none of it may survive.
CAMERA_MAKE = "TracePhone"
CAMERA_MODEL = "TP-9 Pro"
COMMENT = "Taken outside the safe house"
CITY = "Lagos-Ikeja"
LATITUDE = (6.0, 35.0, 12.0)
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="6,35.2N" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Lagos-Ikeja"/>'
    "</rdf:RDF></x:xmpmeta>"
)
TELLTALE_BYTES = [
    CAMERA_MAKE.encode(),
    CAMERA_MODEL.encode(),
    COMMENT.encode(),
    CITY.encode(),
    b"xmpmeta",
    b"Exif\x00\x00",  # a JPEG's APP1 EXIF block
    b"eXIf",  # a PNG's EXIF chunk
    b"EXIF",  # a WebP's EXIF chunk
    b"Photoshop 3.0",  # a JPEG's APP13 IPTC block
]
# Structural facts Pillow reports about a file that say nothing about who or where.
HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "progressive",
    "progression",
    "loop",
    "background",
    "duration",
    "timestamp",
}

FORMATS = {
    # name: (Pillow format, extension, content type)
    "jpeg": ("JPEG", "jpg", "image/jpeg"),
    "png": ("PNG", "png", "image/png"),
    "webp": ("WEBP", "webp", "image/webp"),
}


def telltale_exif(orientation=None):
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.DateTimeOriginal] = "2024:05:01 06:12:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: LATITUDE,
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (3.0, 21.0, 0.0),
        }
    )
    return exif


def with_iptc(jpeg):
    """The JPEG with an IPTC block (as photo agencies' software writes) naming a city."""
    record = b"\x1c\x02\x5a" + struct.pack(">H", len(CITY)) + CITY.encode()
    record += b"\x00" * (len(record) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record))
    payload = b"Photoshop 3.0\x00" + resource + record
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def two_colour_picture(size=(120, 80)):
    """Left half red, right half blue: where the halves end up shows the orientation."""
    picture = PILImage.new("RGB", size, (200, 30, 30))
    picture.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    return picture


def telltale_photo(kind, orientation=None, picture=None):
    """Bytes of a photo of this kind carrying GPS EXIF and whatever else the format holds."""
    pillow_format = FORMATS[kind][0]
    picture = picture or two_colour_picture()
    options = {"exif": telltale_exif(orientation)}
    if pillow_format == "JPEG":
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        options.update(comment=COMMENT.encode(), xmp=XMP.encode(), icc_profile=srgb)
    elif pillow_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP)
        text.add_text("Comment", COMMENT)
        options["pnginfo"] = text
    else:
        options["xmp"] = XMP.encode()
    buffer = io.BytesIO()
    picture.save(buffer, pillow_format, **options)
    data = buffer.getvalue()
    return with_iptc(data) if pillow_format == "JPEG" else data


def assert_carries_no_metadata(data):
    for telltale in TELLTALE_BYTES:
        assert telltale not in data, telltale
    picture = PILImage.open(io.BytesIO(data))
    exif = picture.getexif()
    assert dict(exif) == {}
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert set(picture.info) <= HARMLESS_INFO, set(picture.info) - HARMLESS_INFO
    picture.load()
    assert set(picture.info) <= HARMLESS_INFO, set(picture.info) - HARMLESS_INFO


def stored_bytes(file):
    with file.storage.open(file.name, "rb") as handle:
        return handle.read()


def assert_nothing_leaks(image):
    """The stored original and renditions in every output format carry no metadata."""
    assert_carries_no_metadata(stored_bytes(image.file))
    for spec in [
        "width-60",
        "fill-40x40|format-jpeg",
        "width-50|format-png",
        "max-70x70|format-webp",
    ]:
        assert_carries_no_metadata(stored_bytes(image.get_rendition(spec).file))


def upload(kind, data=None, name=None):
    _format, extension, content_type = FORMATS[kind]
    return SimpleUploadedFile(
        name or f"amara-home.{extension}", data or telltale_photo(kind), content_type
    )


def admin_add(client, file, title="Market at dawn"):
    return client.post(reverse("wagtailimages:add"), {"title": title, "file": file})


def multiple_add(client, file):
    return client.post(reverse("wagtailimages:add_multiple"), {"files[]": file})


def chooser_upload(client, file, title="Chosen"):
    """The "Upload" tab of the image chooser an editor opens from a story's photo field."""
    return client.post(
        reverse("wagtailimages_chooser:create"),
        {"image-chooser-upload-title": title, "image-chooser-upload-file": file},
    )


def keep_upload_aside(client):
    """A multiple upload whose title (from a long file name) fails: Wagtail keeps the file."""
    response = client.post(
        reverse("wagtailimages:add_multiple"),
        {"files[]": upload("jpeg"), "title": "x" * 300},
    )
    result = json.loads(response.content)
    assert result["success"] is True and "uploaded_file_id" in result
    return UploadedFile.objects.get(pk=result["uploaded_file_id"])


@pytest.fixture
def checkerboard_photo(db):
    """A photo full of sharp detail: 8-pixel black and white squares."""
    picture = PILImage.new("L", (400, 240), 0)
    for x in range(0, 400, 8):
        for y in range(0, 240, 8):
            if (x // 8 + y // 8) % 2:
                picture.paste(255, (x, y, x + 8, y + 8))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "PNG")
    image = SaysoImage(title="Sharp", file=ImageFile(buffer, name="amara-face.png"))
    image.save()
    return image


def publish(story, storyteller):
    approve(story, storyteller, image_allowed=True)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


# Every door leaves no trace


@pytest.mark.parametrize("kind", FORMATS)
def test_an_admin_upload_keeps_no_gps_or_camera_data(superuser_client, kind):
    response = admin_add(superuser_client, upload(kind))

    assert response.status_code == 302
    assert_nothing_leaks(SaysoImage.objects.get(title="Market at dawn"))


@pytest.mark.parametrize("kind", FORMATS)
def test_a_multiple_upload_keeps_no_gps_or_camera_data(superuser_client, kind):
    response = multiple_add(superuser_client, upload(kind))

    assert response.status_code == 200
    result = json.loads(response.content)
    assert result["success"] is True
    assert_nothing_leaks(SaysoImage.objects.get(pk=result["image_id"]))


@pytest.mark.parametrize("kind", FORMATS)
def test_an_upload_from_the_image_chooser_keeps_no_gps_or_camera_data(superuser_client, kind):
    response = chooser_upload(superuser_client, upload(kind))

    assert response.status_code == 200
    result = json.loads(response.content)
    assert result["step"] == "chosen"
    assert_nothing_leaks(SaysoImage.objects.get(pk=result["result"]["id"]))


def test_a_multiple_upload_finished_in_a_second_step_keeps_no_trace(superuser_client):
    # When a field other than the file fails, Wagtail keeps the upload aside and writes it to
    # the image's storage itself once the editor completes the form, before the row is saved.
    upload_id = keep_upload_aside(superuser_client).pk

    response = superuser_client.post(
        reverse("wagtailimages:create_multiple_from_uploaded_image", args=[upload_id]),
        {
            f"uploaded-image-{upload_id}-title": "Second step",
            f"uploaded-image-{upload_id}-collection": Collection.get_first_root_node().pk,
            f"uploaded-image-{upload_id}-tags": "",
            f"uploaded-image-{upload_id}-description": "",
        },
    )

    assert json.loads(response.content)["success"] is True
    image = SaysoImage.objects.get(title="Second step")
    assert_nothing_leaks(image)
    assert not UploadedFile.objects.exists()
    # The raw copy Wagtail wrote is gone too; only the stripped original is on disk.
    originals = Path(settings.MEDIA_ROOT, "original_images")
    for path in originals.iterdir():
        assert CAMERA_MAKE.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("kind", FORMATS)
def test_an_image_created_in_code_keeps_no_gps_or_camera_data(kind):
    _format, extension, _type = FORMATS[kind]
    image = SaysoImage(
        title="From code", file=ImageFile(io.BytesIO(telltale_photo(kind)), name=f"a.{extension}")
    )
    image.save()

    assert_nothing_leaks(SaysoImage.objects.get(pk=image.pk))


def test_replacing_a_photo_in_the_editor_keeps_no_trace_and_drops_old_renditions(superuser_client):
    image = SaysoImage(
        title="Replace me", file=ImageFile(io.BytesIO(telltale_photo("png")), "a.png")
    )
    image.save()
    old_rendition = image.get_rendition("width-40")

    response = superuser_client.post(
        reverse("wagtailimages:edit", args=[image.pk]),
        {"title": "Replace me", "file": upload("jpeg"), "collection": image.collection_id},
    )

    assert response.status_code == 302
    image = SaysoImage.objects.get(pk=image.pk)
    assert image.file.name.endswith(".jpg")
    assert not SaysoRendition.objects.filter(pk=old_rendition.pk).exists()
    assert_nothing_leaks(image)


def test_editing_a_photos_details_keeps_its_file_and_the_storytellers_consent(
    superuser_client, make_story, amara
):
    # A JPEG full of detail: stripped a second time, it would come out different.
    noisy = PILImage.merge("RGB", [PILImage.effect_noise((200, 150), 60)] * 3)
    data = telltale_photo("jpeg", picture=noisy)
    photo = SaysoImage(title="Noisy", file=ImageFile(io.BytesIO(data), name="noisy.jpg"))
    photo.save()
    story = publish(make_story(amara, image=photo, image_alt="A field"), amara)
    stored = (photo.file.name, photo.file_hash)

    response = superuser_client.post(
        reverse("wagtailimages:edit", args=[photo.pk]),
        {"title": "Renamed", "collection": photo.collection_id},
    )
    assert response.status_code == 302
    image = SaysoImage.objects.get(pk=photo.pk)
    image.save()
    image.refresh_from_db()
    image.save()

    image = SaysoImage.objects.get(pk=photo.pk)
    assert image.title == "Renamed"
    assert (image.file.name, image.file_hash) == stored
    assert publication_verdict(StoryPage.objects.get(pk=story.pk)).allowed


def test_the_stored_record_describes_the_stripped_file(superuser_client):
    admin_add(superuser_client, upload("jpeg"))
    image = SaysoImage.objects.get(title="Market at dawn")
    data = stored_bytes(image.file)

    assert image.file_hash == hashlib.sha1(data).hexdigest()  # noqa: S324 (Wagtail's choice)
    assert image.file_size == len(data)
    assert (image.width, image.height) == PILImage.open(io.BytesIO(data)).size


@pytest.mark.parametrize("door", ["admin", "multiple", "code"])
def test_a_sideways_phone_photo_comes_out_upright(superuser_client, door):
    # EXIF orientation 6: the camera was turned; viewers rotate the picture 90° clockwise.
    # With the EXIF gone, the rotation must already be in the pixels.
    data = telltale_photo("jpeg", orientation=6)
    if door == "admin":
        admin_add(superuser_client, upload("jpeg", data))
        image = SaysoImage.objects.get()
    elif door == "multiple":
        multiple_add(superuser_client, upload("jpeg", data))
        image = SaysoImage.objects.get()
    else:
        image = SaysoImage(title="Sideways", file=ImageFile(io.BytesIO(data), name="side.jpg"))
        image.save()

    stored = PILImage.open(io.BytesIO(stored_bytes(image.file))).convert("RGB")
    assert (image.width, image.height) == stored.size == (80, 120)
    # The left (red) half of the sensor is now the top.
    red, _green, blue = stored.getpixel((40, 20))
    assert red > 150 and blue < 80
    red, _green, blue = stored.getpixel((40, 100))
    assert blue > 150 and red < 80
    rendition = image.get_rendition("width-40")
    assert (rendition.width, rendition.height) == (40, 60)


# Only photos, within limits


def png_header_only(width, height):
    """A tiny PNG that claims to be width × height pixels: a decompression bomb's header."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def real_bomb():
    """A real PNG of 64 million pixels that compresses to a few kilobytes."""
    buffer = io.BytesIO()
    PILImage.new("1", (8000, 8000)).save(buffer, "PNG")
    return buffer.getvalue()


def gif():
    buffer = io.BytesIO()
    PILImage.new("P", (20, 20)).save(buffer, "GIF")
    return buffer.getvalue()


def cut_off(jpeg):
    """The JPEG ending a few bytes into its picture data, as an interrupted transfer leaves it."""
    return jpeg[: jpeg.index(b"\xff\xda") + 40]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x()</script></svg>'

REFUSED = {
    # name: (file name, content, words the editor is shown)
    "a decompression bomb": ("bomb.png", real_bomb(), "too many pixels"),
    "a forged bomb header": ("huge.png", png_header_only(100_000, 100_000), "too many pixels"),
    "a text file named .jpg": ("notes.jpg", b"Dear diary, today I moved to", "not a JPEG, PNG"),
    "an SVG": ("drawing.svg", SVG, "not a JPEG, PNG"),
    "a GIF": ("animation.gif", gif(), "not a JPEG, PNG"),
    "a GIF named .jpg": ("animation.jpg", gif(), "not a JPEG, PNG"),
    "a cut-off JPEG": ("cut.jpg", cut_off(telltale_photo("jpeg")), "damaged or incomplete"),
}


def refused_by_the_admin_upload(client, file):
    response = admin_add(client, file)
    assert response.status_code == 200
    return response.context["form"].errors["file"]


def refused_by_the_multiple_upload(client, file):
    response = multiple_add(client, file)
    assert response.status_code == 200
    result = json.loads(response.content)
    assert result["success"] is False
    return [result["error_message"]]


def refused_by_the_image_chooser_upload(client, file):
    response = chooser_upload(client, file)
    assert response.status_code == 200
    result = json.loads(response.content)
    assert result["step"] == "reshow_creation_form"
    return [result["htmlFragment"]]


UPLOAD_DOORS = {
    "admin": refused_by_the_admin_upload,
    "multiple": refused_by_the_multiple_upload,
    "image chooser": refused_by_the_image_chooser_upload,
}


@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.parametrize("door", UPLOAD_DOORS)
def test_every_upload_door_refuses_what_is_not_an_acceptable_photo(superuser_client, door, case):
    name, content, message = REFUSED[case]

    errors = UPLOAD_DOORS[door](superuser_client, SimpleUploadedFile(name, content, "image/jpeg"))

    assert any(message in error for error in errors), errors
    assert not SaysoImage.objects.exists()
    assert not UploadedFile.objects.exists()


@pytest.mark.parametrize("case", REFUSED)
def test_code_cannot_store_what_is_not_an_acceptable_photo(case):
    name, content, message = REFUSED[case]

    with pytest.raises(ValidationError, match=message):
        SaysoImage(title="No", file=ImageFile(io.BytesIO(content), name=name)).save()
    assert not SaysoImage.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_its_size(superuser_client):
    data = telltale_photo("png", picture=PILImage.effect_noise((300, 300), 80).convert("RGB"))
    with override_settings(WAGTAILIMAGES_MAX_UPLOAD_SIZE=len(data) - 1):
        response = admin_add(superuser_client, upload("png", data))

    assert response.status_code == 200
    assert "too big" in " ".join(response.context["form"].errors["file"])
    assert not SaysoImage.objects.exists()


def test_the_editor_is_told_the_formats_and_limits_before_uploading(superuser_client):
    html = superuser_client.get(reverse("wagtailimages:add")).content.decode()

    assert "Supported formats: JPG, JPEG, PNG, WEBP. Maximum filesize: 20.0\xa0MB." in html
    assert "At most 40 megapixels." in html


# Blurred photos


def media_urls(html):
    urls = re.findall(r"""[^\s"'<>()]*/media/[^\s"'<>()]*""", html)
    if html.lstrip().startswith("<?xml"):  # the feed and the sitemap
        return set(urls)
    soup = BeautifulSoup(html, "html.parser")
    urls += [tag.get("src", "") for tag in soup.find_all(["img", "source"])]
    urls += [tag.get("srcset", "") for tag in soup.find_all(["img", "source"])]
    urls += [tag.get("content", "") for tag in soup.find_all("meta")]
    urls += [tag.get("href", "") for tag in soup.find_all(["a", "link"])]
    return {url for url in urls if "/media/" in url}


def renditions_behind(urls):
    names = {"images/" + url.rsplit("/media/images/", 1)[-1] for url in urls}
    return list(SaysoRendition.objects.filter(file__in=names))


def test_a_blurred_story_only_ever_shows_blurred_renditions(
    client, make_story, amara, checkerboard_photo
):
    # The admin's own sharp thumbnails exist, as they do once an editor has seen the photo.
    sharp = [checkerboard_photo.get_rendition(spec) for spec in ("max-165x165", "width-800")]
    story = make_story(
        amara, image=checkerboard_photo, image_alt="A face", image_blurred=True, slug="blurred"
    )
    story = publish(story, amara)

    html = client.get(story.url).content.decode()

    urls = media_urls(html)
    renditions = renditions_behind(urls)
    assert len(renditions) == 2  # the photo in the story and the og:image
    assert len(urls) == 2
    assert all("blur" in rendition.filter_spec.split("|") for rendition in renditions)
    for rendition in sharp:
        assert rendition.file.name.rsplit("/", 1)[-1] not in html
    assert "amara-face" not in html  # nothing to guess a sharp rendition's name from


def test_a_blurred_rendition_keeps_no_detail_to_recover(checkerboard_photo):
    sharp = checkerboard_photo.get_rendition("width-400|format-png")
    blurred = checkerboard_photo.get_rendition("width-400|format-png|blur")

    def spread(rendition):
        picture = PILImage.open(io.BytesIO(stored_bytes(rendition.file))).convert("L")
        return ImageStat.Stat(picture).stddev[0]

    assert spread(sharp) > 100  # black and white squares
    assert spread(blurred) < 5  # one even grey: no square, let alone a face, to make out
    assert (blurred.width, blurred.height) == (sharp.width, sharp.height)


def test_a_story_not_asked_to_be_blurred_shows_the_photo_as_it_is(
    client, make_story, amara, checkerboard_photo
):
    story = publish(make_story(amara, image=checkerboard_photo, image_alt="A field"), amara)

    renditions = renditions_behind(media_urls(client.get(story.url).content.decode()))

    assert len(renditions) == 2
    assert not any("blur" in rendition.filter_spec for rendition in renditions)


def test_blurring_or_unblurring_the_photo_needs_the_storytellers_new_approval(
    make_story, amara, editor, checkerboard_photo
):
    story = make_story(amara, image=checkerboard_photo, image_alt="A face", image_blurred=True)
    story = publish(story, amara)
    assert publication_verdict(story).allowed

    # Wagtail hands back the live page itself when there is no newer draft: copy it.
    draft = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    draft.image_blurred = False
    draft.save_revision(user=editor)
    latest = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()

    assert not latest.image_blurred
    assert publication_verdict(StoryPage.objects.get(pk=story.pk)).allowed
    assert publication_verdict(latest).code == "waiting"
    # What the storyteller is shown as changed when asked to approve again:
    changes = story_changes(story, latest)
    assert [str(change["label"]) for change in changes] == ["Photo"]
    removed = "".join(text for kind, text in changes[0]["parts"] if kind == "removed")
    assert "shown blurred" in removed


def test_blurred_renditions_are_generated_once_and_reused(checkerboard_photo):
    first = checkerboard_photo.get_rendition("width-800|format-webp|blur")
    again = SaysoImage.objects.get(pk=checkerboard_photo.pk).get_rendition(
        Filter("width-800|format-webp|blur")
    )

    assert first.pk == again.pk
    assert_carries_no_metadata(stored_bytes(first.file))


# Originals stay private


def test_the_public_site_never_links_an_original(
    client, make_story, amara, campaign_index, checkerboard_photo
):
    story = publish(make_story(amara, image=checkerboard_photo, image_alt="A field"), amara)
    # The campaign has a picture of its own: a storyteller's photo can't be a campaign's
    # (tests/integration/stories/test_story_photos.py).
    banner = SaysoImage(title="Banner", file=ImageFile(io.BytesIO(telltale_photo("png")), "b.png"))
    banner.save()
    campaign = CampaignPage(title="Fair work", slug="fair-work", image=banner, image_alt="Banner")
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    pages = ["/", "/stories/", story.url, "/campaigns/", campaign.url, "/search/?q=story"]
    pages += ["/feed/", "/sitemap.xml"]

    seen = set()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "original_images" not in html, url
        assert checkerboard_photo.file.url not in html, url
        assert banner.file.url not in html, url
        for media_url in media_urls(html):
            assert re.search(r"^(https?://[^/]+)?/media/images/[\w-]+\.\w+$", media_url), media_url
            seen.add(media_url)

    assert len(renditions_behind(seen)) == len(seen) >= 3  # story photo, og:image, campaign


@pytest.fixture
def debug_urls():
    """The project's URLs as the development server builds them with DEBUG on."""
    path = Path(importlib.util.find_spec("sayso.urls").origin)
    with override_settings(DEBUG=True):
        spec = importlib.util.spec_from_file_location("sayso_debug_urls", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    clear_url_caches()
    with override_settings(ROOT_URLCONF=module):
        yield module
    clear_url_caches()


def test_in_debug_renditions_are_served_and_originals_are_not(client, debug_urls, photo, home):
    rendition = photo.get_rendition("width-60")
    assert client.get(rendition.url).status_code == 200  # the dev server does serve media

    assert photo.file.url.startswith("/media/original_images/")
    assert client.get(photo.file.url).status_code == 404
    for path in ["/media/original_images/", "/media/", "/media/../media/original_images/x"]:
        assert client.get(path).status_code == 404, path


def test_without_debug_the_site_serves_no_media_file_itself(client, photo, home):
    rendition = photo.get_rendition("width-60")

    assert client.get(photo.file.url).status_code == 404
    assert client.get(rendition.url).status_code == 404  # the web server's job in production


def test_rendition_names_give_away_neither_the_file_nor_the_filter(photo):
    names = {photo.get_rendition(spec).file.name for spec in ("width-60", "width-60|blur")}

    for name in names:
        assert re.fullmatch(r"images/[\w-]{20,}\.jpg", name), name
        assert "photo" not in name and "width" not in name and "blur" not in name
