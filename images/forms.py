"""The image form behind every admin door: upload, multiple upload, the chooser, edit."""

from django.utils.translation import gettext as _
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from .metadata import max_pixels, open_photo


class PhotoFileField(WagtailImageField):
    """Wagtail's image field, refusing anything but a readable JPEG, PNG or WebP first.

    Wagtail decodes an upload before it counts its pixels; checking the header here first
    keeps a decompression bomb from being unpacked, and a damaged file from reaching save().
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = _("At most %(limit)s megapixels.") % {"limit": f"{max_pixels() / 1_000_000:g}"}
        self.help_text = f"{self.help_text} {limit}"

    def to_python(self, data):
        if data not in self.empty_values and hasattr(data, "read"):
            open_photo(data)
            data.seek(0)
        return super().to_python(data)


class SaysoImageForm(BaseImageForm):
    """Validation with plain messages; the metadata itself is removed in SaysoImage.save()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Wagtail builds the file field itself (formfield_for_dbfield), and a declared field
        # would survive the multiple-upload edit form's exclude; swap it in place instead.
        current = self.fields.get("file")
        if current is not None:
            self.fields["file"] = PhotoFileField(
                label=current.label, required=current.required, widget=current.widget
            )
