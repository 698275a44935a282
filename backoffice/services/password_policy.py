"""The password policy (OWASP ASVS 5.0, V6.2), as a pure function.

- length: at least 15 characters (ASVS 6.2.1 asks 8 and strongly recommends
  15; NIST SP 800-63B-4 requires 15 when the password is the only factor, as
  here) and at most 128 (ASVS 6.2.9 asks that 64 be allowed);
- no composition rule (6.2.5): any character, spaces and emoji included;
- refused when it is a common password (6.2.4), a common password padded with
  digits or symbols, a repetition, a keyboard or alphabet run, or built on the
  user's own identifiant, name or e-mail (6.2.11, context-specific words).
The password is checked as typed: never truncated or trimmed (6.2.8).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 15
MAX_LENGTH = 128

TOO_SHORT = f"Le mot de passe doit comporter au moins {MIN_LENGTH} caractères."
TOO_LONG = f"Le mot de passe doit comporter au plus {MAX_LENGTH} caractères."
TOO_COMMON = ("Ce mot de passe est trop courant ou trop facile à deviner. Choisissez par exemple "
              "une phrase de plusieurs mots sans rapport entre eux.")
TOO_PERSONAL = "Le mot de passe ne doit pas reprendre votre identifiant, votre nom ou votre courriel."
MISMATCH = "Les deux mots de passe saisis sont différents."
HINT = (f"Au moins {MIN_LENGTH} caractères, sans autre contrainte : une phrase de plusieurs mots "
        "est facile à retenir et difficile à deviner.")

# Keyboard rows (AZERTY and QWERTY) and the alphabet: runs taken from them are guessed first.
_RUNS = ("azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz",
         "0123456789", "azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm",
         "1qaz2wsx3edc4rfv5tgb", "1azer2qsdf", "&é\"'(-è_çà")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), one per line."""
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _fold(text: str) -> str:
    """Lower case, accents stripped: 'Été' and 'ete' are the same guess."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def _core(text: str) -> str:
    """The letters-and-digits skeleton, without the padding people add (1!, 2024...)."""
    letters = re.sub(r"[^0-9a-z]", "", text)
    stripped = re.sub(r"^[0-9]+|[0-9]+$", "", letters)
    return stripped or letters


def _is_repetition(text: str) -> bool:
    """'azertyazertyazerty', 'aaaaaaaaaaaaaaaa', 'abcabcabcabcabc': a short unit repeated."""
    n = len(text)
    return any(n % size == 0 and text == text[:size] * (n // size) for size in range(1, n // 2 + 1))


def _is_run(text: str) -> bool:
    """A slice of a keyboard row or of the alphabet, forwards or backwards, maybe repeated."""
    if len(text) < 4:
        return False
    for run in _RUNS:
        doubled = run * 3
        if text in doubled or text in doubled[::-1]:
            return True
    return False


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s", "7": "t", "!": "i"})


def _too_guessable(folded: str) -> bool:
    """Common, padded, repeated, a keyboard run or glued common words (leetspeak undone too)."""
    if len(set(folded)) < 5:
        return True
    return _guessable_core(_core(folded)) or _guessable_core(_core(folded.translate(_LEET)))


def _guessable_core(core: str) -> bool:
    common = common_passwords()
    if core in common:
        return True
    if _is_repetition(core) or _is_run(core):
        return True
    # a few common words or runs glued together, digits between them ("soleil2024marseille")
    return len(core) <= 64 and _made_of_common(core, 3)


def _made_of_common(core: str, depth: int) -> bool:
    """True when `core` splits into at most `depth` common passwords or runs (digits ignored)."""
    common = common_passwords()
    memo: dict[tuple[str, int], bool] = {}  # local: no password fragment outlives the call

    def split(rest: str, left: int) -> bool:
        rest = rest.lstrip("0123456789")
        if not rest:
            return True
        if left == 0:
            return False
        if (rest, left) not in memo:
            memo[rest, left] = any((rest[:end] in common or _is_run(rest[:end])) and split(rest[end:], left - 1)
                                   for end in range(len(rest), 2, -1))
        return memo[rest, left]
    return split(core, depth)


def _personal_words(identifiant: str | None, nom: str | None, prenom: str | None, email: str | None):
    words = [identifiant, nom, prenom, "dokelio", "carif", "iledefrance"]
    if email and "@" in email:
        local, _, domain = email.partition("@")
        words += [local, domain.split(".")[0]]
    for word in words:
        core = re.sub(r"[^0-9a-z]", "", _fold(word or ""))
        if len(core) >= 4:
            yield core


def check_password(password: str, *, identifiant: str | None = None, nom: str | None = None,
                   prenom: str | None = None, email: str | None = None) -> str | None:
    """A French message when the password is refused, None when it is acceptable."""
    if password is None or len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = _fold(password)
    if _too_guessable(folded):
        return TOO_COMMON
    skeleton = re.sub(r"[^0-9a-z]", "", folded)
    words = sorted({w for w in _personal_words(identifiant, nom, prenom, email) if w in skeleton}, key=len, reverse=True)
    if words:
        rest = skeleton
        for word in words:
            rest = rest.replace(word, "")
        # personal words may appear, but what is left once they are all removed must stand on its own
        if len(rest) < 8 or _too_guessable(rest):
            return TOO_PERSONAL
    return None
