"""Image operations Wagtail doesn't have: `blur`, for storytellers who asked for it."""

from PIL import Image, ImageFilter
from wagtail.images.image_operations import FilterOperation
from willow.plugins.pillow import PillowImage

# The longer side is first reduced to this many pixels. What the shrink throws away can't be
# brought back by sharpening, as a light Gaussian blur sometimes can; a face becomes a few
# patches of colour whatever size the rendition is.
BLUR_CELLS = 12


class BlurOperation(FilterOperation):
    """`blur`: the picture reduced to a few soft patches of colour, at the rendition's size."""

    def construct(self):
        pass

    def run(self, willow, image, env):
        picture = willow.get_pillow_image()
        if picture.mode not in ("L", "RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
        width, height = picture.size
        scale = BLUR_CELLS / max(width, height)
        tiny = picture.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.BOX,
        )
        soft = tiny.resize((width, height), Image.Resampling.BICUBIC)
        radius = max(width, height) / BLUR_CELLS / 2
        return PillowImage(soft.filter(ImageFilter.GaussianBlur(radius)))
