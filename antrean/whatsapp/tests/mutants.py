"""Hypothesis strategies for webhook bodies that are almost what Meta sends.

The seeds are real Cloud API updates (the shared fixtures, when present) and our own
builders; a mutant is a seed with a few of its nodes dropped, given a wrong type, a
strange string or number, truncated, repeated or buried deep in lists.
"""

import copy
import json

from hypothesis import strategies as st

from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.conftest import FIXTURES

OUR_NUMBER = "990000000000001"  # replaced by the test's own number where one is needed


# What our builders make: one message or status each, which a single mutation can spoil.
BUILT = [
    make.text(OUR_NUMBER, "6281234567890", "#Budi#25011987#10082027"),
    make.button(OUR_NUMBER, "6281234567890", "confirm:ABC123", "Konfirmasi"),
    make.image(OUR_NUMBER, "6281234567890", "1234567890"),
    make.status(OUR_NUMBER, "wamid.OUT", "failed", opaque="out:7", error={"code": 131026}),
    make.status(OUR_NUMBER, "wamid.OUT", "sent", opaque="out:7"),
]


def _fixtures() -> list[dict]:
    if not (FIXTURES / "pywa").is_dir():
        return []
    return [
        body
        for path in sorted((FIXTURES / "pywa").glob("*.json"))
        for body in json.loads(path.read_text()).values()
    ]


SEEDS = BUILT + _fixtures()

# Strings that have broken something somewhere: drawn as often as all the others.
NASTY_TEXT = [
    "\x00",
    "wamid.\x00",
    "\ud800",  # a lone surrogate: no UTF-8 encoding exists for it
    "\udfff\ud800",
    "٦٢٨١٢٣٤٥٦٧٨٩٠",  # digits, but not ASCII ones
    "²²²",  # digits to str.isdigit(), not to int()
    "9" * 5_000,  # more digits than int() reads
    "out:²",
    "out:" + "9" * 25,
    "out:" + "9" * 5_000,
]
PLAIN_TEXT = [
    "",
    " ",
    "6281234567890\n",
    "9" * 30,
    "x" * 300,
    "\U0001f600" * 1_000,
    "#Budi#25011987#10082027",
    "whatsapp_business_account",
    "messages",
    "text",
    "interactive",
    "button_reply",
    "failed",
]
STRANGE_TEXT = st.sampled_from(NASTY_TEXT) | st.sampled_from(PLAIN_TEXT)
STRANGE_NUMBER = st.sampled_from(
    [0, -1, True, False, 2**31, 2**63, 10**30, -(10**30), 1e300, -1e300, 0.5, float("inf")]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
# The keys the parser reads: half of the mutations hit one of these.
READ = frozenset(
    "object entry changes field value metadata phone_number_id contacts wa_id profile name "
    "messages statuses type id from timestamp text body interactive button_reply list_reply "
    "title button payload image document caption mime_type audio voice status recipient_id "
    "biz_opaque_callback_data errors code message error_data details event".split()
)
OPERATIONS = ["drop", "wrong_type", "text", "text", "number", "truncate", "repeat", "nest", "empty"]


def paths(document, limit: int = 1_000) -> list[tuple]:
    """The paths (keys and indexes) of the first `limit` nodes, the root's being ()."""
    found, todo = [], [((), document)]
    while todo and len(found) < limit:
        path, node = todo.pop()
        found.append(path)
        if isinstance(node, dict):
            todo.extend(((*path, key), value) for key, value in node.items())
        elif isinstance(node, list):
            todo.extend(((*path, index), value) for index, value in enumerate(node))
    return found


def _get(document, path):
    for step in path:
        document = document[step]
    return document


def _mutate(draw, document, path):
    node = _get(document, path)
    operation = draw(st.sampled_from(OPERATIONS))
    if operation == "drop" and path:
        parent = _get(document, path[:-1])
        del parent[path[-1]]
        return document
    if operation == "truncate":
        if isinstance(node, str):
            new = node[: draw(st.integers(0, max(0, len(node) - 1)))]
        elif isinstance(node, list):
            new = node[: draw(st.integers(0, max(0, len(node) - 1)))]
        elif isinstance(node, dict):
            keys = draw(st.lists(st.sampled_from(sorted(node)), unique=True)) if node else []
            new = {key: node[key] for key in keys}
        else:
            new = None
    elif operation == "repeat":
        times = draw(st.sampled_from([2, 20, 100]))  # thousands: test_fuzz_webhook.py
        if len(json.dumps(node)) * times > 100_000:  # megabytes only slow the tests down
            times = 2
        new = (node * times) if isinstance(node, list) and len(node) < 5 else [node] * times
    elif operation == "nest":
        new = node
        for _ in range(draw(st.sampled_from([1, 10, 200]))):
            new = [new] if draw(st.booleans()) else {"value": new}
    elif operation == "text":
        new = draw(STRANGE_TEXT)
    elif operation == "number":
        new = draw(STRANGE_NUMBER)
    elif operation == "empty":
        new = draw(st.sampled_from([{}, [], "", None]))
    else:
        new = draw(JSON_VALUES)
    if not path:
        return new
    _get(document, path[:-1])[path[-1]] = new
    return document


@st.composite
def mutants(draw, *, number: str = OUR_NUMBER, at_most: int = 4, seeds: list = SEEDS):
    """One of `seeds` with up to `at_most` mutations; its updates are for `number`."""
    document = copy.deepcopy(draw(st.sampled_from(seeds)))
    for entry in document.get("entry", []):
        for change in entry.get("changes", []):
            metadata = change.get("value", {}).get("metadata")
            if isinstance(metadata, dict):
                metadata["phone_number_id"] = number
    for _ in range(draw(st.integers(1, at_most))):
        every = paths(document)
        read = [path for path in every if path and path[-1] in READ]
        path = draw(st.sampled_from(read if read and draw(st.booleans()) else every))
        document = _mutate(draw, document, path)
    return document


def dumps(document) -> bytes:
    """As JSON in ASCII: a lone surrogate becomes a "\\ud800" escape (the only way JSON can
    carry one), an infinity "Infinity" (which Python's json reads back)."""
    return json.dumps(document, separators=(",", ":")).encode()


@st.composite
def spoiled(draw, *, number: str = OUR_NUMBER):
    """One of our built updates with one value it is read for made nasty: a string or a
    number where the parser expects one, so the update is still taken as a message or a
    status and its strange value goes on towards the database."""
    document = copy.deepcopy(draw(st.sampled_from(BUILT)))
    leaves = [
        path
        for path in paths(document)
        if path and path[-1] in READ and isinstance(_get(document, path), str | int)
    ]
    path = draw(st.sampled_from(leaves))
    new = draw(st.sampled_from(NASTY_TEXT) | STRANGE_NUMBER)
    _get(document, path[:-1])[path[-1]] = new
    return json.loads(json.dumps(document).replace(json.dumps(OUR_NUMBER), json.dumps(number)))
