#!/usr/bin/python3
"""Writes the PNG fixtures and torchvision's preprocessing of them.

    /usr/bin/python3 tests/image/make_reference.py      (from the repository root)

Needs Debian's python3-torchvision (0.14), python3-pil and python3-numpy.
Everything it writes is committed; tests/test_image.c reads it without
Python. The output is deterministic: running it again changes nothing.

The PNGs are written by the small encoder below rather than by PIL, which
cannot write 2-bit gray, 16-bit colour or interlaced files: every colour type
and bit depth PNG allows, Adam7 interlacing, every filter type, and gAMA,
sRGB, cHRM and tRNS chunks. PIL then reads each one, which checks the files
and gives the reference.

The reference is the classic torchvision evaluation pipeline on PIL images,
the one torchvision's ImageNet weights were measured with:

    img = Image.open(path).convert("RGB")        # "L" for one channel
    Compose([Resize(r), CenterCrop((h, w)), ToTensor(), Normalize(mean, std)])

with Resize and CenterCrop left out when a case has none. One deliberate
difference, documented in docs/images.md: PIL opens 16-bit grayscale as
32-bit integers, which convert("RGB") clips to 255 instead of scaling; we
take the high byte, as PIL itself does for 16-bit colour, so the reference
does too.

Outputs, in tests/image/:
  *.png           the fixtures (a few hundred bytes each)
  reference.txt   one case per line (the format is in its header)
  reference.bin   every case's float32 output, little-endian, concatenated
                  in manifest order and deflated with zlib (level 9)
"""
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))
# PIL's advice for palette8.png, whose tRNS convert("RGB") drops (as we do).
warnings.filterwarnings("ignore", "Palette images with Transparency")

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
PLAIN = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))

# ------------------------------------------------------------ a PNG encoder

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(samples, depth):
    """One row of samples (ints) as bytes: packed MSB first below 8 bits,
    big-endian at 16."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(s)) for s in samples)
    if depth == 8:
        return bytes(int(s) for s in samples)
    per_byte = 8 // depth
    out = bytearray((len(samples) + per_byte - 1) // per_byte)
    for i, s in enumerate(samples):
        out[i // per_byte] |= int(s) << (8 - depth * (i % per_byte + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray(row)
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if prev is not None and i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out[i] = (row[i] - predictor) & 0xFF
    return bytes([kind]) + bytes(out)


def scanlines(samples, depth):
    """Filtered scanlines of an H x W x channels array of samples; the
    filter type cycles through all five by row."""
    height, width, channels = samples.shape
    bpp = max(1, channels * depth // 8)
    out, prev = [], None
    for y in range(height):
        row = pack_row(samples[y].reshape(-1), depth)
        out.append(filter_row(y % 5, row, prev, bpp))
        prev = row
    return b"".join(out)


def encode_png(samples, color_type, depth, interlace=False, palette=None, extra=()):
    """samples: H x W x channels ints (palette indices for colour type 3)."""
    height, width, _ = samples.shape
    data = b""
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                data += scanlines(sub, depth)
    else:
        data = scanlines(samples, depth)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0,
                                      int(interlace)))
    for kind, body in extra:
        if kind != b"tRNS":
            png += chunk(kind, body)
    if palette is not None:
        png += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    for kind, body in extra:
        if kind == b"tRNS":
            png += chunk(kind, body)
    # Two IDAT chunks, so the decoder has to join them.
    stream = zlib.compress(data, 9)
    half = len(stream) // 2
    png += chunk(b"IDAT", stream[:half]) + chunk(b"IDAT", stream[half:])
    return png + chunk(b"IEND", b"")


# --------------------------------------------------------------- fixtures

def content(seed, height, width, channels, levels):
    """Deterministic test content: a gradient with noise over the full range
    of levels, so that the low and high bits of every sample vary."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = (xx / max(width - 1, 1) + yy / max(height - 1, 1)) / 2
    out = np.empty((height, width, channels), np.int64)
    for c in range(channels):
        phase = (base + c / (channels + 1)) % 1.0
        noise = rng.randint(0, levels, size=(height, width))
        out[..., c] = (phase * (levels - 1) * 0.7 + noise * 0.3).astype(np.int64)
    return np.clip(out, 0, levels - 1)


