# The Python side of bench/extract.ts: main-content extraction of the same decoded pages with trafilatura
# (trafilatura.extract, default settings) and resiliparse (extract_plain_text(main_content=True)).
#   python bench/extract_anchor.py PAGES.jsonl OUT_PREFIX
# PAGES.jsonl has lines {"id","html"}. Then reads commands on stdin, one a line, so that bench/extract.ts can
# interleave passes of every tool (a machine shared with other jobs slows them all alike):
#   "<tool>"  one pass over all pages; prints {"tool","pages","seconds","wall_seconds"}: CPU time of this
#             process and wall-clock time, summed around the extract call only (one page at a time). The
#             first pass of a tool writes OUT_PREFIX.<tool>.jsonl (lines {"id","text"}).
#   "quit"
import json, sys, time, warnings

warnings.filterwarnings('ignore')
import logging
logging.disable(logging.CRITICAL)

pages_path, prefix = sys.argv[1], sys.argv[2]
pages = [json.loads(l) for l in open(pages_path, encoding='utf-8') if l.strip()]

import trafilatura
from resiliparse.extract.html2text import extract_plain_text

tools = {
    'trafilatura': lambda html: trafilatura.extract(html),
    'resiliparse': lambda html: extract_plain_text(html, main_content=True),
}
written = set()
print(json.dumps({'ready': True}), flush=True)
for line in sys.stdin:
    name = line.strip()
    if name == 'quit' or not name:
        break
    fn = tools[name]
    texts = {}
    cpu = wall = 0.0
    for p in pages:
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            text = fn(p['html'])
        except Exception:  # counted as an empty output
            text = None
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        texts[p['id']] = text or ''
    if name not in written:
        with open(f'{prefix}.{name}.jsonl', 'w', encoding='utf-8') as f:
            for p in pages:
                f.write(json.dumps({'id': p['id'], 'text': texts[p['id']]}, ensure_ascii=False) + '\n')
        written.add(name)
    print(json.dumps({'tool': name, 'pages': len(pages), 'seconds': cpu, 'wall_seconds': wall}), flush=True)
