"""Where renditions are stored: public files, apart from the private originals.

Wagtail resolves ``WAGTAILIMAGES_RENDITION_STORAGE`` once, when its models load. This lazy
storage looks up the ``renditions`` entry of ``STORAGES`` (object storage: a public bucket,
no signed URLs) when first used, and the default storage when there is none (local disk,
where only ``MEDIA_URL/images/`` is served); a settings change in tests looks again.
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

RENDITIONS_ALIAS = "renditions"

_instances = []


class RenditionStorage(LazyObject):
    def __init__(self):
        super().__init__()
        _instances.append(self)

    def _setup(self):
        from django.conf import settings

        alias = RENDITIONS_ALIAS if RENDITIONS_ALIAS in settings.STORAGES else "default"
        self._wrapped = storages[alias]


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT", "MEDIA_URL"):
        for instance in _instances:
            instance._wrapped = empty
