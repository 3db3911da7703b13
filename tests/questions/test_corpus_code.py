"""The code in the corpus runs: every ```python block of every answer, in both languages.

A block is executed as a script in a fresh namespace; its own asserts check what the answer claims,
so an implementation card cannot rot. A block fenced ```python sketch is illustration only (it needs
several GPUs, a launcher or a download) and is skipped. All blocks run in one child process, so
PyTorch is imported once and nothing they print or set leaks into the test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from questions.corpus import CORPUS_DIR, read_corpus

RUNNER = r"""
import contextlib, io, json, sys, traceback
import torch
torch.set_num_threads(1)  # small blocks; threads only contend on a shared machine
failures = []
for name, code in json.load(sys.stdin):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, name, "exec"), {"__name__": "__main__"})
    except BaseException:
        failures.append([name, traceback.format_exc(limit=3)])
    finally:  # global switches one block sets must not reach the next
        torch.use_deterministic_algorithms(False)
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
json.dump(failures, sys.stdout)
"""


def runnable_blocks(text: str) -> list[str]:
    """The bodies of the ```python blocks of a Markdown text (not ```python sketch ones)."""
    blocks, body, fence_info = [], None, ""
    for line in text.splitlines():
        stripped = line.strip()
        if body is None and stripped.startswith("```python"):
            body, fence_info = [], stripped.removeprefix("```python").strip()
        elif body is not None and stripped == "```":
            if fence_info != "sketch":
                blocks.append(textwrap.dedent("\n".join(body)))
            body = None
        elif body is not None:
            body.append(line)
    return blocks


def test_it_finds_the_blocks_of_an_answer_and_skips_sketches():
    text = "Intro.\n\n```python\nx = 1\nassert x == 1\n```\n\n  ```python sketch\n  launch()\n  ```\n"
    assert runnable_blocks(text) == ["x = 1\nassert x == 1"]


def test_it_runs_every_code_block_of_the_corpus_in_both_languages():
    blocks = [(f"{card.id} ({language}) block {number}", code)
              for card in read_corpus(CORPUS_DIR)
              for language in ("en", "zh")
              for number, code in enumerate(runnable_blocks(card.answer[language]), start=1)]
    assert len(blocks) > 100
    child = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(blocks), capture_output=True,
                           text=True, timeout=1200, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    failures = json.loads(child.stdout)
    assert failures == [], "\n\n".join(f"{name}:\n{trace}" for name, trace in failures)
