"""Hypothesis strategies for hostile form input: text, numbers, sizes, ids, files, shapes.

A form is fuzzed from a valid submission (the permission matrix's data builders) by a few
mutations: a field gets a hostile value, disappears, is repeated (or repeated past Django's
field limit), an unknown or optional field is added, or the whole form is emptied. Values come
from pools the test fills per example: ``plausible`` (this form's valid values and the acme
world's keys and ids) and ``foreign`` (ids and keys of globex, the other organisation), and
from fixed families: unicode with control characters and NUL (surrogates cannot travel in
HTTP form data), blanks, numbers of every wrong kind, and sizes past each ``max_length`` up to
1 MB (a 1 MB string of 4-byte characters goes past ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so the
upload limit is fuzzed too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from hypothesis import strategies as st

# Over Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000): the request is refused with 400.
TOO_MANY = 1001

CONTROL = [
    "\x00",
    "\x01",
    "\x08",
    "\x1b",
    "\x7f",
    "\r",
    "\n",
    "\t",
    "\u0085",
    "\u2028",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "é",
    "𝔘",
    "😀",
    "a",
    "-",
    " ",
    ",",
    "<",
    '"',
]
SPECIAL = [
    "",
    " ",
    "\t\n",
    "\u00a0",
    "\x00",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{ 7|add:7 }}",
    "../../etc/passwd",
    "%00",
    "javascript:alert(1)",
    "//evil.example/",
    "https://evil.example/",
    "on",
    "off",
    "Payments",
    "PAYMENTS",
    " payments ",
    "payments:repeatable",
    "2030-01-01",
    "2030-02-30",
    "0000-00-00",
    "9999-12-31",
    "99999-01-01",
    "1-1-1",
]
NUMBER_WORDS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "0x10",
    " 7 ",
    "٣",  # an Arabic-Indic digit: int() reads it
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 40,
]
HUGE_UNITS = ["x", "é", "\x00", "𝔘", "a, ", "-"]
HUGE_SIZES = [41, 65, 101, 151, 201, 301, 1001, 5001, 10_001, 100_001, 1_000_000]

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
controls = st.text(st.sampled_from(CONTROL), min_size=1, max_size=12)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.sampled_from(NUMBER_WORDS)
)
huge = st.builds(
    lambda unit, size: unit * size, st.sampled_from(HUGE_UNITS), st.sampled_from(HUGE_SIZES)
)
field_names = st.one_of(
    st.sampled_from(["id", "pk", "organisation", "organisation_id", "csrfmiddlewaretoken", "next"]),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters='\r\n"\\'), max_size=20),
)


@dataclass
class Pools:
    """Values a test knows for this example: ``plausible`` from the form and acme, ``foreign``
    from globex, ``extra`` the form's optional fields (name -> likely values)."""

    plausible: list[str]
    foreign: list[str]
    extra: dict[str, list[str]] = field(default_factory=dict)


def _spliced_text(text: str, at: int, extra: str) -> str:
    at = min(at, len(text))
    return text[:at] + extra + text[at:]


def values(pools: Pools) -> st.SearchStrategy[str]:
    """One hostile or plausible string for a form field."""
    return st.one_of(
        st.sampled_from(pools.plausible),
        st.sampled_from(pools.foreign),
        # Almost right: a known value with a control character (NUL, mostly) inside it.
        st.builds(
            _spliced_text,
            st.sampled_from(pools.plausible),
            st.integers(0, 20),
            st.one_of(st.just("\x00"), controls),
        ),
        texts,
        controls,
        numbers,
        huge,
        st.sampled_from(SPECIAL),
    )


def is_file(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(isinstance(v, UploadedFile) for v in value)
    return isinstance(value, UploadedFile)


def first_file(value: Any) -> UploadedFile:
    return value[0] if isinstance(value, list | tuple) else value


def content_of(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _cut(data: bytes, at: int) -> bytes:
    return data[: min(at, len(data))]


def _spliced(data: bytes, at: int, extra: bytes) -> bytes:
    at = min(at, len(data))
    return data[:at] + extra + data[at:]


def _recoded(data: bytes, encoding: str) -> bytes:
    return data.decode("utf-8", "replace").encode(encoding, "replace")


def file_contents(original: bytes) -> st.SearchStrategy[bytes]:
    """Broken versions of a valid file, other formats, and sizes past the upload limits."""
    return st.one_of(
        st.binary(max_size=400),
        texts.map(lambda t: t.encode("utf-8")),
        controls.map(lambda t: t.encode("utf-8")),
        st.builds(_cut, st.just(original), st.integers(0, len(original))),
        st.builds(
            _spliced,
            st.just(original),
            st.integers(0, len(original)),
            st.one_of(st.binary(min_size=1, max_size=16), controls.map(str.encode)),
        ),
        st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]).map(
            lambda enc: _recoded(original, enc)
        ),
        st.sampled_from(
            [
                b"",
                b"\xef\xbb\xbf",
                b"\x00" * 64,
                b"PK\x03\x04" + b"\x00" * 40,  # the start of a zip, and nothing after
                b"---\n- - - - [\n",
                b"a: &a [x]\nb: *a\nc: *b\n",
                b"key,name\r\n" + b"a," * 2000 + b"\r\n",
                b"# Title\n\n## Status\n\nAccepted\n" + b"\xff\xfe",
            ]
        ),
        # Just past the 1 MB, 2 MB and 5 MB limits of the upload forms.
        st.sampled_from([1_000_001, 2 * 1024 * 1024 + 1, 5 * 1024 * 1024 + 1]).map(
            lambda n: b"a" * n
        ),
    )


