"""Evaluation metrics on hand-computed examples, few-shot selection, gates and the release check (fast)."""

import json
import math

import pytest

from appliance.evaluate import metrics as M


def test_classification_metrics_hand_computed():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    m = M.classification_metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # a: tp 2, predicted 2, support 3 → P 1, R 2/3, F1 0.8
    assert m["per_class"]["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    # b: tp 1, predicted 2, support 2 → P .5, R .5, F1 .5 ; c: tp 1, predicted 2, support 1 → P .5, R 1, F1 2/3
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert m["per_class"]["c"]["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m["macro_precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert m["confusion_matrix"]["matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_classification_off_list_prediction_gets_its_own_column():
    m = M.classification_metrics(["x", "y"], ["x", "maybe"], labels=["x", "y"])
    assert m["confusion_matrix"]["columns"] == ["x", "y", "<other>"]
    assert m["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 0, 1]]
    assert m["per_class"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_rouge_hand_computed():
    r = M.rouge("the cat was found under the bed", "the cat was under the bed")
    # unigrams: pred 7, ref 6, overlap 6 → P 6/7, R 1
    assert r["rouge1"]["precision"] == pytest.approx(6 / 7) and r["rouge1"]["recall"] == 1.0
    assert r["rouge1"]["fmeasure"] == pytest.approx(2 * (6 / 7) / (6 / 7 + 1))
    # bigrams: pred 6, ref 5; shared: the cat, cat was, under the, the bed → 4
    assert r["rouge2"]["precision"] == pytest.approx(4 / 6) and r["rouge2"]["recall"] == pytest.approx(4 / 5)
    # LCS = 6 (every reference token in order)
    assert r["rougeL"]["recall"] == 1.0 and r["rougeL"]["precision"] == pytest.approx(6 / 7)
    assert M.rouge("", "abc")["rougeL"]["fmeasure"] == 0.0
    assert M.rouge_tokens("Metformin-500mg, BID!") == ["metformin", "500mg", "bid"]


def test_exact_match_and_token_f1_squad_style():
    assert M.exact_match("The Metformin.", "metformin") == 1.0
    assert M.exact_match("metformin 500", "metformin") == 0.0
    # pred: take metformin daily ; ref: metformin twice daily → common 2, P 2/3, R 2/3
    assert M.token_f1("take metformin daily", "metformin twice daily") == pytest.approx(2 / 3)
    assert M.token_f1("", "") == 1.0 and M.token_f1("x", "") == 0.0
    g = M.generation_metrics(["a b", "c"], ["a b", "d"])
    assert g["exact_match"] == 0.5 and g["token_f1"] == 0.5


def test_memorization_helpers():
    assert M.longest_common_substring("xxhello worldyy", "say hello world!") == len("hello world")
    assert M.longest_common_substring("", "a") == 0
    assert M.exposure(1, 32) == pytest.approx(5.0) and M.exposure(32, 32) == 0.0
    assert M.lcs_length("abcde", "ace") == 3
    assert M.perplexity(math.log(7)) == pytest.approx(7.0)
    assert M.higher_is_better("token_f1") and not M.higher_is_better("perplexity")
    with pytest.raises(ValueError):
        M.higher_is_better("bleu")


def test_few_shot_never_uses_evaluation_examples():
    from appliance.evaluate.fewshot import few_shot_messages, select_shots

    train = [{"id": f"t{i}", "prompt": f"q{i}", "response": f"a{i}"} for i in range(20)]
    evals = [{"id": "t3", "prompt": "other", "response": "x"},  # same id as a training record
             {"id": "e1", "prompt": "Q5 ", "response": "y"},  # same prompt as t5 (normalized)
             {"id": "e2", "prompt": "z", "response": "a7"}]  # same response as t7  # fmt: skip
    for seed in range(25):
        shots = select_shots(train, evals, 4, seed)
        assert len(shots) == 4
        assert not {s["id"] for s in shots} & {"t3", "t5", "t7"}
    assert select_shots(train[:2], evals, 5) and len(select_shots(train[:2], evals, 5)) == 2
    msgs = few_shot_messages(evals[1], select_shots(train, evals, 2, 0), "sys")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[-1]["content"] == "Q5 "


def test_few_shot_encoding_truncates_the_prompt_not_the_target(tiny_model_dir):
    from transformers import AutoTokenizer

    from appliance.evaluate.fewshot import encode_prompt_target

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    msgs = [{"role": "user", "content": "word " * 300}]
    ex = encode_prompt_target(tok, msgs, "the answer is metformin", 64, "r1")
    assert ex.truncated and len(ex.input_ids) <= 64
    target = [t for t in ex.labels if t != -100]
    assert tok.decode(target).startswith("the answer is metformin")


def _report(**over):
    rep = {
        "run": "run-x",
        "run_manifest_sha256": "abc",
        "metrics": {"base": {"loss": 2.0, "perplexity": 7.39}, "tuned": {"loss": 1.5, "perplexity": 4.48}},
        "baselines": {"systems": {
            "base_zero_shot": {"loss": 2.1, "perplexity": 8.2, "token_f1": 0.20, "rougeL": 0.2},
            "base_few_shot": {"loss": 1.9, "perplexity": 6.7, "token_f1": 0.35, "rougeL": 0.3},
            "tuned": {"loss": 1.6, "perplexity": 5.0, "token_f1": 0.30, "rougeL": 0.3}}},
        "leakage": {"canaries": {"emissions": 0, "max_exposure": 2.0},
                    "identifiers": {"per_1k_tokens": 3.0}, "regurgitation": {"max_lcs_chars": 40}},
    }  # fmt: skip
    for k, v in over.items():
        rep[k] = v
    return rep


def _gates(**kw):
    from appliance.policy import Gates

    return Gates.model_validate(kw)


def test_gates_report_every_rule_with_value_and_threshold():
    from appliance.evaluate import check_gates

    g = _gates(min={"token_f1": 0.25}, max={"perplexity": 10}, max_regression={"perplexity": 0.0, "token_f1": 0.0},
               max_canary_emissions=0, max_identifiers_per_1k_tokens=5, max_verbatim_chars=80)  # fmt: skip
    v = check_gates(_report(), g, {"name": "p"})
    assert v["passed"], v
    rules = {(r["rule"], r["metric"]): r for r in v["rules"]}
    assert rules[("max", "perplexity")]["value"] == 4.48 and rules[("max", "perplexity")]["threshold"] == 10
    assert rules[("max_regression", "perplexity")]["value"] == pytest.approx(4.48 - 7.39)
    assert rules[("max_regression", "token_f1")]["value"] == pytest.approx(0.20 - 0.30)
    assert rules[("max_identifiers_per_1k_tokens", "identifiers_per_1k_tokens")]["value"] == 3.0
    # against the few-shot baseline the tuned model is worse at token F1 (0.30 < 0.35): regression fails
    v = check_gates(_report(), _gates(baseline="base_few_shot", max_regression={"token_f1": 0.0}))
    assert not v["passed"] and v["failed"] == ["max_regression:token_f1"]


def test_gates_fail_closed():
    from appliance.evaluate import check_gates

    rep = _report(leakage={"identifiers": {"per_1k_tokens": 9.0}})
    v = check_gates(rep, _gates(max_canary_emissions=0, max_identifiers_per_1k_tokens=5))
    assert not v["passed"]
    assert set(v["failed"]) == {"max_canary_emissions:canary_emissions", "max_identifiers_per_1k_tokens:identifiers_per_1k_tokens"}
    assert [r for r in v["rules"] if r["metric"] == "canary_emissions"][0]["note"] == "not measured"
    assert not check_gates(_report(), None)["passed"]  # a policy without gates never passes a run
    emitted = _report(leakage={**_report()["leakage"], "canaries": {"emissions": 1, "max_exposure": 5.0}})
    assert check_gates(emitted, _gates())["failed"] == ["max_canary_emissions:canary_emissions"]
    from appliance.errors import BadInput

    with pytest.raises(BadInput):
        check_gates(_report(), _gates(min={"bleu": 0.1}))


def test_policies_carry_gates():
    from appliance.policy import load_policy

    for name in ("hipaa", "gdpr", "pci"):
        g = load_policy(name).policy.gates
        assert g is not None and g.max_canary_emissions == 0 and g.max_regression.get("perplexity") == 0.0


def test_release_check_refuses_without_passing_verdict_unless_overridden(tmp_path):
    from appliance.errors import ApplianceError, BadInput
    from appliance.evaluate import release_check
    from appliance.workspace import Artifact

    (tmp_path / "manifest.json").write_text("{}")
    run = Artifact("run", "run-1", tmp_path, {})
    with pytest.raises(ApplianceError, match="no gate verdict"):
        release_check(run)
    (tmp_path / "eval").mkdir()
    verdict = {"passed": False, "run_manifest_sha256": run.manifest_sha256, "failed": ["max:perplexity"],
               "rules": [{"rule": "max", "metric": "perplexity", "value": 12.0, "op": "<=", "threshold": 10.0,
                          "passed": False}], "policy": {"name": "hipaa"}}  # fmt: skip
    (tmp_path / "eval" / "verdict.json").write_text(json.dumps(verdict))
    with pytest.raises(ApplianceError, match="failed its release gates.*perplexity: 12 <= 10"):
        release_check(run)
    with pytest.raises(BadInput):
        release_check(run, "ok")
    res = release_check(run, "signed off by the clinical safety officer")
    assert res["override"] and not res["passed"]
    verdict["passed"] = True
    (tmp_path / "eval" / "verdict.json").write_text(json.dumps(verdict))
    assert release_check(run)["passed"]
    verdict["run_manifest_sha256"] = "other"
    (tmp_path / "eval" / "verdict.json").write_text(json.dumps(verdict))
    with pytest.raises(ApplianceError, match="different run manifest"):
        release_check(run)


def test_cached_candidate_scoring_and_per_example_losses_match_the_plain_computation(tiny_model_dir, sample_records):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from appliance.data import encode_chat_example
    from appliance.evaluate.generation import (
        continuation_logprobs,
        continuation_logprobs_full,
        example_losses,
        generate,
        pooled_loss,
    )
    from appliance.train import mean_loss

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    prefix = "<|im_start|>user\nWhich code?<|im_end|>\n<|im_start|>assistant\nThe code is "
    cands = ["1234-5678", "9999-0000", "31-4159", "0000-0001"]
    fast = continuation_logprobs(model, tok, prefix, cands, "cpu", batch_size=3)
    assert fast == pytest.approx(continuation_logprobs_full(model, tok, prefix, cands, "cpu"), abs=1e-4)
    recs = [{"id": r["id"], "prompt": r["instruction"], "response": r["response"]} for r in sample_records[:5]]
    exs = [encode_chat_example(tok, r, 128) for r in recs]
    parts = example_losses(model, exs, tok.pad_token_id, 2, "cpu")
    assert pooled_loss(parts) == pytest.approx(mean_loss(model, exs, tok.pad_token_id, 2, "cpu"), rel=1e-5)
    outs = generate(model, tok, [prefix, prefix + "12"], 5, "cpu", batch_size=2)
    single = generate(model, tok, [prefix + "12"], 5, "cpu")
    assert outs[1] == single[0] and all(0 <= n <= 5 for _, n in outs)  # left padding does not change greedy output


def test_shared_prefix_paths_match_the_plain_ones(tiny_model_dir, sample_records):
    """Few-shot prompts share their shots: running them once (KV cache) must not change losses or outputs."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from appliance.evaluate.fewshot import encode_prompt_target, few_shot_messages, render_messages
    from appliance.evaluate.generation import (
        example_losses,
        generate,
        generate_shared_prefix,
        prefix_example_losses,
    )

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    recs = [{"id": r["id"], "prompt": r["instruction"][: 40 + 17 * i], "response": r["response"][:80]}
            for i, r in enumerate(sample_records[:5])]  # fmt: skip
    shots, evals = recs[:2], recs[2:]
    msgs = [few_shot_messages(r, shots, "sys") for r in evals]
    exs = [encode_prompt_target(tok, m, r["response"], 512, r["id"]) for m, r in zip(msgs, evals, strict=True)]
    fast = prefix_example_losses(model, exs, tok.pad_token_id, 2, "cpu")
    plain = example_losses(model, exs, tok.pad_token_id, 2, "cpu")
    assert [c for _, c in fast] == [c for _, c in plain]
    assert [s for s, _ in fast] == pytest.approx([s for s, _ in plain], rel=1e-4)
    prompts = [render_messages(tok, m) for m in msgs]
    shared = generate_shared_prefix(model, tok, prompts, 10, "cpu", batch_size=2)
    assert shared == [generate(model, tok, [p], 10, "cpu")[0] for p in prompts]
