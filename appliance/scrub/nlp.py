"""The NLP side of the analyzer: a spaCy engine that runs only what NER needs, and a fast context enhancer.

- `PolicyNlpEngine` is Presidio's `SpacyNlpEngine` loading the pipeline with only the policy's components
  (`ner` by default: the small English pipelines' NER has its own tok2vec, so tagger, parser, lemmatizer
  and the shared tok2vec are not loaded at all). Without a lemmatizer the context enhancer matches lower-case
  token text. Runs of ALL CAPS words are title-cased before NER (same length, so offsets do not move).
- The pipeline's matrix products go through numpy's BLAS (thinc's `NumpyOps(use_blis=False)`) limited to one
  thread: on this project's CPUs blis was 3.7x slower than OpenBLAS for the NER's layer sizes (NER of 2,000
  documents 9.4 s -> 6.6 s, identical entities), and one thread per process keeps worker processes from
  oversubscribing the cores (two workers with two BLAS threads each took twice as long). Its Maxout layers
  take the max over their pieces with numpy (`_maxout_predict`): the same numbers as thinc, at a third of the
  cost of thinc's loop. Its first block (hash embeddings of a token's NORM, PREFIX, SUFFIX and SHAPE, mixed by
  a Maxout) is computed once per distinct row of those four ids (`TokenEmbeddingCache`): a batch of 256
  documents has ~15 % distinct rows (2,000 documents ~8.5 %), and the block was a quarter of the NER's time.
- `FastContextEnhancer` is Presidio's `LemmaContextAwareEnhancer` with the token look-up done by bisection
  and without deep-copying every result: same decisions, a fraction of the cost.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

from appliance.scrub import lexicons as lx

log = logging.getLogger(__name__)

KNOWN_COMPONENTS = (
    "tok2vec",
    "tagger",
    "morphologizer",
    "parser",
    "senter",
    "attribute_ruler",
    "lemmatizer",
    "ner",
    "entity_ruler",
    "transformer",
)

# spaCy labels → Presidio entities. DATE/TIME come from the date recognizer (spaCy's DATE also tags
# durations and frequencies such as "6 weeks" and "twice daily", which are not identifiers).
NER_CONFIG = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON",
        "PERSON": "PERSON",
        "NORP": "NRP",
        "FAC": "LOCATION",
        "LOC": "LOCATION",
        "GPE": "LOCATION",
        "ORG": "ORGANIZATION",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": ["ORGANIZATION"],
    "labels_to_ignore": [
        "CARDINAL",
        "DATE",
        "TIME",
        "EVENT",
        "LANGUAGE",
        "LAW",
        "MONEY",
        "ORDINAL",
        "PERCENT",
        "PRODUCT",
        "QUANTITY",
        "WORK_OF_ART",
    ],
}

_CAPS_RUN = re.compile(
    r"\b[^\W\d_a-z]{2,}(?:['’-][^\W\d_a-z]+)*(?:[ \t,]+[^\W\d_a-z]{2,}(?:['’-][^\W\d_a-z]+)*)+\b"
)


_CAPS_SPLIT = re.compile(r"([ \t,]+)")


def normalize_case(text: str) -> str:
    """Title-case runs of two or more ALL CAPS words (not abbreviations); same length as the input."""
    if not any(c.isupper() for c in text):
        return text

    def fix(m: re.Match[str]) -> str:
        words = _CAPS_SPLIT.split(m.group(0))
        out = []
        for w in words:
            if w and not w.isspace() and w.strip(", \t") and w.casefold() not in lx.NOT_NAMES:
                t = w.capitalize()
                out.append(t if len(t) == len(w) else w)
            else:
                out.append(w)
        return "".join(out)

    new = _CAPS_RUN.sub(fix, text)
    return new if len(new) == len(text) else text


_BLAS_LIMIT = threading.Lock()  # the limit is process-wide: threads (the TUI's workers) take turns under it


def _new_lock_in_child() -> None:  # a worker forked while another thread held the lock must not inherit it held
    global _BLAS_LIMIT
    _BLAS_LIMIT = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


_BLAS_CONTROL: list[Any] = []  # threadpoolctl's view of the process's BLAS libraries, made once


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS limited to one thread for the NER's matrix products (the scope of the `with`).

    threadpoolctl's `threadpool_limits` looks up the loaded libraries on every call (3.4 ms here, once per
    batch); its controller is made once instead (the first call comes after the NER has imported numpy, whose
    BLAS it must limit) and only sets the thread count per call (20 us). Forked workers inherit it."""
    with _BLAS_LIMIT:
        if not _BLAS_CONTROL:
            from threadpoolctl import ThreadpoolController

            _BLAS_CONTROL.append(ThreadpoolController())
        with _BLAS_CONTROL[0].limit(limits=1, user_api="blas"):
            yield