file_names = st.one_of(
    st.sampled_from(
        ["x.csv", "x.xlsx", "x.yaml", "x.json", "x.md", "x.zip", "x", ".md", "x.MD", "x.exe"]
    ),
    st.text(
        st.characters(exclude_categories=("Cs", "Cc"), exclude_characters='"\\/'),
        min_size=1,
        max_size=80,
    ),
)


def files_like(value: Any) -> st.SearchStrategy[Any]:
    """A broken upload in place of ``value`` (one file or several), or text, or nothing."""
    upload = first_file(value)
    original = content_of(upload)
    one = st.builds(
        SimpleUploadedFile,
        st.one_of(st.just(upload.name), file_names),
        file_contents(original),
    )
    return st.one_of(
        one,
        st.lists(one, min_size=0, max_size=3),
        texts,  # a plain field where a file belongs
    )


OPERATIONS = ["replace", "replace", "replace", "drop", "repeat", "unknown", "extra", "many"]


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any], pools: Pools) -> dict[str, Any]:
    """The valid submission changed by one to three mutations (rarely: emptied)."""
    if draw(st.integers(0, 24)) == 0:
        return {} if draw(st.booleans()) else {name: "" for name in valid}
    data = dict(valid)
    for operation in draw(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=3)):
        names = sorted(set(data) | set(pools.extra))
        if operation == "replace" and names:
            name = draw(st.sampled_from(names))
            current = data.get(name)
            if current is not None and is_file(current):
                data[name] = draw(files_like(current))
            else:
                data[name] = draw(st.one_of(values(pools), st.lists(values(pools), max_size=3)))
        elif operation == "drop" and data:
            del data[draw(st.sampled_from(sorted(data)))]
        elif operation == "repeat" and data:
            name = draw(st.sampled_from(sorted(data)))
            current = data[name]
            if is_file(current):
                upload = first_file(current)
                copy = SimpleUploadedFile(upload.name, content_of(upload))
                data[name] = [upload, copy]
            else:
                old = list(current) if isinstance(current, list | tuple) else [current]
                data[name] = [*old, draw(values(pools))]
        elif operation == "many" and names:
            name = draw(st.sampled_from(names))
            data[name] = [draw(values(pools))] * TOO_MANY
        elif operation == "extra" and pools.extra:
            name = draw(st.sampled_from(sorted(pools.extra)))
            likely = pools.extra[name] or [""]
            data[name] = draw(st.one_of(st.sampled_from(likely), values(pools)))
        else:  # "unknown", or nothing else applies
            data[draw(field_names)] = draw(values(pools))
    return data


def path_values(original: Any, pools: Pools) -> st.SearchStrategy[Any]:
    """Another value for one URL argument: ids of globex, ids no database holds, other keys."""
    if isinstance(original, int):
        ints = [int(v) for v in pools.foreign + pools.plausible if v.isascii() and v.isdigit()]
        return st.one_of(
            st.sampled_from([0, 2**31, 2**63, 10**30]),
            st.sampled_from(ints or [1]),
        )
    keys = [v for v in pools.foreign + pools.plausible if v and v.isascii()]
    return st.one_of(
        st.sampled_from(keys or ["x"]),
        st.sampled_from(["no-such-key", "x" * 300, "UPPER", "-", "_", "a--b"]),
    )


def json_values(pools: Pools) -> st.SearchStrategy[Any]:
    """Any JSON value, with the form strings as leaves (for the API's bodies)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        values(pools),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=8), children, max_size=3),
        ),
        max_leaves=6,
    )


@st.composite
def mutated_json(draw: st.DrawFn, valid: dict[str, Any], pools: Pools) -> Any:
    """The valid body changed: a field of another JSON type, gone, unknown, or a body that
    is not an object at all."""
    if draw(st.integers(0, 14)) == 0:
        return draw(json_values(pools))
    body = dict(valid)
    for operation in draw(
        st.lists(st.sampled_from(["replace", "replace", "drop", "unknown"]), min_size=1, max_size=3)
    ):
        if operation == "replace" and body:
            body[draw(st.sampled_from(sorted(body)))] = draw(json_values(pools))
        elif operation == "drop" and body:
            del body[draw(st.sampled_from(sorted(body)))]
        else:
            body[draw(st.text(max_size=12))] = draw(json_values(pools))
    return body
