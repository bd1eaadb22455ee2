"""`feidan bench --keep` reuses a generated bundle only if the same generator code made it."""

from __future__ import annotations

from bench.run import _cached, _mark_complete, generator_version


def test_a_bundle_is_reused_only_when_this_generator_made_it(tmp_path):
    bundle = tmp_path / "parquet-200x3-seed7"
    bundle.mkdir()
    assert not _cached(bundle)  # never finished
    (bundle / ".complete").touch()  # finished by a version that did not stamp its code
    assert not _cached(bundle)
    (bundle / ".complete").write_text("0123456789abcdef\n", encoding="utf-8")  # other code
    assert not _cached(bundle)
    _mark_complete(bundle)
    assert _cached(bundle)
    assert generator_version() == generator_version() and len(generator_version()) == 16
