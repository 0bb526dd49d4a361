"""Build the tiny local model that ``scale=tiny`` trains: offline, deterministic, cached.

A ~1.7 M-parameter Qwen3-architecture causal LM with a byte-level BPE tokenizer
trained here on a generated English corpus, plus a chat template. A short supervised
warm-up (``TinySpec.warmup_steps``, a plain torch loop on chat-formatted prompt ->
response pairs drawn from the same generator, :func:`chat_pairs`) makes it write
word-like sentences instead of random tokens, so GRPO has something to reshape. Qwen3, not
Qwen2: transformers forces Qwen2's own tokenizer class, which ignores a locally
trained tokenizer. Made once into ``<cache_dir>/tiny-<spec hash>`` and reused. The default spec's
build is shipped in ``harness/models/shipped/`` (6.5 MB): a first run copies it instead of spending
a minute building it, and a test checks that it equals a fresh build byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
SHIPPED = Path(__file__).resolve().parent / "shipped"  # the default spec's build, committed


@dataclass(frozen=True)
class TinySpec:
    vocab_size: int = 1024
    hidden_size: int = 192
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    num_key_value_heads: int = 2
    head_dim: int = 32
    intermediate_size: int = 512
    max_position_embeddings: int = 512
    seed: int = 0
    corpus_sentences: int = 1200
    # supervised warm-up on chat-formatted prompt -> response pairs from the corpus (0 = random init)
    warmup_steps: int = 250
    warmup_batch_size: int = 16
    warmup_lr: float = 3e-3
    warmup_pairs: int = 4000
    version: int = 3  # bump when the corpus or warm-up generator changes (part of the cache key)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


_SUBJECTS = ["the cat", "a river", "my friend", "the city", "the garden", "a small robot", "the teacher",
             "our team", "the ocean", "a good book", "the weather", "the market", "a young bird", "the music"]
_VERBS = ["likes", "finds", "shows", "helps", "makes", "keeps", "brings", "sees", "needs", "gives"]
_OBJECTS = ["a quiet morning", "fresh water", "the answer", "bright colors", "a simple plan", "warm bread",
            "the best route", "clear rules", "new ideas", "a short story", "three apples", "the old map"]
_ENDINGS = ["today", "every day", "in the summer", "at night", "with care", "for everyone", "again", "now"]
_OPENERS = ["Sure.", "Here is a short answer.", "Yes.", "Of course.", "Thanks for asking.", "Good question."]


def corpus(n_sentences: int, seed: int) -> list[str]:
    """A deterministic English-like corpus; enough structure for BPE merges and a warm-up."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_sentences):
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_ENDINGS)}."
        if rng.random() < 0.3:
            s = f"{rng.choice(_OPENERS)} {s[0].upper()}{s[1:]}"
        if rng.random() < 0.15:
            s = f"- {s}"
        lines.append(s)
    return lines


_TOPICS = ["the cat", "a river", "the city", "the garden", "a small robot", "the ocean", "a good book",
           "the weather", "the market", "a young bird", "the music", "the teacher", "my friend", "our team"]
_ASKS = ["Write one short sentence about {t}.", "Describe {t} briefly.", "Tell me something about {t}.",
         "What do you think of {t}?", "Say a few words about {t}.", "Give a short answer about {t}.",
         "Explain {t} to a child.", "Write a note about {t}."]
_WARM_OPENERS = ["Sure.", "Sure!", "Yes.", "Of course.", "Good question.", "Okay."]
_BECAUSE = ["because it is kind", "because it is calm", "because it helps", "because it is good"]


def _sentence(rng: random.Random, subject: str) -> str:
    s = f"{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    r = rng.random()
    if r < 0.12:
        s += f" {rng.choice(_BECAUSE)}"
    elif r < 0.30:
        s += f", and {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    elif r < 0.75:
        s += f" {rng.choice(_ENDINGS)}"
    return s[0].upper() + s[1:] + ("!" if rng.random() < 0.15 else ".")


def chat_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    """Deterministic (prompt, response) pairs for the warm-up: varied length, openers, lists,
    endings, and a response about the prompt's topic about half the time. Every surface
    feature the toy rubrics check appears at some base rate; none is tied to the prompt."""
    rng = random.Random(seed + 7)
    out = []
    for _ in range(n):
        topic = rng.choice(_TOPICS)
        prompt = rng.choice(_ASKS).format(t=topic)
        n_sent = rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
        subjects = [topic if rng.random() < 0.5 else rng.choice(_SUBJECTS) for _ in range(n_sent)]
        sents = [_sentence(rng, s) for s in subjects]
        if rng.random() < 0.15:
            body = "\n".join(f"- {x}" for x in sents)
        else:
            body = " ".join(sents)
        if rng.random() < 0.4:
            body = f"{rng.choice(_WARM_OPENERS)} {body}"
        out.append((prompt, body))
    return out


