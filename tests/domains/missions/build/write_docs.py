import json, os
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "excerpts.json"), encoding="utf-8") as f:
    ex = json.load(f)
out = os.path.join(here, "..", "docs")
os.makedirs(out, exist_ok=True)
for name, text in sorted(ex.items()):
    with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(name, len(text))