# Characters the NER takes in one batch. Its arrays grow with the batch's tokens (~135 MB per 100,000
# characters): 256 long texts at once (a 64 MiB record's 100,000-character pieces) needed ~35 GB. More than a
# few long texts per batch keeps spaCy's parser efficient: it steps through a batch's documents together, one
# token of each per step, so a long document alone costs ~8x its share. A batch of 256 ordinary documents
# (~90,000 characters) is not split.
MAX_BATCH_CHARS = 500_000


def text_chunks(texts: list[str], max_docs: int, max_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of `texts`, each of at most `max_docs` texts and `max_chars` characters (a longer text
    alone), in order."""
    chunk: list[str] = []
    chars = 0
    for t in texts:
        if chunk and (len(chunk) >= max_docs or chars + len(t) > max_chars):
            yield chunk
            chunk, chars = [], 0
        chunk.append(t)
        chars += len(t)
    if chunk:
        yield chunk


# spaCy builds the language's default tokenizer (its ~1,300 special cases and affix patterns) and then
# replaces all of it with the pipeline's saved tokenizer (`Tokenizer.from_bytes` resets every setting before
# loading). An empty tokenizer in the first step gives the same tokenizer at half the loading cost.
_DEFERRED_TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "appliance.deferred_tokenizer.v1"}}}


def _register_deferred_tokenizer() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    if "appliance.deferred_tokenizer.v1" not in spacy.registry.tokenizers.get_all():

        @spacy.registry.tokenizers("appliance.deferred_tokenizer.v1")
        def deferred_tokenizer():  # noqa: ANN202
            return lambda nlp: Tokenizer(nlp.vocab)


def _maxout_predict(model: Any, X: Any, is_train: bool) -> tuple[Any, Any]:
    """thinc's Maxout forward when predicting, with the max over the pieces taken by numpy instead of
    `ops.maxout`. Same matrix product on the same arrays, and a max is exact, so the output is bit for bit
    thinc's. `ops.maxout` also builds the arg-max array that only training needs, in a loop that costs
    more than the layer's matrix product (17.7 vs 14.8 ms for 17,000 tokens here; numpy: 7 ms)."""
    from thinc.layers.maxout import forward

    if is_train:
        return forward(model, X, is_train)
    nO, nP, nI = model.get_dim("nO"), model.get_dim("nP"), model.get_dim("nI")
    Y = model.ops.gemm(X, model.ops.reshape2f(model.get_param("W"), nO * nP, nI), trans2=True)
    Y += model.ops.reshape1f(model.get_param("b"), nO * nP)
    Z = model.ops.reshape3f(Y, Y.shape[0], nO, nP)
    xp = model.ops.xp
    best = xp.maximum(Z[:, :, 0], Z[:, :, 1]) if nP > 1 else Z[:, :, 0].copy()
    for p in range(2, nP):
        xp.maximum(best, Z[:, :, p], out=best)
    return best, _no_backprop


def _no_backprop(dY: Any) -> Any:
    raise RuntimeError("the scrubber's NER pipeline is for prediction only")


# What the NER's token embedding block is built of. Each of these computes a token's row from that token's row
# alone (no window over neighbours), so the block's output for a token is a function of its feature ids.
_ROW_WISE_LEAVES = {"extract_features", "list2ragged", "ints-getitem", "hashembed", "maxout", "layernorm", "dropout",
                    "ragged2list"}
_MIN_GEMM_ROWS = 32  # OpenBLAS computes products of up to 4 rows with another kernel (other last bits)


class TokenEmbeddingCache:
    """The forward of the NER's token embedding block (`extract_features >> list2ragged >> with_array(hash
    embeddings) >> with_array(maxout >> layernorm >> dropout) >> ragged2list`) when predicting: each distinct
    row of feature ids is embedded once and kept, up to `max_rows` rows (then the cache starts afresh).

    New rows go through the block's own layers in one matrix product of at least `_MIN_GEMM_ROWS` rows, as
    they did inside the batch's product, so the output is the block's own, bit for bit (a test checks it).
    The block's time per 2,000 documents: ~0.6 s -> ~0.05 s. Used under `one_blas_thread`'s lock only, like
    the rest of the pipeline, so threads never share it at once. Training calls the block's own forward."""

    def __init__(self, block: Any, max_rows: int = 100_000):
        self.original = block._func
        self.features, _, self.embed, self.mix, _ = block.layers
        self.max_rows = max_rows
        self.slots: dict[bytes, int] = {}  # a row of feature ids (its bytes) -> its row in `rows`
        self.rows: Any = None
        self.used = 0

    @staticmethod
    def fits(block: Any) -> bool:
        names = [n.name for n in block.layers]
        leaves = {n.name for n in block.walk() if not n.layers}
        return (
            len(names) == 5
            and names[:2] == ["extract_features", "list2ragged"]
            and names[4] == "ragged2list"
            and leaves <= _ROW_WISE_LEAVES
            and "hashembed" in leaves
            and "numpy" in type(block.ops).__name__.lower()
        )

    def __call__(self, block: Any, docs: Any, is_train: bool) -> tuple[Any, Any]:
        import numpy as np

        if is_train:
            return self.original(block, docs, is_train)
        feats = self.features.predict(docs)
        lengths = np.asarray([len(f) for f in feats], dtype="int32")
        if not lengths.sum():
            return [block.ops.alloc2f(0, self.mix.get_dim("nO")) for _ in feats], _no_backprop
        ids = np.ascontiguousarray(np.concatenate(feats), dtype="uint64")
        keys = ids.view(np.dtype((np.void, ids.shape[1] * ids.itemsize))).ravel()
        distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        distinct = distinct.tolist()  # bytes
        if self.used + len(distinct) > self.max_rows:
            self.slots.clear()
            self.used = 0
        where = [self.slots.get(k, -1) for k in distinct]
        new = [i for i, slot in enumerate(where) if slot < 0]
        if new:
            pick = first[new]
            if len(pick) < _MIN_GEMM_ROWS:
                pick = np.resize(pick, _MIN_GEMM_ROWS)
            out = self.mix.predict(self.embed.predict(ids[pick]))[: len(new)]
            if self.rows is None or self.used + len(new) > len(self.rows):
                need = self.used + len(new)  # more than max_rows only for a batch with more distinct rows
                grown = np.empty((max(need, min(self.max_rows, max(4096, 2 * need))), out.shape[1]), out.dtype)
                if self.rows is not None:
                    grown[: self.used] = self.rows[: self.used]
                self.rows = grown
            self.rows[self.used : self.used + len(new)] = out
            for j, i in enumerate(new):
                where[i] = self.slots[distinct[i]] = self.used + j
            self.used += len(new)
        X = self.rows[np.asarray(where, dtype="int64")[inverse.ravel()]]
        return block.ops.unflatten(X, lengths), _no_backprop


def _model_nodes(nlp: Any) -> Iterator[Any]:
    """Every thinc node of the loaded pipeline's component models."""
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            yield from model.walk()


def _cache_token_embeddings(nlp: Any) -> None:
    """Give the token embedding block of each component's model a `TokenEmbeddingCache`, where it is built
    as `TokenEmbeddingCache` expects (other pipelines keep their own forward)."""
    for node in _model_nodes(nlp):
        if node.name.startswith("extract_features>>") and not isinstance(node._func, TokenEmbeddingCache):
            if TokenEmbeddingCache.fits(node):
                node._func = TokenEmbeddingCache(node)


def _predict_maxout_with_numpy(nlp: Any) -> None:
    """Give every thinc Maxout layer of the loaded pipeline `_maxout_predict` (the scrubber never trains it)."""
    from thinc.layers.maxout import forward

    for node in _model_nodes(nlp):
        if node.name == "maxout" and node._func is forward:
            node._func = _maxout_predict


class PolicyNlpEngine(SpacyNlpEngine):
    def __init__(self, model: str, language: str, components: list[str], case_normalization: bool = True):
        super().__init__(
            models=[{"lang_code": language, "model_name": model}],
            ner_model_configuration=NerModelConfiguration(**NER_CONFIG),
        )
        self.components = list(components)
        self.case_normalization = case_normalization
        self.has_lemmas = "lemmatizer" in components
        self._lex_cache: dict[int, tuple[str, list[str]]] = {}  # lower-form hash -> (form, keywords)

    def load(self) -> None:
        import spacy
        from thinc.api import NumpyOps, get_current_ops, set_current_ops

        _register_deferred_tokenizer()
        self.nlp = {}
        before = get_current_ops()
        set_current_ops(NumpyOps(use_blis=False))  # models keep the ops they were built with
        try:
            for m in self.models:
                exclude = [c for c in KNOWN_COMPONENTS if c not in self.components]
                nlp = spacy.load(m["model_name"], exclude=exclude, config=_DEFERRED_TOKENIZER)
                if nlp.tokenizer.prefix_search is None and not nlp.tokenizer.rules:  # nothing on disk
                    nlp = spacy.load(m["model_name"], exclude=exclude)
                nlp.max_length = 2_000_000
                _predict_maxout_with_numpy(nlp)
                _cache_token_embeddings(nlp)
                self.nlp[m["lang_code"]] = nlp
        finally:
            set_current_ops(before)

    def _prep(self, text: str) -> str:
        """The text the NER reads: same length, so its offsets are the text's. A Windows line break ("\\r\\n")
        is read as " \\n": the NER ran a name on across it ("Maria Okafor\\r\\nend"), never across "\\n"."""
        if "\r\n" in text:
            text = text.replace("\r\n", " \n")
        return normalize_case(text) if self.case_normalization else text

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        with one_blas_thread():
            doc = self.nlp[language](self._prep(text))
        return self._doc_to_nlp_artifact(doc, language)

    def process_batch(self, texts, language, batch_size=1, n_process=1, as_tuples=False):  # noqa: ANN001, ANN201
        texts = [str(t) for t in texts]
        # a chunk's docs are held at once, so long lists stream in chunks, bounded in documents and characters
        for chunk in text_chunks(texts, max(batch_size, 64), MAX_BATCH_CHARS):
            prepped = [self._prep(t) for t in chunk]
            with one_blas_thread():
                docs = list(self.nlp[language].pipe(prepped, batch_size=batch_size, n_process=n_process))
            # the prepared string, not `doc.text`: spaCy's tokenizer is lossless, so they are equal, and
            # `doc.text` rebuilds the string token by token (a Python object per token)
            for text, doc in zip(prepped, docs, strict=True):
                yield text, self._doc_to_nlp_artifact(doc, language)

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        """Presidio's artifacts without a Token object per token: lower-case forms, offsets and the keywords
        (Presidio's `NlpArtifacts.set_keywords`: not a stop word, not punctuation, split at ':') are read from
        one `doc.to_array` and a per-process cache of lexeme facts. Same artifacts as Presidio builds
        (tests compare them)."""
        if self.has_lemmas:
            art = self._presidio_artifact(doc, language)
            art.keyword_set = frozenset(art.keywords)  # type: ignore[attr-defined]
            return art
        from spacy.attrs import IDX, LOWER

        arr = doc.to_array([LOWER, IDX]).tolist() if len(doc) else []
        cache = self._lex_cache
        lemmas, idx, keywords = [], [], []
        for h, i in arr:
            fact = cache.get(h)
            if fact is None:
                low = doc.vocab.strings[h]
                lex = doc.vocab[low]
                kw = [] if (lex.is_stop or lex.is_punct or low in ("-PRON-", "be")) else low.lower().split(":")
                fact = cache[h] = (low, kw)
            lemmas.append(fact[0])
            idx.append(i)
            keywords.extend(fact[1])
        ents = self._get_entities(doc)  # `doc.ents` builds its spans anew on each call: once is enough
        entities, scores = self._get_updated_entities(
            ents, [self.ner_model_configuration.default_score] * len(ents)
        )
        art = NlpArtifacts.__new__(NlpArtifacts)
        art.entities = entities
        art.tokens = doc
        art.lemmas = lemmas
        art.tokens_indices = idx
        art.keywords = keywords
        art.nlp_engine = self
        art.scores = scores if scores else [0.85] * len(entities)
        art.keyword_set = frozenset(keywords)  # type: ignore[attr-defined]
        return art

    def _presidio_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        """The artifacts as Presidio builds them (reference for tests, and the path with a lemmatizer)."""
        lemmas = [t.lemma_ for t in doc] if self.has_lemmas else [t.lower_ for t in doc]
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=lemmas,
            nlp_engine=self,
            language=language,
            scores=scores,
        )


class FastContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's lemma context enhancer, same rules, cheaper token look-up and no deep copy."""

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # noqa: ANN001, ANN201
        recognizers_dict = {r.id: r for r in recognizers}
        context = [w.lower() for w in context] if context else []
        if nlp_artifacts is None or not nlp_artifacts.tokens:
            return raw_results
        idx = nlp_artifacts.tokens_indices
        kw_pos: list[int] | None = None
        kw_low: list[str] = []
        windows: dict[int, tuple[list[str], str]] = {}  # token index -> (window words, the same joined)
        for result in raw_results:
            meta = result.recognition_metadata or {}
            recognizer = recognizers_dict.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context:
                continue
            if meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            if kw_pos is None:  # the tokens that are keywords, in order (once per text)
                keywords = getattr(nlp_artifacts, "keyword_set", None) or set(nlp_artifacts.keywords)
                kw_pos = []
                for j, lemma in enumerate(nlp_artifacts.lemmas):
                    low = lemma.lower()
                    if low in keywords:
                        kw_pos.append(j)
                        kw_low.append(low)
            i = max(0, bisect.bisect_right(idx, result.start) - 1)
            win = windows.get(i)
            if win is None:
                # Presidio's window: up to prefix+1 keywords at or before the token, suffix+1 at or after it
                a = bisect.bisect_right(kw_pos, i)
                b = bisect.bisect_left(kw_pos, i)
                words = list(set(kw_low[max(0, a - self.context_prefix_count - 1) : a])
                             | set(kw_low[b : b + self.context_suffix_count + 1])) + context
                win = windows[i] = (words, "\x00".join(words))
            word = self._supportive_word(win[0], win[1], recognizer.context)
            if word:
                result.score = min(
                    max(
                        result.score + self.context_similarity_factor, self.min_score_with_context_similarity
                    ),
                    ContextAwareEnhancer.MAX_SCORE,
                )
                if result.analysis_explanation is not None:
                    result.analysis_explanation.set_supportive_context_word(word)
                    result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    def _supportive_word(self, words: list[str], joined: str, wanted: list[str]) -> str:
        """Presidio's `_find_supportive_word_in_context`; in its (default) substring mode one search of the
        window's (lower-case) words joined by a separator no context word contains, not a loop over them."""
        if self.context_matching_mode != "substring":
            return self._find_supportive_word_in_context(words, wanted, self.context_matching_mode)
        for c in wanted:
            low = c.lower()
            if "\x00" in low:
                hit = any(low in w for w in words)
            else:
                hit = low in joined and bool(low or words)
            if hit:
                return c
        return ""
