# The Python side of bench/extract.ts: main-content extraction of the same decoded pages with trafilatura
# (trafilatura.extract, default settings) and resiliparse (extract_plain_text(main_content=True)).
#   python bench/extract_anchor.py PAGES.jsonl OUT_PREFIX REPEATS
# PAGES.jsonl has lines {"id","html"}. Writes OUT_PREFIX.<tool>.jsonl (lines {"id","text"}) and prints
# {"<tool>": {"pages", "seconds"}} where seconds is the best of REPEATS passes, timed around the extract
# call only (one page at a time, this process, one core).
import json, sys, time, warnings

warnings.filterwarnings('ignore')
import logging
logging.disable(logging.CRITICAL)

pages_path, prefix, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages = [json.loads(l) for l in open(pages_path, encoding='utf-8') if l.strip()]

import trafilatura
from resiliparse.extract.html2text import extract_plain_text

tools = {
    'trafilatura': lambda html: trafilatura.extract(html),
    'resiliparse': lambda html: extract_plain_text(html, main_content=True),
}
result = {}
for name, fn in tools.items():
    texts = {}
    best = float('inf')
    for rep in range(max(1, repeats)):
        total = 0.0
        for p in pages:
            t0 = time.perf_counter()
            try:
                text = fn(p['html'])
            except Exception as e:  # counted as an empty output
                text = None
            total += time.perf_counter() - t0
            if rep == 0:
                texts[p['id']] = text or ''
        best = min(best, total)
    with open(f'{prefix}.{name}.jsonl', 'w', encoding='utf-8') as f:
        for p in pages:
            f.write(json.dumps({'id': p['id'], 'text': texts[p['id']]}, ensure_ascii=False) + '\n')
    result[name] = {'pages': len(pages), 'seconds': best}
print(json.dumps(result))
