"""How the import compares words: case, accents, ligatures, punctuation and spaces ignored."""

import re
import unicodedata
from typing import Any

# Letters that Unicode does not decompose into plain ones.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o"})


def normalise(text: Any) -> str:
    """Case-, accent-, ligature-, punctuation- and space-insensitive form of a header or value.

    "Mise en œuvre" and "MISE EN OEUVRE" give "mise en oeuvre"; "Évalué(e)" gives "evalue e".
    """
    text = str(text if text is not None else "").translate(LIGATURES)
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


# French adjectives and past participles agree in gender and number: "évalué", "évaluée",
# "évalués", "évaluées" and "évalué(e)(s)" are one word.
_AGREEMENT = re.compile(r"\((?:e|s|es)\)", re.IGNORECASE)


def fold_inflections(text: Any) -> str:
    """``normalise`` with French gender and number endings and English plurals folded."""
    words = []
    for word in normalise(_AGREEMENT.sub("", str(text or ""))).split():
        if len(word) > 3 and word.endswith("s"):
            word = word[:-1]
        if len(word) > 3 and word.endswith("ee"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: a 0-based column as spreadsheets name it."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