def palette_colours(seed, count):
    rng = np.random.RandomState(seed)
    return rng.randint(0, 256, size=(count, 3))


def fixtures():
    """(file name, PNG bytes) of every fixture."""
    out = []
    w, h = 11, 9
    seed = 1

    def add(name, color_type, depth, interlace=False, size=(w, h), extra=(), palette_size=None):
        nonlocal seed
        seed += 1
        width, height = size
        if color_type == 3:
            count = palette_size or 2 ** depth
            samples = content(seed, height, width, 1, count)
            palette = palette_colours(seed + 1000, count)
        else:
            samples = content(seed, height, width, CHANNELS[color_type], 2 ** depth)
            palette = None
        out.append((name + ".png", encode_png(samples, color_type, depth, interlace, palette,
                                              extra)))

    for depth in (1, 2, 4, 8, 16):
        add(f"gray{depth}", 0, depth)
    add("gray_alpha8", 4, 8)
    add("gray_alpha16", 4, 16)
    add("rgb8", 2, 8)
    add("rgb16", 2, 16, size=(7, 12))  # portrait: the shorter side is the width
    add("rgba8", 6, 8)
    add("rgba16", 6, 16)
    for depth in (1, 2, 4):
        add(f"palette{depth}", 3, depth)
    # 8-bit palette, fewer entries than indices allow, square, with tRNS
    add("palette8", 3, 8, size=(10, 10), palette_size=37,
        extra=[(b"tRNS", bytes(range(0, 250, 7)))])
    # Adam7: images of 11 x 9 leave no pass empty
    add("gray1_adam7", 0, 1, True)
    add("gray4_adam7", 0, 4, True)
    add("gray16_adam7", 0, 16, True)
    add("gray_alpha8_adam7", 4, 8, True)
    add("rgb8_adam7", 2, 8, True)
    add("rgba16_adam7", 6, 16, True)
    add("palette2_adam7", 3, 2, True)
    # Colour management chunks, which PIL (and so torchvision) ignores.
    add("rgb8_gamma", 2, 8, extra=[(b"gAMA", struct.pack(">I", 45455))])
    add("rgb8_srgb", 2, 8, extra=[(b"sRGB", b"\x00"), (b"gAMA", struct.pack(">I", 45455)),
                                  (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000,
                                                        30000, 60000, 15000, 6000))])
    add("gray8_trns", 0, 8, extra=[(b"tRNS", struct.pack(">H", 77))])
    add("rgb16_trns", 2, 16, extra=[(b"tRNS", struct.pack(">3H", 1, 2, 3))])
    # A small "photo" for the downscaling and ImageNet cases.
    add("photo", 2, 8, size=(28, 21))
    return out


# ------------------------------------------------------------- reference

def pil_image(path, channels):
    img = Image.open(path)
    img.load()
    if img.mode in ("I", "I;16", "I;16B"):  # 16-bit gray: the high byte (see above)
        img = Image.fromarray((np.asarray(img).astype(np.int64) >> 8).astype(np.uint8), "L")
    return img.convert("RGB" if channels == 3 else "L")


def torchvision_output(path, channels, resize, crop, mean, std):
    steps = []
    if resize:
        steps.append(transforms.Resize(resize))  # bilinear, PIL's (antialiased)
    if crop:
        steps.append(transforms.CenterCrop(crop))
    steps += [transforms.ToTensor(), transforms.Normalize(mean[:channels], std[:channels])]
    with torch.no_grad():
        return transforms.Compose(steps)(pil_image(path, channels)).numpy()