def _warmup(model, tok, spec: TinySpec) -> None:
    """Plain next-token training on the responses of chat-formatted pairs (prompt tokens masked)."""
    import torch

    pairs = chat_pairs(spec.warmup_pairs, spec.seed)
    seqs = []
    for prompt, response in pairs:
        head = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                       add_generation_prompt=True)
        h = tok(head, add_special_tokens=False)["input_ids"]
        r = tok(response + "<|im_end|>", add_special_tokens=False)["input_ids"]
        seqs.append((h + r, [-100] * len(h) + r))
    gen = torch.Generator().manual_seed(spec.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.warmup_lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / 20) * max(0.05, 1.0 - i / max(1, spec.warmup_steps)))
    model.train()
    for _ in range(spec.warmup_steps):
        idx = torch.randint(len(seqs), (spec.warmup_batch_size,), generator=gen).tolist()
        width = max(len(seqs[i][0]) for i in idx)
        ids = torch.full((len(idx), width), tok.pad_token_id, dtype=torch.long)
        labels = torch.full((len(idx), width), -100, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):  # right padding for training
            x, y = seqs[i]
            ids[row, : len(x)] = torch.tensor(x)
            labels[row, : len(y)] = torch.tensor(y)
            mask[row, : len(x)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
    model.eval()


def _build(spec: TinySpec, out: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    text = corpus(spec.corpus_sentences, spec.seed)
    text += [f"{p}\n{r}" for p, r in chat_pairs(400, spec.seed)]  # the warm-up's prompts and lists too
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size, special_tokens=SPECIALS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(text, trainer=trainer)
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|pad|>", bos_token=None,
        unk_token=None, padding_side="left", chat_template=CHAT_TEMPLATE,
    )
    hf_tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|endoftext|>"]})
    torch.manual_seed(spec.seed)
    config = Qwen3Config(
        vocab_size=len(hf_tok), hidden_size=spec.hidden_size, num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads, num_key_value_heads=spec.num_key_value_heads,
        head_dim=spec.head_dim, intermediate_size=spec.intermediate_size,
        max_position_embeddings=spec.max_position_embeddings, tie_word_embeddings=True,
        eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id, bos_token_id=None,
    )
    model = Qwen3ForCausalLM(config)
    if spec.warmup_steps > 0:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one thread: the same reduction order (so the same weights) on any machine
        try:
            _warmup(model, hf_tok, spec)
        finally:
            torch.set_num_threads(threads)
    model.generation_config.eos_token_id = hf_tok.eos_token_id
    model.generation_config.pad_token_id = hf_tok.pad_token_id
    model.save_pretrained(out)
    hf_tok.save_pretrained(out)
    (out / "tiny_spec.json").write_text(json.dumps(asdict(spec), indent=2))


def shipped(spec: TinySpec | None = None) -> Path:
    """Where the repository ships the default spec's build (``python -m harness.models.tiny --ship``)."""
    return SHIPPED / f"tiny-{(spec or TinySpec()).digest()}"


def build_tiny(cache_dir: str | Path, spec: TinySpec | None = None, use_shipped: bool = True) -> Path:
    """Return the folder of the tiny model in ``cache_dir``, made once (process-safe) if missing: a
    copy of the shipped build when the repository has one for this spec (a first run then skips the
    build's minute), else built here. ``use_shipped=False`` always builds (the test that the shipped
    files equal a fresh build)."""
    spec = spec or TinySpec()
    root = Path(cache_dir).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"tiny-{spec.digest()}"
    with FileLock(str(final) + ".lock"):
        if (final / "tiny_spec.json").exists():
            return final
        tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=root))
        try:
            if use_shipped and (shipped(spec) / "tiny_spec.json").is_file():
                shutil.copytree(shipped(spec), tmp, dirs_exist_ok=True)
            else:
                _build(spec, tmp)
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def ship(spec: TinySpec | None = None) -> Path:
    """Build the spec's model afresh into the repository's shipped folder (replacing an older build)."""
    spec = spec or TinySpec()
    for old in SHIPPED.glob("tiny-*"):
        shutil.rmtree(old)
    with tempfile.TemporaryDirectory() as tmp:
        return Path(shutil.copytree(build_tiny(tmp, spec, use_shipped=False), shipped(spec)))


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--ship"]:
        print(ship())
    else:
        print(build_tiny(sys.argv[1] if len(sys.argv) > 1 else Path.home() / ".cache" / "focal-harness"))
