# The Python side of bench/fasttext.ts: the official fasttext binding (fasttext-numpy2) on the same files.
import json, sys, time
import fasttext

train, test, ours, out = sys.argv[1:5]
params = json.loads(sys.argv[5])
params.setdefault('thread', 1)
t0 = time.perf_counter()
model = fasttext.train_supervised(input=train, verbose=0, **params)
train_s = time.perf_counter() - t0
model.save_model(out)

lines = [l.rstrip('\n') for l in open(test, encoding='utf-8') if l.strip()]
texts = [' '.join(w for w in l.split() if not w.startswith('__label__')) for l in lines]
gold = [[w for w in l.split() if w.startswith('__label__')][0] for l in lines]
predict_s = float('inf')
for _ in range(3):  # best of three, as bench/fasttext.ts does
    t0 = time.perf_counter()
    preds = [model.predict(t, k=1) for t in texts]
    predict_s = min(predict_s, time.perf_counter() - t0)
acc = sum(p[0][0] == g for p, g in zip(preds, gold)) / len(gold)

# Cross-load: the model dsmath trained, read by Python; probabilities of every label on 200 lines.
theirs = fasttext.load_model(ours)
cross = [dict(zip(*theirs.predict(t, k=-1))) for t in texts[:200]]
mine = [dict(zip(*model.predict(t, k=-1))) for t in texts[:200]]
print(json.dumps({
    'train_s': train_s, 'predict_lines_per_s': len(texts) / predict_s, 'accuracy': acc,
    'labels': sorted(model.get_labels()), 'ours_loaded_labels': sorted(theirs.get_labels()),
    'ours_probs': [{k: float(v) for k, v in d.items()} for d in cross],
    'python_probs': [{k: float(v) for k, v in d.items()} for d in mine],
}))
