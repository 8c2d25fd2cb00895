"""Train a character-level recurrent network with `lax.scan`.

The text is the Python source of the standard library's `argparse` module
(about 100,000 characters), so every Python install has it and nothing is
downloaded. A tanh recurrent network reads it one character at a time and
learns to predict the next.
The loop over the characters of a chunk is one `funcgrad.lax.scan`: its
body is traced once, however long the chunk, and `fg.value_and_grad` of
the loss runs a reversed scan over the values the forward scan saved
(backpropagation through time). The hidden state is carried from one
chunk to the next but not differentiated through it (truncated BPTT).
Sampling is a second scan, whose carry holds the last character drawn.

    python examples/char_rnn.py                 # about 8 s
    python examples/char_rnn.py --module textwrap
    python examples/char_rnn.py --steps 2000 --hidden 256
    python examples/char_rnn.py --plot loss.png  # save the loss curve

The script exits with status 1 when the loss on the held-out end of the
text is not below that of the best model that ignores context (the
character frequencies of the training part), so it doubles as an
end-to-end check of `scan` under `jit` and `grad`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import sys
import time
from typing import Any, NamedTuple

import numpy as np

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.nn import log_softmax
from funcgrad.tree_util import tree_leaves, tree_map

Params = dict[str, np.ndarray]


# --- data ---------------------------------------------------------------------


class Corpus(NamedTuple):
    chars: str  # the vocabulary: character k has id k
    train: np.ndarray  # character ids
    test: np.ndarray


def load_corpus(module: str, test_fraction: float) -> Corpus:
    """The source of a module as ids, its last part held out."""
    text = inspect.getsource(importlib.import_module(module))
    chars = "".join(sorted(set(text)))
    ids = encode(chars, text)
    split = int(len(ids) * (1 - test_fraction))
    return Corpus(chars, ids[:split], ids[split:])


def encode(chars: str, text: str) -> np.ndarray:
    ids = {c: i for i, c in enumerate(chars)}
    missing = sorted(set(text) - ids.keys())
    if missing:
        raise SystemExit(f"error: the characters {missing} are not in the text")
    return np.array([ids[c] for c in text])


def chunks(ids: np.ndarray, batch_size: int, length: int) -> list[tuple[Any, Any]]:
    """Inputs and next-character targets, each `(length, batch_size)`.

    The text is cut into `batch_size` contiguous streams read side by
    side, so chunk `k + 1` of each stream continues chunk `k` and the
    hidden state can be carried across.
    """
    per_stream = len(ids) // batch_size
    streams = ids[: per_stream * batch_size].reshape(batch_size, per_stream)
    return [
        (streams[:, i : i + length].T, streams[:, i + 1 : i + length + 1].T)
        for i in range(0, per_stream - length, length)
    ]


def unigram_loss(train: np.ndarray, test: np.ndarray, vocab: int) -> float:
    """Cross-entropy on `test` of the training character frequencies (add-one
    smoothed): the best a model can do without looking at context."""
    counts = np.bincount(train, minlength=vocab) + 1.0
    return float(-np.mean(np.log(counts / counts.sum())[test]))


# --- model --------------------------------------------------------------------


def init_params(vocab: int, hidden: int, rng: np.random.Generator) -> Params:
    return {
        "embed": rng.normal(size=(vocab, hidden)) * 0.1,
        "w_hh": rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
        "b_h": np.zeros(hidden),
        "w_out": rng.normal(size=(hidden, vocab)) / np.sqrt(hidden),
        "b_out": np.zeros(vocab),
    }


def cell(params: Params, h: Any, char: Any) -> Any:
    """One step of the network: the next hidden state. `h` is `(hidden,)`
    and `char` a scalar id, or both carry a leading batch axis."""
    return fnp.tanh(params["embed"][char] + h @ params["w_hh"] + params["b_h"])


def readout(params: Params, h: Any) -> Any:
    return h @ params["w_out"] + params["b_out"]


def loss(params: Params, h: Any, inputs: Any, targets: Any) -> tuple[Any, Any]:
    """Mean next-character cross-entropy over a chunk, and the last hidden
    state (returned as auxiliary data, so it is not differentiated)."""

    def step(h: Any, chars: tuple[Any, Any]) -> tuple[Any, Any]:
        char, target = chars
        h = cell(params, h, char)
        log_probs = log_softmax(readout(params, h))
        nll = -fnp.take_along_axis(log_probs, target[..., None], axis=-1)
        return h, fnp.mean(nll)

    h, nlls = lax.scan(step, h, (inputs, targets))
    return fnp.mean(nlls), h


def sample(params: Params, prompt: Any, noise: Any, temperature: float) -> Any:
    """Feed `prompt` (ids), then draw one character per row of `noise`.

    Each draw is `argmax(logits / temperature + g)` with `g` standard
    Gumbel noise, an exact sample from the softmax; so the random numbers
    come in as `xs` and the loop is a scan.
    """
    h = fnp.zeros(params["b_h"].shape)

    def feed(h: Any, char: Any) -> tuple[Any, None]:
        return cell(params, h, char), None

    h, _ = lax.scan(feed, h, prompt[:-1])

    def draw(carry: tuple[Any, Any], g: Any) -> tuple[Any, Any]:
        h, char = carry
        h = cell(params, h, char)
        char = fnp.argmax(readout(params, h) / temperature + g)
        return (h, char), char

    _, drawn = lax.scan(draw, (h, prompt[-1]), noise)
    return drawn


# --- optimiser ----------------------------------------------------------------


class AdamState(NamedTuple):
    step: int
    mean: Params
    var: Params


def adam_update(
    params: Params, grads: Params, state: AdamState, lr: float, clip: float
) -> tuple[Params, AdamState]:
    """Adam (b1 0.9, b2 0.999) on gradients clipped to global norm `clip`,
    which keeps the rare exploding step of a recurrent network bounded."""
    norm = np.sqrt(sum(np.sum(g * g) for g in tree_leaves(grads)))
    grads = tree_map(lambda g: g * min(1.0, clip / (norm + 1e-12)), grads)

    step = state.step + 1
    mean = tree_map(lambda m, g: 0.9 * m + 0.1 * g, state.mean, grads)
    var = tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, state.var, grads)
    lr_t = lr * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)

    def update(p: np.ndarray, m: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p - lr_t * m / (np.sqrt(v) + 1e-8)

    return tree_map(update, params, mean, var), AdamState(step, mean, var)


# --- training -----------------------------------------------------------------


def save_plot(
    path: str,
    losses: list[float],
    curve: list[tuple[int, float]],
    held_out: float,
    baseline: float,
    vocab: int,
) -> None:
    """The training loss of each step and its logged means, beside the
    held-out loss and the losses of two context-free models, as an image at
    `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, means = zip(*curve)
    fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
    every = np.arange(1, len(losses) + 1)
    ax.plot(every, losses, color="#3b6ea5", lw=0.6, alpha=0.4, label="training chunk")
    ax.plot(steps, means, "o-", color="#3b6ea5", ms=3, label="training (logged mean)")
    ax.plot(steps[-1], held_out, "D", color="#c4661f", label="held out, at the end")
    ax.axhline(baseline, color="#888888", ls="--", lw=1, label="character frequencies")
    ax.axhline(np.log(vocab), color="#888888", ls=":", lw=1, label="uniform")
    ax.set(xlabel="step", ylabel="nats per character", title="char RNN, lax.scan")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="argparse", help="its source is the text")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seq-length", type=int, default=32, help="BPTT chunk")
    parser.add_argument("--batch-size", type=int, default=16, help="streams")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam step size")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm")
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--prompt", default="def ")
    parser.add_argument("--sample-length", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--plot", metavar="PATH", help="save the loss curve to PATH (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    if not args.prompt:
        parser.error("--prompt needs at least one character")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install matplotlib")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    corpus = load_corpus(args.module, args.test_fraction)
    vocab = len(corpus.chars)
    prompt = encode(corpus.chars, args.prompt)
    batches = chunks(corpus.train, args.batch_size, args.seq_length)
    params = init_params(vocab, args.hidden, rng)
    print(
        f"{args.module}: {len(corpus.train):,} training and {len(corpus.test):,} "
        f"held-out characters, {vocab} distinct; tanh RNN with {args.hidden} "
        f"hidden units, {len(batches)} chunks of {args.batch_size}x"
        f"{args.seq_length} per pass"
    )

    loss_and_grad = fg.jit(fg.value_and_grad(loss, has_aux=True))
    zeros = tree_map(np.zeros_like, params)
    state = AdamState(0, zeros, zeros)
    h = np.zeros((args.batch_size, args.hidden))
    logged: list[float] = []
    curve: list[tuple[int, float]] = []
    losses: list[float] = []
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        k = (step - 1) % len(batches)
        if k == 0:  # each pass over the text starts from a blank state
            h = np.zeros_like(h)
        (value, h), grads = loss_and_grad(params, h, *batches[k])
        params, state = adam_update(params, grads, state, args.lr, args.clip)
        logged.append(float(value))
        losses.append(float(value))
        if step % args.log_every == 0 or step == args.steps:
            print(f"step {step:5d}  loss {np.mean(logged):.4f}")
            curve.append((step, float(np.mean(logged))))
            logged = []
    elapsed = time.perf_counter() - start
    print(f"trained {args.steps} steps in {elapsed:.1f} s")

    # The held-out text is one stream, read in a single scan.
    test_loss, _ = fg.jit(loss)(
        params,
        np.zeros((1, args.hidden)),
        corpus.test[:-1, None],
        corpus.test[1:, None],
    )
    baseline = unigram_loss(corpus.train, corpus.test, vocab)
    print(
        f"held-out loss {float(test_loss):.4f} nats/char "
        f"(character frequencies {baseline:.4f}, uniform {np.log(vocab):.4f})"
    )
    if args.plot and curve:
        save_plot(args.plot, losses, curve, float(test_loss), baseline, vocab)

    noise = rng.gumbel(size=(args.sample_length, vocab))
    drawn = fg.jit(sample)(params, prompt, noise, args.temperature)
    print("sample:")
    print(args.prompt + "".join(corpus.chars[i] for i in drawn))

    if not float(test_loss) < baseline:
        print(
            f"error: held-out loss {float(test_loss):.4f} is not below the "
            f"{baseline:.4f} of the character frequencies alone",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
