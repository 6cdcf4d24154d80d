"""``runAsUser``: Chronos took a user name, Kubernetes takes a numeric uid."""

from __future__ import annotations

# The only names whose uid is the same in every image; any other name would need the image's
# /etc/passwd, which the operator cannot read, so it is refused rather than guessed.
NAMED_UIDS = {"root": 0, "nobody": 65534}
MAX_UID = 2**31 - 1  # Linux uids are 32-bit; Kubernetes' runAsUser is an int64 but refuses more


def parse_user(value: int | str) -> int:
    """The uid for a ``runAsUser`` value: a number, ``"1000"``, ``root`` or ``nobody``.

    ValueError, saying what to write instead, for anything else.
    """
    if isinstance(value, bool):  # bool is an int to Python, never a uid to a user
        raise ValueError(f"must be a numeric uid, root or nobody, not {str(value).lower()}")
    if isinstance(value, int):
        uid = value
    elif value.isascii() and value.isdigit():
        uid = int(value)
    elif value in NAMED_UIDS:
        return NAMED_UIDS[value]
    else:
        raise ValueError(
            f"user name {value!r} cannot be resolved: Kubernetes runs containers by numeric uid, and only "
            "root (0) and nobody (65534) are the same in every image; write the uid instead, e.g. runAsUser: "
            "1000"
        )
    if not 0 <= uid <= MAX_UID:
        raise ValueError(f"uid {uid} is outside 0..{MAX_UID}")
    return uid