PRESETS = {  # mirrors lib/api/image.c; the C test checks the presets by name
    "imagenet": (3, 256, (224, 224)) + IMAGENET,
    "cifar": (3, 32, (32, 32), (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "mnist": (1, 28, (28, 28), (0.1307,) * 3, (0.3081,) * 3),
    "fashion_mnist": (1, 28, (28, 28), (0.2860,) * 3, (0.3530,) * 3),
}


def cases(names):
    """(case name, png, preset or '-', channels, resize, crop, mean, std)."""
    out = []
    for name in names:  # decoding: every fixture as RGB in [0, 1]
        stem = name[:-4]
        out.append((stem + ".rgb", name, "-", 3, 0, None) + PLAIN)
    for stem in ("gray8", "gray16", "gray_alpha16", "rgb8", "rgba8", "palette4", "palette8",
                 "rgb16_trns"):  # one channel (PIL's L conversion)
        out.append((stem + ".gray", stem + ".png", "-", 1, 0, None) + PLAIN)
    custom = ((0.5, 0.4, 0.3), (0.2, 0.3, 0.25))
    out += [
        ("photo.down", "photo.png", "-", 3, 12, (10, 10)) + IMAGENET,
        ("photo.down_odd", "photo.png", "-", 3, 7, (5, 6)) + custom,
        ("photo.gray_down", "photo.png", "-", 1, 9, (9, 9)) + custom,
        ("rgb8.up", "rgb8.png", "-", 3, 20, (17, 15)) + IMAGENET,
        ("rgb16.portrait", "rgb16.png", "-", 3, 5, (5, 5)) + custom,
        ("rgb16.portrait_up", "rgb16.png", "-", 3, 16, (20, 16)) + custom,
        ("rgba16_adam7.up", "rgba16_adam7.png", "-", 3, 13, (13, 13)) + IMAGENET,
        ("gray4.pad", "gray4.png", "-", 3, 6, (8, 10)) + custom,
        ("palette4.pad_width", "palette4.png", "-", 3, 9, (7, 14)) + custom,
        ("palette8.square", "palette8.png", "-", 3, 6, (5, 4)) + IMAGENET,
        ("gray_alpha8.crop_only", "gray_alpha8.png", "-", 1, 0, (4, 7)) + custom,
        ("gray8.mnist", "gray8.png", "mnist", 1, 28, (28, 28)) + PRESETS["mnist"][3:],
        ("rgb8.fashion_mnist", "rgb8.png", "fashion_mnist", 1, 28, (28, 28))
        + PRESETS["fashion_mnist"][3:],
        ("rgb8_gamma.cifar", "rgb8_gamma.png", "cifar", 3, 32, (32, 32)) + PRESETS["cifar"][3:],
        ("palette2.imagenet", "palette2.png", "imagenet", 3, 256, (224, 224)) + IMAGENET,
    ]
    return out


def main():
    if not torchvision.__version__.startswith("0.14"):
        print(f"warning: torchvision {torchvision.__version__}; the reference is 0.14's",
              file=sys.stderr)
    files = fixtures()
    for name, data in files:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    lines = ["# Reference outputs of torchvision " + torchvision.__version__.split("a")[0]
             + " on PIL " + Image.__version__ + ", made by make_reference.py.",
             "# case png preset channels resize crop_h crop_w mean0 mean1 mean2 std0 std1 "
             "std2 C H W",
             "# preset '-': the values given; resize, crop 0: none. Floats are in reference.bin"
             " in this order."]
    blob = bytearray()
    for case, png, preset, channels, resize, crop, mean, std in cases([n for n, _ in files]):
        y = torchvision_output(os.path.join(HERE, png), channels, resize, crop, mean, std)
        assert y.dtype == np.float32 and y.shape[0] == channels, (case, y.shape)
        crop_h, crop_w = crop if crop else (0, 0)
        lines.append(" ".join([case, png, preset, str(channels), str(resize), str(crop_h),
                               str(crop_w)] + [repr(float(v)) for v in mean + std]
                              + [str(d) for d in y.shape]))
        blob += y.astype("<f4").tobytes()
    with open(os.path.join(HERE, "reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(HERE, "reference.bin"), "wb") as f:
        f.write(zlib.compress(bytes(blob), 9))
    total = sum(len(d) for _, d in files)
    print(f"{len(files)} PNGs ({total} bytes), {len(lines) - 3} cases, "
          f"{len(blob)} bytes of floats ({os.path.getsize(os.path.join(HERE, 'reference.bin'))} "
          "deflated)")


if __name__ == "__main__":
    main()
