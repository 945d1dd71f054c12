"""Captcha images for the simulated Udyam portal: PNG via zlib, no imaging library.

The real final-submit captcha is six upper-case letters and digits drawn in blue over a
light, noisy background (PORTALS.md section 5). We draw the text with a built-in 5x7
bitmap font, scaled up, each glyph nudged up or down, then sprinkle noise dots and a few
lines. The letters O and I and the digits 0 and 1 are left out, because operators
confuse them when typing (our choice; the real alphabet is not published).
"""

from __future__ import annotations

import random
import struct
import zlib

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# 5 columns x 7 rows per glyph; '#' is ink.
_FONT: dict[str, tuple[str, ...]] = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "J": ("..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "Q": (".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "Z": ("#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"),
    "2": (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    "3": ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    "4": ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    "6": ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    "7": ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    "8": (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    "9": (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
}

_SCALE = 4
_GLYPH_W, _GLYPH_H = 5 * _SCALE, 7 * _SCALE
_GAP = 6
_MARGIN = 10
_HEIGHT = 50
_BACKGROUND = (236, 240, 246)
_INK = (20, 50, 190)

Pixel = tuple[int, int, int]


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def render_png(text: str, rng: random.Random) -> bytes:
    """Draw ``text`` (characters from :data:`ALPHABET`) as a noisy captcha PNG."""
    width = 2 * _MARGIN + len(text) * (_GLYPH_W + _GAP) - _GAP
    canvas = [[_BACKGROUND] * width for _ in range(_HEIGHT)]
    _draw_noise_dots(canvas, rng)
    for index, char in enumerate(text):
        left = _MARGIN + index * (_GLYPH_W + _GAP) + rng.randint(-2, 2)
        top = (_HEIGHT - _GLYPH_H) // 2 + rng.randint(-5, 5)
        _draw_glyph(canvas, char, left, top, rng)
    _draw_noise_lines(canvas, rng)
    return encode_png(canvas)


def _draw_glyph(
    canvas: list[list[Pixel]], char: str, left: int, top: int, rng: random.Random
) -> None:
    shade = rng.randint(-20, 30)
    ink = (_INK[0] + max(shade, 0), _INK[1] + shade, min(_INK[2] + shade, 255))
    for row, line in enumerate(_FONT[char]):
        for col, cell in enumerate(line):
            if cell != "#":
                continue
            for dy in range(_SCALE):
                for dx in range(_SCALE):
                    _put(canvas, left + col * _SCALE + dx, top + row * _SCALE + dy, ink)


def _draw_noise_dots(canvas: list[list[Pixel]], rng: random.Random) -> None:
    height, width = len(canvas), len(canvas[0])
    for _ in range(width * height // 12):
        grey = rng.randint(150, 215)
        _put(
            canvas, rng.randrange(width), rng.randrange(height), (grey, grey, grey + 20)
        )


def _draw_noise_lines(canvas: list[list[Pixel]], rng: random.Random) -> None:
    height, width = len(canvas), len(canvas[0])
    for _ in range(3):
        y, slope = rng.uniform(5, height - 5), rng.uniform(-0.25, 0.25)
        colour = (rng.randint(90, 160), rng.randint(90, 160), rng.randint(170, 230))
        for x in range(width):
            _put(canvas, x, int(y + slope * x), colour)


def _put(canvas: list[list[Pixel]], x: int, y: int, colour: Pixel) -> None:
    if 0 <= y < len(canvas) and 0 <= x < len(canvas[0]):
        canvas[y][x] = colour


def encode_png(rows: list[list[Pixel]]) -> bytes:
    """An 8-bit RGB PNG of ``rows`` (each a list of (r, g, b) tuples)."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(
        b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in rows
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
