"""The privacy scanner itself: whole-number matches, UTF-16, binary files."""

from __future__ import annotations

from pathlib import Path

from _harness import aadhaar_for, scan_tree

from desktop_app.core.identifiers import is_valid_aadhaar


def test_finds_a_whole_token_in_text_binary_and_utf16(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("OTP was 4821 for the applicant\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01code=4821\xff\xfe")
    (tmp_path / "wide.txt").write_bytes("the code: 4821.".encode("utf-16-le"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.json").write_text('{"otp": "4821"}')

    hits = scan_tree(tmp_path, ["4821"])

    found = {(hit.path.name, hit.encoding) for hit in hits}
    assert found == {
        ("log.txt", "utf-8"),
        ("blob.bin", "utf-8"),
        ("wide.txt", "utf-16-le"),
        ("deep.json", "utf-8"),
    }
    assert all("4821" in hit.context or "4\\x008" in hit.context for hit in hits)


def test_digits_inside_longer_numbers_are_not_hits(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("ref 948213 and 14821 and 48210 and 2026-4821x")
    (tmp_path / "b.txt").write_bytes("no 148210 here".encode("utf-16-le"))

    hits = scan_tree(tmp_path, ["4821"])

    assert [hit.context for hit in hits] == [
        repr(b"ref 948213 and 14821 and 48210 and 2026-4821x")
    ]


def test_generated_aadhaar_numbers_are_valid_and_distinct() -> None:
    numbers = [aadhaar_for(n) for n in range(500)]
    assert len(set(numbers)) == 500
    assert all(is_valid_aadhaar(number) for number in numbers)
