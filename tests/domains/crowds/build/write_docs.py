import json, os
base = "/tmp/heldout/crowds"
items = json.load(open(os.path.join(base, "build/excerpts.json"), encoding="utf-8"))
os.makedirs(os.path.join(base, "docs"), exist_ok=True)
for it in items:
    with open(os.path.join(base, "docs", it["file"] + ".txt"), "w", encoding="utf-8", newline="") as f:
        f.write(it["excerpt"])
    print(it["file"], len(it["excerpt"]))
