#!/usr/bin/env python3
"""Splits the labelled items into train.jsonl and test.jsonl by story, as ../shared/eval's rule
does: key = story if present, else link; an item goes to test when the first hex digit of
sha1(key) is c, d, e or f (about a quarter), to train otherwise. Near-duplicates share a story,
so no syndicated copy is on both sides. Checks on the way: no link twice, no link whose sha1 is
in the held-out list, every field present.

    python3 data/labelled/split.py            (from the project root; reads data/labelled/{en,ru,zh}.jsonl)
"""
import hashlib, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
held_out_path = os.path.join(here, "..", "..", "..", "shared", "eval", "held-out-sha1.txt")
held_out = set(open(held_out_path).read().split()) if os.path.exists(held_out_path) else set()
fields = ["id", "title", "summary", "link", "published", "label", "category", "event", "title_source", "note", "text_origin", "language"]

items, links = [], set()
for name in ("en", "ru", "zh"):
    for number, line in enumerate(open(os.path.join(here, name + ".jsonl")), 1):
        item = json.loads(line)
        missing = [f for f in fields if f not in item]
        assert not missing, f"{name}.jsonl:{number}: missing {missing}"
        assert item["label"] in ("drill", "other"), f"{name}.jsonl:{number}: label {item['label']}"
        assert item["link"] not in links, f"{name}.jsonl:{number}: link twice: {item['link']}"
        assert hashlib.sha1(item["link"].encode()).hexdigest() not in held_out, f"{name}.jsonl:{number}: a held-out page"
        links.add(item["link"])
        items.append(item)

def side(item):
    key = item.get("story") or item["link"]
    return "test" if hashlib.sha1(key.encode()).hexdigest()[0] in "cdef" else "train"

for split in ("train", "test"):
    chosen = [i for i in items if side(i) == split]
    with open(os.path.join(here, split + ".jsonl"), "w") as out:
        for item in chosen:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    by = lambda key: {v: sum(1 for i in chosen if i[key] == v) for v in sorted({i[key] for i in chosen})}
    print(f"{split}: {len(chosen)} items; labels {by('label')}; languages {by('language')}")
