"""Real news: the default model on the May 2020 hold-out and on unrelated channels.

    python benchmarks/real_news.py [--model FILE]

Prints (1) the May 2020 hold-out recorded in the shipped model card (trained on the
authored corpus and the labelled real articles of February 2019, January and February
2020; see ``newsclass.default_model.train_default``), and (2) how often headlines of
channels that have none of our topics are pulled into a topic by the shipped default
model: the NLPCC 2017 headlines of sports, entertainment, game, fashion, food, travel,
car, baby, story, essay, regimen, military and history, and the THUCNews test titles of
sports, entertainment, game, realty, stocks and finance (``../shared/bench``). Also the
four short texts that must come out ``other``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import newsclass

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
UNRELATED = {
    "nlpcc2017_headlines/headlines.jsonl": {
        "sports", "entertainment", "game", "fashion", "food", "travel", "car", "baby",
        "story", "essay", "regimen", "military", "history"},
    "thucnews_titles/test.jsonl": {"sports", "entertainment", "game", "realty", "stocks",
                                   "finance"},
}
SHORT = ["湘菜的代表菜品", "老股民的建议", "哥伦比亚美洲杯23人大名单", "学会做素食拌面酱"]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model file (default: the bundled model)")
    path = parser.parse_args().model
    model = newsclass.load_model(path)
    from newsclass.info import model_info

    card = model_info(path)
    print(card[card.index("  holdout_may_2020"):] if "holdout_may_2020" in card else card)
    print("\nUnrelated-channel headlines pulled into a topic (default model)")
    print(f"{'set':<34}{'channel':<15}{'n':>7}{'topic':>9}{'p>=0.9':>9}")
    for name, channels in UNRELATED.items():
        rows = [json.loads(line) for line in (BENCH / name).read_text().splitlines()]
        rows = [r for r in rows if r["label"] in channels]
        top = model.predict_top([r["text"] for r in rows], k=1)
        pulled, sure = Counter(), Counter()
        for r, ((label, p),) in zip(rows, top, strict=True):
            if label != "other":
                pulled[r["label"]] += 1
                sure[r["label"]] += p >= 0.9
        count = Counter(r["label"] for r in rows)
        for ch in sorted(count):
            print(f"{name.split('/')[0]:<34}{ch:<15}{count[ch]:>7}"
                  f"{pulled[ch] / count[ch]:>9.2%}{sure[ch] / count[ch]:>9.2%}")
        n = len(rows)
        print(f"{name.split('/')[0]:<34}{'ALL':<15}{n:>7}{sum(pulled.values()) / n:>9.2%}"
              f"{sum(sure.values()) / n:>9.2%}")
    print("\nShort texts that must be other:")
    for text, ((label, p), _) in zip(SHORT, model.predict_top(SHORT, k=2), strict=True):
        print(f"  {text}: {label} {p:.3f}")


if __name__ == "__main__":
    main()
