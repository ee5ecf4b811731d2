"""Photos stored without what they say about where, when and with what they were taken.

A phone's JPEG carries GPS coordinates in its EXIF; XMP and IPTC can name a place or a
person; comments and PNG text chunks carry anything. Willow copies EXIF into JPEG and PNG
renditions, so every original is re-encoded from its pixels alone before it is stored.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# The only decoders an upload ever meets. Pillow's JPEG decoder also opens MPO (a JPEG with
# extra preview frames, as cameras write); only the main picture is kept.
DECODERS = ["JPEG", "PNG", "WEBP"]
# Pillow's name for what it opened → the format the cleaned file is stored in.
STORED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}

_SAVE_OPTIONS = {
    "JPEG": {"quality": 95},
    "PNG": {},
    "WEBP": {"quality": 95},
}


@dataclass(frozen=True)
class StrippedImage:
    """A photo re-encoded from its pixels, upright, with no metadata left."""

    content: bytes
    width: int
    height: int
    format: str


def max_pixels():
    """The most pixels an accepted photo may have (Wagtail's setting and default)."""
    return getattr(settings, "WAGTAILIMAGES_MAX_IMAGE_PIXELS", 128_000_000) or (
        Image.MAX_IMAGE_PIXELS
    )


def max_upload_size():
    """The largest photo file we accept in bytes, or None for no limit (as in Wagtail)."""
    return getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024)


def open_photo(fileobj):
    """Open and decode a JPEG, PNG or WebP within the limits, or say plainly why not.

    Reads the header first and refuses too many pixels before anything is decoded, so a
    decompression bomb (a small file that unpacks to gigabytes) costs nothing.
    """
    size, limit = getattr(fileobj, "size", None), max_upload_size()
    if size is not None and limit is not None and size > limit:
        raise ValidationError(
            _("This file is too big (%(size)s). The largest photo we accept is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )
    fileobj.seek(0)
    try:
        # A GIF, an SVG or a text file named .jpg is simply not one of these.
        image = Image.open(fileobj, formats=DECODERS)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This file is not a JPEG, PNG or WebP photo we can read."),
            code="invalid_image",
        ) from None
    width, height = image.size
    if width * height * getattr(image, "n_frames", 1) > max_pixels():
        raise _too_many_pixels()
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(
            _("This photo seems to be damaged or incomplete. Try saving or exporting it again."),
            code="invalid_image",
        ) from None
    return image


def photo_size(fileobj):
    """(width, height) from the header of a photo we would accept, else (None, None)."""
    try:
        fileobj.seek(0)
        return Image.open(fileobj, formats=DECODERS).size
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None, None


def strip_metadata(fileobj):
    """The photo upright and re-encoded from its pixels alone: no EXIF, XMP, IPTC or comment."""
    image = open_photo(fileobj)
    stored_format = STORED_FORMATS[image.format]
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info

    # Orientation lives in the EXIF about to be discarded, so bake it into the pixels first.
    image = ImageOps.exif_transpose(image)
    image = _to_srgb(image)
    if stored_format == "JPEG" or not has_alpha:
        mode = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"
    else:
        mode = "RGBA"
    if image.mode != mode:
        image = image.convert(mode)

    # A new image from raw pixels has empty .info, so nothing rides along into save(). Only
    # the first frame of an animated PNG or WebP is kept: Sayso shows photos.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    output = io.BytesIO()
    clean.save(output, stored_format, **_SAVE_OPTIONS[stored_format])
    return StrippedImage(output.getvalue(), clean.width, clean.height, stored_format)


def _to_srgb(image):
    # An embedded colour profile can name the device that made it; convert the colours to
    # sRGB (what browsers assume) so the profile can go without the photo changing colour.
    profile = image.info.get("icc_profile")
    if not profile:
        return image.convert("RGB") if image.mode == "CMYK" else image
    output_mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") else "RGB"
    if image.mode in ("LA", "PA", "P"):
        image = image.convert(output_mode)
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A profile LittleCMS can't use: keep the pixels as they are, drop the profile.
        return image.convert("RGB") if image.mode == "CMYK" else image


def _too_many_pixels():
    return ValidationError(
        _("This photo has too many pixels. The most we accept is %(limit)s megapixels.")
        % {"limit": f"{max_pixels() / 1_000_000:g}"},
        code="file_too_many_pixels",
    )
