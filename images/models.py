from django.db import models
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class SaysoImage(AbstractImage):
    """A picture in the library; originals stay private, the public only gets renditions."""

    admin_form_fields = Image.admin_form_fields


class SaysoRendition(AbstractRendition):
    image = models.ForeignKey(SaysoImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
