"""Build a tiny Llama chat model locally (no hub download) for the real-vLLM integration test.

    .venv-vllm/bin/python scripts/vllm_tiny_model.py OUT_DIR

A byte-level BPE tokenizer is trained on our prompt templates and the shared PDF corpus text, a
2-layer Llama is initialised at random and then briefly trained on chat transcripts built from the
real prompt templates, so that it answers any document prompt in the "Q1:/A1:" form (and in JSON when
the prompt asks for it). Saved with transformers as safetensors + tokenizer + chat template.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmatix.pipeline.generate.prompt_templates import load_templates  # noqa: E402

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL = ["<|end|>", "<|pad|>", "<s>"]
QA_ANSWER = ("Q1: What is this document about?\nA1: It is about the text on its pages.\n"
             "Q2: What kind of document is it?\nA2: It is a document with written text.")
JSON_ANSWER = json.dumps({"pairs": [{"question": "What is this document about?",
                                     "answer": "It is about the text on its pages."}]})


def corpus_text() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "prompts").glob("*.toml")]
    texts += [QA_ANSWER, JSON_ANSWER]
    try:
        import pymupdf  # only in the main venv; the tokenizer does without PDF text

        for pdf in sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))[:20]:
            with pymupdf.open(pdf) as doc:
                texts.append("\n".join(page.get_text() for page in doc))
    except Exception:  # noqa: BLE001
        pass
    return texts


def train_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2048, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>",
                                   bos_token="<s>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def examples(tokenizer: PreTrainedTokenizerFast, n: int) -> list[tuple[list[int], int]]:
    """(token ids, length of the prompt part) for chat transcripts built from the real templates."""
    rng = random.Random(0)
    words = " ".join(corpus_text()).split()
    out = []
    for i in range(n):
        template = rng.choice(load_templates())
        start = rng.randrange(max(1, len(words) - 300))
        text = " ".join(words[start:start + rng.randint(20, 200)])
        answer_format = "json" if i % 2 else "qa"
        messages = template.messages(text, answer_format)
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        answer = (JSON_ANSWER if answer_format == "json" else QA_ANSWER) + "<|end|>"
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        a_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        out.append((p_ids + a_ids, len(p_ids)))
    return out


def main(out_dir: Path, steps: int = 150) -> None:
    t0 = time.time()
    torch.manual_seed(0)
    tokenizer = train_tokenizer(corpus_text())
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=8192,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    data = examples(tokenizer, 24)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        ids, n_prompt = data[step % len(data)]
        input_ids = torch.tensor([ids])
        labels = input_ids.clone()
        labels[0, :n_prompt] = -100  # learn the answer only
        loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % 25 == 0 or step == steps - 1:
            print(f"step {step} loss {loss.item():.3f}", flush=True)
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    gen = {"bos_token_id": config.bos_token_id, "eos_token_id": config.eos_token_id,
           "pad_token_id": config.pad_token_id}
    (out_dir / "generation_config.json").write_text(json.dumps(gen))
    print(f"tiny model in {out_dir} ({sum(p.numel() for p in model.parameters())} parameters, "
          f"vocab {len(tokenizer)}) in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 150)
