import os
import posixpath
import secrets
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import (
    AbstractImage,
    AbstractRendition,
    Image,
    ImageQuerySet,
    WagtailImageField,
    WagtailImageFieldFile,
    get_upload_to,
)
from wagtail.utils.file import hash_filelike

from .metadata import photo_size, strip_metadata


class PhotoFieldFile(WagtailImageFieldFile):
    def get_image_dimensions(self):
        # Django reads the size as soon as a file is assigned, before save() can check it;
        # Wagtail's reading decodes the whole picture (a decompression bomb included) and
        # fails with Willow's errors. Read the header only, and leave refusing to save().
        close = self.closed
        try:
            self.open()
            return photo_size(self)
        finally:
            if close:
                self.close()
            else:
                self.seek(0)


class PhotoField(WagtailImageField):
    attr_class = PhotoFieldFile


class SaysoImageQuerySet(ImageQuerySet):
    """Bulk writes, which skip save(), still store no metadata."""

    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create writes each new file to storage without calling save(): strip first.
        objs = list(objs)
        for image in objs:
            if image._has_new_file():
                image._strip_file_metadata()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if "file" in fields:
            raise ValueError(
                "Photos' files can't be changed in bulk: save each image, so that its new "
                "file is stripped of metadata and its old renditions deleted."
            )
        return super().bulk_update(objs, fields, *args, **kwargs)


class SaysoImage(AbstractImage):
    """A picture in the library; originals stay private, the public only gets renditions.

    Every original is stored without metadata, whichever door it came through (the admin's
    upload, multiple upload and chooser, code): save() strips a new or replaced file before
    writing the row, and so does bulk_create (images.signals strips the uploads Wagtail's
    multiple upload keeps aside).
    """

    file = PhotoField(
        verbose_name=_("file"),
        upload_to=get_upload_to,
        width_field="width",
        height_field="height",
    )

    admin_form_fields = Image.admin_form_fields

    objects = SaysoImageQuerySet.as_manager()

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        replaced = False
        if (update_fields is None or "file" in update_fields) and self._has_new_file():
            replaced = not self._state.adding
            self._strip_file_metadata()
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    *("file", "width", "height", "file_size", "file_hash"),
                }
        super().save(*args, **kwargs)
        if replaced:
            # Renditions of the previous file would otherwise go on being served.
            from .services import take_down_renditions

            take_down_renditions(self.renditions.all(), reason="photo replaced")

    def _has_new_file(self):
        if "file" not in self.__dict__ or not self.file:  # deferred, or no file
            return False
        if not self.file._committed or self._state.adding:
            return True
        # Asking the database, not remembering: stripping a stored original twice would
        # re-encode it, change its hash and so unbind every consent given for the photo.
        stored = type(self).objects.filter(pk=self.pk).values_list("file", flat=True).first()
        return self.file.name != stored

    def _strip_file_metadata(self):
        file = self.file
        if file._committed:
            # Wagtail's multiple upload writes the upload to storage before saving the row.
            # The raw copy goes either way (unless another image shares it): it is the very
            # thing this model exists not to keep.
            name = file.name
            try:
                with file.storage.open(name, "rb") as source:
                    stripped = strip_metadata(source)
            finally:
                if not type(self).objects.filter(file=name).exclude(pk=self.pk).exists():
                    file.storage.delete(name)
        else:
            file.open("rb")
            stripped = strip_metadata(file)
            name = file.name
        self.file = ContentFile(stripped.content, name=os.path.basename(name))
        self.width, self.height = stripped.width, stripped.height
        self.file_size = len(stripped.content)
        self.file_hash = hash_filelike(BytesIO(stripped.content))


class SaysoRendition(AbstractRendition):
    image = models.ForeignKey(SaysoImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)

    def get_upload_to(self, filename):
        # Wagtail names a rendition after the original and its filter, so anyone holding a
        # blurred photo's URL could guess the sharp admin thumbnail's (and learn the
        # uploaded file's name). A random name gives nothing to guess.
        extension = os.path.splitext(filename)[1].lower()
        return posixpath.join("images", secrets.token_urlsafe(16) + extension)


class FileTakedown(models.Model):
    """A public file (a rendition) that must leave storage: work recorded, then retried.

    Written in the transaction that takes a photo (or a version of it) out of public view, so
    the work survives a failed delete; images/services.py carries it out after commit, again
    from a task and from the expiry sweep, until the file is gone.
    """

    name = models.CharField(max_length=255)
    image = models.ForeignKey(
        SaysoImage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    story_id = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name
