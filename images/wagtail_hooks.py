from wagtail import hooks

from .image_operations import BlurOperation


@hooks.register("register_image_operations")
def register_blur():
    return [("blur", BlurOperation)]
