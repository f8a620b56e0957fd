"""Keep-phrases: clinically and commercially meaningful text that must survive scrubbing.

A finding of a *contextual* entity type (names, locations, dates, postal codes, loosely-shaped ids) that lies
inside a keep-phrase is dropped: "Parkinson's disease", "metformin 500 mg", "HbA1c 7.2%", "ICD-10 E11.9",
"CPT 99213", "$1,250.00", "version 2.4.1". Findings that carry their own proof (a checksum, an e-mail shape,
an SSN with its dashes) are never vetoed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

import regex as re

from appliance.scrub import lexicons as lx
from appliance.scrub.recognizers import DIGIT_FIRST, Starts, has_literal, matches_at, start_test, with_firsts

_TITLES = "|".join(re.escape(t) for t in lx.TITLES)
_EPONYM = "|".join(sorted((re.escape(e) for e in lx.EPONYMS), key=len, reverse=True))
# with a head noun ("Baker's cyst"): the eponyms above and those that are also common surnames
_EPONYM_HEADED = "|".join(
    sorted((re.escape(e).replace("\\-", "[\\s-]") for e in lx.EPONYMS | lx.EPONYMS_HEADED), key=len, reverse=True)
)
_DRUG = "|".join(sorted(lx.DRUGS, key=len, reverse=True))
_DOSE_UNIT = (
    r"(?:mg|mcg|µg|ug|g|gm|ml|mL|l|units?|u|iu|IU|meq|mEq|mmol|%|tabs?|tablets?|caps?|capsules?|puffs?|drops?|"
    r"sprays?|patch(?:es)?|mg/kg|mg/m2|mcg/hr)"
)
_LAB_UNIT = (
    r"(?:%|mg/dl|mmol/l|mmol/mol|g/dl|g/l|meq/l|u/l|iu/l|ng/ml|ng/dl|pg/ml|µg/l|ug/l|mcg/dl|miu/l|µiu/ml|uiu/ml|"
    r"mg/l(?:\s+feu)?|mg/mmol|µmol/l|umol/l|nmol/l|pmol/l|iu/ml|u/ml|mosm/kg|mm/hr?|/min|breaths/min|"
    r"x\s?10\^?\d+/l|k/ul|/µl|/ul|/mm3|bpm|mmhg|kg|lbs?|cm|mm|°[cf]|ml/min(?:/1\.73\s?m2)?|(?-i:s)|sec|seconds)"
)

# Patterns are paired with a gate where one is cheap. ("regex", R): a cheap necessary condition, a regex every
# match contains; without it the pattern cannot match, so it is skipped. ("has", L, E): every match holds one of
# the literals L (as the case-insensitive pattern matches them: `has_literal`) or E (as written). ("starts", F)
# or ("starts", F, C): a match can only begin at a word (\w run) whose lower-case form F accepts (e.g. a word of
# a lexicon), or at one of the characters C; the pattern is tried there only (`_matches_at`) instead of at every
# position of the text. A word with a non-ASCII character is always tried (see `WordIndex.foreign`).
# A pattern that opens with `\b` and a keyword (`\b(?:bp|blood\s+pressure)`) begins at the start of a word
# (the keyword's first character is a word character and `\b` puts a non-word character or the text's start
# before it), and that word begins with the keyword's characters up to its first non-word character ("bp",
# "blood"; "phq" of "phq-?9"): `_prefixes` of those.
_EPONYM_FIRST = {e.lower().split("-")[0] for e in lx.EPONYMS | lx.EPONYMS_HEADED}
# "Parkinsons' disease"; "non-Hodgkin lymphoma" starts at "non"
_EPONYM_STARTS = frozenset(_EPONYM_FIRST | {w + "s" for w in _EPONYM_FIRST} | {"non"})
_DRUG_WORDS = frozenset(d.lower() for d in lx.DRUGS)
_SUFFIXES = tuple(lx.DRUG_SUFFIXES.split("|"))


def _ends_in_drug_suffix(word: str) -> bool:
    """Where the suffix-drug pattern can start (`\\b[a-z]{3,}(?:suffix)\\b`)."""
    return word.endswith(_SUFFIXES)


def _prefixes(*heads: str) -> tuple[str, Callable[[str], bool]]:
    """A "starts" gate: the word begins with one of `heads`."""
    return ("starts", with_firsts(lambda word: word.startswith(heads), [h[0] for h in heads]))


def _clock_hour(word: str) -> bool:
    r"""Where `\b(?:[01]?\d|2[0-3]):` can start: a word of one or two digits (the ":" ends it)."""
    return len(word) <= 2 and word.isdigit()


def _icd_code_head(word: str) -> bool:
    r"""Where `\b[A-TV-Z]\d{2}\.` can start: a word of a letter other than "u" and two digits (the "." ends it)."""
    return len(word) == 3 and word[0] in "abcdefghijklmnopqrstvwxyz" and word[1:].isdigit()


def _v_number(word: str) -> bool:
    r"""Where `\bv\d+` can start: "v" and a digit."""
    return len(word) > 1 and word[0] == "v" and word[1].isdigit()


with_firsts(_clock_hour, "0123456789")
with_firsts(_icd_code_head, "abcdefghijklmnopqrstvwxyz")
with_firsts(_v_number, "v")


_CURRENCY_SIGNS = "$€£¥₹₦"
_CURRENCY_CODES = (
    "usd eur gbp chf jpy cad aud inr ngn zar kes ghs brl mxn sek nok dkk pln try krw sgd nzd hkd cny rmb aed sar egp "
    "php thb idr myr ils czk huf ron"
).split()
_DOLLAR_PREFIXES = frozenset("us c ca a au nz hk s r".split())


def _money_start(word: str) -> bool:
    """Where the money pattern can start with a word: a dollar's prefix right before its "$" ("us" of "US$"), or a
    currency code, alone or with the amount joined to it ("usd", "usd100"); the signs are the other starts."""
    return word in _DOLLAR_PREFIXES or word.startswith(tuple(_CURRENCY_CODES))


with_firsts(_money_start, [w[0] for w in _DOLLAR_PREFIXES | set(_CURRENCY_CODES)])


def _money_words(text: str) -> bool:
    return has_literal(text, ("usd", "eur", "gbp", "chf", "dollars", "euros", "pounds"), ("€", "$"))


_EPONYM_GATE = ("starts", _EPONYM_STARTS.__contains__)
_DRUG_GATE = ("starts", _DRUG_WORDS.__contains__)
_DOSE_GATE = ("starts", _ends_in_drug_suffix)
# ("tail", G, C): every match ends with a match of G that begins at the last digit of its number, and all of the
# match before that digit is of the class C. So no match starts before the run of C that ends where the leftmost
# match of G (from where the search stands) begins, and the search may start there (`_tail_matches`).
# Lab values: a word of letters, digits and "-", blanks, ":" or "=" or "of"/"was"/"is"/"at", blanks, then the
# number and its unit (the unit never starts with a digit, so the number's digits are all before the unit).
_LAB_GATE = ("tail", rf"\d(?:[.,]\d+)?[ \t]*{_LAB_UNIT}(?![\w/])", r"[A-Za-z0-9\-:=\s\d]")

CLINICAL = [
    # a gene variant named after a city: "factor V Leiden"
    (r"\bfactor[ \t]+V[ \t]+Leiden\b", _prefixes("factor")),
    # eponymous diseases, signs, scores, procedures: "Parkinson's disease", "Glasgow Coma Scale 14"
    (
        rf"(?<!\b(?:{_TITLES})\.?\s+)\b(?:non-)?(?:{_EPONYM_HEADED})(?:['’]s|s['’]|['’])?"
        rf"(?:[ \t-]+(?:coma|modified|revised|lower|upper|simplified|[IV]{{1,4}}))?[ \t-]+(?:{lx.EPONYM_HEADS})\b"
        rf"(?:[ \t]*(?:of|was|is|=|:)?[ \t]*(?:\d+(?:[.,]\d+)?(?:[ \t]*[+/][ \t]*\d+)*|[IV]{{1,4}}\b|[A-D]\b))?",
        _EPONYM_GATE,
    ),
    # any name before "syndrome" or "disease" ("Hunter syndrome", "Young's syndrome", "Sheehan syndrome"), not after a
    # title ("Dr. Hunter's disease clinic" keeps the doctor's name a name)
    (
        rf"(?<!\b(?:{_TITLES})\.?\s+)(?-i:\b\p{{Lu}}\p{{Ll}}+(?:-\p{{Lu}}\p{{Ll}}+)?)(?:['’]s)?[ \t]+(?:syndrome|disease)\b",
        ("has", ("syndrome", "disease")),
    ),
    # possessive eponym on its own ("history of Alzheimer's"), not after a title ("Dr. Wilson's office")
    (
        rf"(?<!\b(?:{_TITLES})\.?\s+)\b(?:{_EPONYM})['’]s\b(?!\s+(?:office|clinic|practice|team|wife|husband|son|daughter|mother|father|house|home|car|phone|email))",  # noqa: E501
        _EPONYM_GATE,
    ),
    # an eponym in another language's name of a disease, sign or test ("maladie de Crohn", "enfermedad de
    # Alzheimer", "doença de Chagas", "ziekte van Parkinson", "Morbus Bechterew", "linfoma de Hodgkin")
    (
        r"\b(?:(?:maladie|syndrome|signe|enfermedad|s[ií]ndrome|signo|linfoma|lymphome|doen[çc]a|sinal|s[ií]ndroma|"
        r"ziekte|syndroom|teken|proef|malattia|sindrome|segno|morbo|tiroidite|tiroiditis|thyro[iï]dite|maniobra|"
        r"manobra|manovra|man[oœ]uvre|prueba|prova)[ \t]+(?:de[ \t]+(?:la[ \t]+)?|d['’]|van[ \t]+|di[ \t]+|von[ \t]+)"
        r"|morbus[ \t]+)(?-i:\p{Lu}[\p{L}'’]+(?:-\p{Lu}[\p{L}'’]+)?)",
        _prefixes("maladie", "syndrome", "signe", "enfermedad", "síndrom", "sindrom", "signo", "linfoma", "lymphome",
                  "doença", "doenca", "sinal", "ziekte", "syndroom", "teken", "proef", "malattia", "segno", "morb",
                  "tiroidit", "thyroïdite", "thyroidite", "maniobra", "manobra", "manovra", "manoeuvre", "manœuvre",
                  "prueba", "prova"),
    ),
    # drug + dose, lexicon drug alone, suffix-shaped drug + dose
    (
        rf"\b(?:{_DRUG})\b(?:\s+(?:er|xr|sr|cr|la|hcl|sodium|potassium))?(?:\s+\d+(?:[.,]\d+)?\s*{_DOSE_UNIT}\b)?",
        _DRUG_GATE,
    ),
    (rf"\b[a-z]{{3,}}(?:{lx.DRUG_SUFFIXES})\b\s+\d+(?:[.,]\d+)?\s*{_DOSE_UNIT}\b", _DOSE_GATE),
    # any lower-case drug name with its dose, and its salt or form between ("darbepoetin alfa 40 mcg", "leuprolide
    # acetate 22.5 mg", "buprenorphine extended-release 300 mg")
    (
        r"\b[a-z]{4,}(?:-[a-z]{3,})?(?:[ \t]+(?:alfa|beta|acetate|sodium|potassium|hcl|hydrochloride|extended-release|"
        r"delayed-release|er|xr|sr|cr|la|dr|succinate|tartrate|maleate|besylate|mesylate|sulfate|citrate|fumarate|"
        rf"phosphate|enteral|oral|topical))?[ \t]+\d+(?:[.,]\d+)?(?:[ \t]*/[ \t]*\d+(?:[.,]\d+)?)?[ \t]*{_DOSE_UNIT}\b",
        # (searched from each dose back: a rule tried at every lower-case word cost 8 % of the scrub's time)
        ("tail", rf"\d(?:[.,]\d+)?[ \t]*{_DOSE_UNIT}\b", r"[A-Za-z0-9\-/.,\s]"),
    ),
    # a stage, grade or class in roman numerals or digits with a letter ("Stage IIA", "grade 3b", "Class III")
    (r"\b(?:stage|grade|class|type|tier|phase)[ \t]+(?-i:[IV]{1,4}[ABC]?|[0-4][ABCabc])\b", _prefixes("stage", "grade",
                                                                                                  "class", "type", "tier",
                                                                                                  "phase")),
    (r"\bhoehn[ \t]+(?:and|&)[ \t]+yahr(?:[ \t]+stage[ \t]+\d(?:\.\d)?)?", _prefixes("hoehn")),
    # UK care and law terms named after people or places ("Gillick competence", "Fraser guidelines", "Caldicott
    # Guardian", "Bradford factor", "Hickman line", "Nottingham Prognostic Index 2", "Rockwood frailty score 5")
    (
        r"\b(?:gillick[ \t]+competen(?:ce|cy|t)|fraser[ \t]+(?:guidelines|competence|criteria)|"
        r"caldicott[ \t]+(?:guardian|principles?)|bradford[ \t]+(?:factor|score)|hickman[ \t]+lines?|"
        r"guthrie[ \t]+(?:card|test)|nottingham[ \t]+prognostic[ \t]+index(?:[ \t]+\d+(?:\.\d+)?)?|"
        r"rockwood(?:[ \t]+clinical)?[ \t]+frailty[ \t]+(?:score|scale)(?:[ \t]+\d)?|gift[ \t]+aid|bolam[ \t]+test)\b",
        _prefixes("gillick", "fraser", "caldicott", "bradford", "hickman", "guthrie", "nottingham", "rockwood", "gift",
                  "bolam"),
    ),
    # a tumour's TNM stage ("T2N0M0", "pT3N1M0"): not a Canadian postcode ("T2N 0M0" is one, written apart)
    (r"(?-i:\b[cpy]?T(?:[0-4][a-d]?|is|x)N[0-3x][a-c]?M[01x][a-c]?\b)", ("has", (), ("M0", "M1", "Mx", "MX"))),
    # a school year ("Year 4 expected standard"): no name
    (r"(?-i:\bYear[ \t]+(?:[1-9]|1[0-3])\b)", ("has", (), ("Year ",))),
    # a ward, bay, bed or side room by its number ("Ward 26A", "Bay 7 Bed 12", "side room 4")
    (
        r"\b(?:ward|bay|bed|side[ \t]+room|room|cubicle|theatre|pod)[ \t]+(?-i:\d{1,3}[A-Z]?|[A-Z]\d{0,2})\b",
        _prefixes("ward", "bay", "bed", "side", "room", "cubicle", "theatre", "pod"),
    ),
    # products named after a person (baby bottles, insoles, diet plans, snacks, nutrition drinks)
    (
        r"(?-i:\bDr\.?[ \t]+(?:Brown['’]s(?=[ \t]+(?i:bottles?|nipples?|baby|formula|natural|options|anti-colic))|"
        r"Scholl['’]s|Martens|Pepper)\b|\bMrs\.?[ \t]+Dash\b|\bJenny[ \t]+Craig\b|"
        r"\bLittle[ \t]+Debbie\b|\bEnsure(?:[ \t]+(?:Max[ \t]+Protein|Plus|Original|Clear|High[ \t]+Protein))\b|"
        r"\bSchmitt-Thompson\b|\bWeight[ \t]+Watchers\b|\bHunter(?=[ \t]+(?:boots?|wellies|wellingtons)\b)|"
        r"\bAlexa(?=[ \t]+(?:speakers?|devices?|skills?|app|echo|dot|show)\b)|\bAyushman[ \t]+Bharat\b)",
        _prefixes("dr", "mrs", "jenny", "little", "ensure", "schmitt", "weight", "hunter", "alexa", "ayushman"),
    ),
    rf"\b[A-Z][a-z]{{3,}}\s+\d+(?:[.,]\d+)?\s*{_DOSE_UNIT}\b(?:\s+(?:daily|bid|tid|qid|qhs|prn|once|twice))?",
    # lab values and vitals: "HbA1c 7.2%", "LDL 173 mg/dL", "BP 128/82", "eGFR 58 mL/min/1.73 m2"
    (
        # (on one line: "Bekele\n10453 S Belmont" is a name over a street, no lab value)
        rf"\b[A-Za-z][A-Za-z0-9-]{{0,12}}[ \t]*(?::|=|of|was|is|at)?[ \t]*\d+(?:[.,]\d+)?[ \t]*{_LAB_UNIT}(?![\w/])",
        _LAB_GATE,
    ),
    (r"\b(?:bp|blood\s+pressure)\s*(?::|of|was|is)?\s*\d{2,3}\s*/\s*\d{2,3}(?:\s*mmhg)?", _prefixes("bp", "blood")),
    (
        r"\b(?:phq-?9|gad-?7|mmse|moca|nihss|gcs|apgar|ecog|asa|nyha|cha2ds2-vasc|has-bled|curb-65|bmi|pain)"
        r"(?:\s+score)?\s*(?:of|was|is|=|:)?\s*\d+(?:\.\d+)?(?:\s*/\s*\d+)?",
        _prefixes("phq", "gad", "mmse", "moca", "nihss", "gcs", "apgar", "ecog", "asa", "nyha", "cha2ds2", "has", "curb",
                  "bmi", "pain"),
    ),
    # classes in roman numerals ("ASA III", "Mallampati class II", "NYHA IV") and Gleason sums ("Gleason 3+4=7")
    (
        r"\b(?:asa|nyha|mallampati|killip|tanner)(?:\s+(?:class|grade|stage|score))?\s*(?:[IV]{1,4}E?|[1-5])\b",
        _prefixes("asa", "nyha", "mallampati", "killip", "tanner"),
    ),
    (r"\bapache(?:\s+(?:ii|iv))?(?:\s+score)?\s*(?:of|=|:)?\s*\d{1,3}\b", _prefixes("apache")),
    (r"\bgleason(?:\s+(?:score|grade))?\s*(?:of|=|:)?\s*\d\s*\+\s*\d(?:\s*=\s*\d{1,2})?", _prefixes("gleason")),
    # oxygen saturation with its source ("SpO2 94% on RA", "SpO2 88% on 2L NC"): RA and NC are not places
    (
        r"\b(?:spo2|sao2|o2\s+sats?|sats?)\s*(?::|of|was|is)?\s*\d{2,3}\s*%(?:\s+(?:on\s+)?(?:ra|room\s+air|nc|nrb|"
        r"cpap|bipap|hfnc|\d+(?:\.\d+)?\s*l(?:/min)?(?:\s+(?:nc|nrb|fm|via\s+nc))?)\b)?",
        _prefixes("spo2", "sao2", "o2", "sat"),
    ),
    # temperature and clock times ("Temp 37.6 C", "at 4:37 PM"): NER took "PM, Bruno" and ", Temp" for names
    (r"\b(?:temp|temperature)\s*(?::|of|was|is)?\s*\d{2,3}(?:\.\d)?\s*°?\s*[cf]\b", _prefixes("temp")),
    (r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?\s?(?:am|pm|a\.m\.|p\.m\.)(?![\w.])", ("starts", _clock_hour)),
    # drug product codes ("NDC 0169-4132-12"): not a ZIP+4 or a phone number
    (r"\bndc\s*(?:code|#|no\.?)?\s*:?\s*\d{4,5}-\d{3,4}-\d{1,2}\b", _prefixes("ndc")),
    # ICD-9/10 and CPT/HCPCS codes
    (r"\bicd-?(?:9|10|11)(?:-cm)?(?:\s+code)?\s*:?\s*[A-Z]?\d[\dA-Z](?:\.[\dA-Z]{1,4})?\b", _prefixes("icd")),
    (r"\b[A-TV-Z]\d{2}\.\d{1,4}[A-Z]?\b", ("starts", _icd_code_head)),
    (r"\b(?:cpt|hcpcs)(?:\s+code)?\s*:?\s*#?\s*[A-Z]?\d{4}[\dFTU]\b", _prefixes("cpt", "hcpcs")),
]

FINANCIAL = [
    # a bank's BIC (SWIFT) code names the bank, not its customer ("at BIC NDEAFIHH", "(BIC CHASUS33)")
    (r"\b(?:bic|swift)(?:[ \t]+code)?[ \t]*[:#]?[ \t]*(?-i:[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b", _prefixes("bic", "swift")),
    (
        r"(?:(?:\b(?:us|c|ca|a|au|nz|hk|s|r)\$|[$€£¥₹₦])|\b(?:usd|eur|gbp|chf|jpy|cad|aud|inr|(?-i:NGN|ZAR|KES|GHS|BRL|"
        r"MXN|SEK|NOK|DKK|PLN|TRY|KRW|SGD|NZD|HKD|CNY|RMB|AED|SAR|EGP|PHP|THB|IDR|MYR|ILS|CZK|HUF|RON))\s?)\s?-?\d{1,3}"
        r"(?:[,.\s]\d{3}){0,5}(?:[.,]\d{1,2})?(?:\s?(?:k|m|bn|million|billion))?\b",
        ("starts", _money_start, _CURRENCY_SIGNS),
    ),
    (
        r"\b\d{1,3}(?:[,.\s]\d{3}){0,5}(?:[.,]\d{1,2})?\s?(?:usd|eur|gbp|chf|dollars|euros|pounds|€|\$)",
        ("starts", DIGIT_FIRST, "", _money_words),
    ),
    (
        r"\b(?:apr|apy|interest(?:\s+rate)?|rate|fee)\s*(?:of|is|:)?\s*\d+(?:\.\d+)?\s?%",
        _prefixes("apr", "apy", "interest", "rate", "fee"),
    ),
    (r"\b\d+(?:[.,]\d+)?\s?%\s*(?:p\.\s?a\.?|per\s+annum|apr|apy)", ("has", (), ("%",))),
    # statutes, codes and schemes by their names ("Employment Rights Act 1996", "Proceeds of Crime Act 2002",
    # "Financial Services Compensation Scheme", "Statutory Sick Pay", "Regulation E")
    (
        r"(?-i:\b(?:[A-Z][a-z]+[ \t]+(?:(?:of|and|for|on|to|the|in)[ \t]+)*){1,6}"
        r"(?:Act|Scheme|Regulations|Directive|Safeguards)\b)(?:[ \t]+\d{4})?"
        r"|(?-i:\b(?:Model|Highway|Penal|Civil|Criminal|Tax|Consumer|Banking|Lending|Insurance)[ \t]+Code\b)"
        r"|(?-i:\bStatutory[ \t]+(?:Sick|Maternity|Paternity|Adoption|Shared[ \t]+Parental)[ \t]+Pay\b)"
        r"|(?-i:\bRegulation[ \t]+[A-Z]{1,2}\b)"
        # a law named after the person it commemorates ("Clare's Law", "Awaab's Law", "Martyn's Law")
        r"|(?-i:\b\p{Lu}\p{Ll}+['’]s[ \t]+Law\b)"
        # the same in capitals ("EMPLOYMENT RIGHTS ACT 1996", "CARE ACT 2014")
        r"|(?-i:\b(?:[A-Z]{2,}[ \t]+(?:(?:OF|AND|FOR|ON|TO|THE|IN)[ \t]+)*){1,6}(?:ACT|SCHEME|REGULATIONS|DIRECTIVE)\b)"
        r"(?:[ \t]+(?:1[89]|20)\d{2}\b)?"  # a year, not a postcode ("CANBERRA ACT 2610")
        # a statute's part or title by its acronym ("ADA Title I", "IDEA Part B"), a code of practice ("SEND Code of
        # Practice")
        r"|(?-i:\b[A-Z]{2,6}[ \t]+(?:Title|TITLE|Part|PART)[ \t]+(?:[IVX]{1,4}|[A-D])\b)"
        r"|(?-i:\b(?:[A-Z][A-Za-z]*[ \t]+){0,3})(?:Code|CODE)[ \t]+(?:of|OF)[ \t]+(?:Practice|PRACTICE)\b",
        (
            "has",
            (),
            (" Act", " Code", " Scheme", "Regulation", " Directive", " Safeguards", "Statutory", " ACT", " SCHEME",
             "REGULATION", " DIRECTIVE", " Title", " TITLE", " Part", " PART", " CODE", "s Law"),
        ),
    ),
    # a SEPA creditor identifier names the company that collects, not the payer ("Incassant ID:
    # NL02ZZZ344234452989", "Gläubiger-ID DE98ZZZ09999999999")
    (r"\b[A-Z]{2}\d{2}ZZZ[0-9A-Z]{6,28}\b", ("has", (), ("ZZZ", "zzz"))),
    # an organisation's own policy by its short reference ("records management policy RM-4"), not a policy number
    (
        r"\b(?:[A-Za-z]+[ \t]+){0,2}policy[ \t]+(?-i:[A-Z]{1,4})-\d{1,3}\b(?![-/.]\d)",
        ("has", (), ("policy", "Policy", "POLICY")),
    ),
    # legal references ("Art. 15 UK GDPR", "§ 823 BGB")
    (
        r"(?:\bart(?:icle)?\.?|§)\s*\d+[a-z]?(?:\s*\(\d+\))?(?:\s+(?:uk\s+|eu\s+)?(?:gdpr|dsgvo|bgb|ccpa|hipaa))?",
        ("starts", with_firsts(lambda word: word.startswith("art"), "a"), "§"),
    ),
]

SOFTWARE = [
    (
        r"\b(?:v|version|ver\.?|build|release|firmware|fw|ios|android|macos|windows|chrome|firefox|safari|edge|"
        r"app|api|sdk|kernel|python|java|node)\s*v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?\b",
        _prefixes("v", "build", "release", "firmware", "fw", "ios", "android", "macos", "windows", "chrome", "firefox",
                  "safari", "edge", "app", "api", "sdk", "kernel", "python", "java", "node"),
    ),
    (r"\bv\d+(?:\.\d+){1,3}\b", ("starts", _v_number)),
    # an operating system or browser with its major version only ("Android 13", "Windows 11 24H2", "iOS 17")
    (
        r"\b(?:ios|ipados|android|macos|windows|ubuntu|debian|chrome|chromeos|firefox|safari|wear\s+os|outlook|"
        r"excel|powerpoint|sql\s+server|visual\s+studio)\s+\d{1,4}"
        r"(?:\.\d+){0,3}(?:\s+\d{2}h\d)?\b",
        _prefixes("ios", "ipados", "android", "macos", "windows", "ubuntu", "debian", "chrome", "firefox", "safari",
                  "wear", "outlook", "excel", "powerpoint", "sql", "visual"),
    ),
]

PACKS = {"clinical": CLINICAL, "financial": FINANCIAL, "software": SOFTWARE}

# Entity types a keep-phrase may veto (contextual guesses); validated identifiers are never vetoed.
VETOABLE = frozenset(
    {
        "PERSON",
        "LOCATION",
        "DATE_TIME",
        "ZIP_CODE",
        "ORGANIZATION",
        "NRP",
        "AGE",
        "MEDICAL_RECORD_NUMBER",
        "ACCOUNT_NUMBER",
        "HEALTH_PLAN_ID",
        "LICENSE_NUMBER",
        "VEHICLE_ID",
        "DEVICE_ID",
        "US_DRIVER_LICENSE",
        "US_BANK_NUMBER",
        "US_PASSPORT",
        "PHONE_NUMBER",
        "IP_ADDRESS",
        "STREET_ADDRESS",
    }
)


class KeepPhrases:
    def __init__(self, packs: list[str], extra: list[str]):
        pats = [p for name in packs for p in PACKS[name]] + list(extra)
        self._rules: list[tuple[re.Pattern, str | None, Any]] = []
        for p in pats:
            rx, gate = (p, None) if isinstance(p, str) else p
            kind, cond = (gate[0], gate[1:]) if gate else (None, None)
            if kind == "regex":
                cond = re.compile(cond[0], re.IGNORECASE)
            elif kind == "tail":  # the tail and the class read as the pattern reads them (case-insensitive)
                cond = (re.compile(cond[0], re.IGNORECASE), re.compile(rf"(?r){cond[1]}*", re.IGNORECASE))
            elif kind == "starts":
                cond = Starts(*cond)  # the packs' tests were registered at import (`_register_starts`)
            self._rules.append((re.compile(rx, re.IGNORECASE), kind, cond))

    def spans(self, text: str) -> list[tuple[int, int]]:
        out = []
        for rx, kind, cond in self._rules:
            if kind == "starts":
                at = cond.positions(text)
                if at:
                    out.extend(m.span() for m in matches_at(rx, text, at))
                continue
            if kind == "tail":
                out.extend(_tail_matches(rx, text, *cond))
                continue
            if kind == "regex" and not cond.search(text):
                continue
            if kind == "has" and not has_literal(text, *cond):
                continue
            out.extend(m.span() for m in rx.finditer(text) if m.end() > m.start())
        return out

    def index(self, text: str) -> SpanIndex:
        return SpanIndex(self.spans(text))


class SpanIndex:
    """A text's keep-phrase spans, indexed for the two questions asked of each finding. A long text has
    thousands of both (a 100,000-character piece: ~1,500 spans, ~3,800 findings): asking every span per
    finding took its decisions 0.59 s, the index 0.15 s."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans  # in the order the rules found them (`overlapping` keeps it)
        order = sorted(range(len(spans)), key=lambda k: spans[k][0])
        self._order = order
        self._starts = [spans[k][0] for k in order]
        self._reach: list[int] = []  # the furthest end among the spans up to each position in start order
        reach = -1
        for k in order:
            reach = max(reach, spans[k][1])
            self._reach.append(reach)
        self._longest = max((e - s for s, e in spans), default=0)

    def __bool__(self) -> bool:
        return bool(self.spans)

    def covers(self, start: int, end: int) -> bool:
        """Whether one span holds all of [start, end): `any(s <= start and end <= e for s, e in spans)`."""
        i = bisect_right(self._starts, start)
        return i > 0 and self._reach[i - 1] >= end

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        """The spans that overlap [start, end), in their original order. (A span ending after `start` starts
        after `start - longest`.)"""
        lo = bisect_left(self._starts, start - self._longest + 1)
        hi = bisect_left(self._starts, end)
        spans = self.spans
        return [spans[k] for k in sorted(k for k in self._order[lo:hi] if spans[k][1] > start)]


def _tail_matches(rx: Any, text: str, tail: Any, back: Any) -> list[tuple[int, int]]:
    """`rx.finditer(text)`'s spans for a ("tail", G, C) rule: from where the search stands, the next match
    cannot start before the run of C that ends at the leftmost match of G (see `_LAB_GATE`); the search
    starts there (no match starts in between, so `search` finds the same next match as `finditer`)."""
    out = []
    pos = 0
    while True:
        g = tail.search(text, pos)
        if g is None:
            return out
        m = rx.search(text, max(pos, back.match(text, 0, g.start()).start()))
        if m is None:
            return out
        if m.end() > m.start():
            out.append(m.span())
            pos = m.end()
        else:  # (never for these patterns: `finditer` would step past an empty match)
            out.extend(s.span() for s in rx.finditer(text, m.start()) if s.end() > s.start())
            return out


def _register_starts() -> None:
    """The packs' word tests join `start_lists` at import, before any text is read."""
    for p in CLINICAL + FINANCIAL + SOFTWARE:
        if not isinstance(p, str) and p[1][0] == "starts":
            start_test(p[1][1])


_register_starts()
