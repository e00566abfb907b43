# The Python side of bench/warc.ts: read every record (headers + content) with fastwarc and warcio.
import json, resource, sys, time

path = sys.argv[1]
out = {}

from fastwarc.warc import ArchiveIterator as FastIterator
t0 = time.perf_counter(); c0 = time.process_time(); n = 0; nbytes = 0
with open(path, 'rb') as f:
    for rec in FastIterator(f, parse_http=False):
        nbytes += len(rec.reader.read()); n += 1
out['fastwarc'] = {'records': n, 'seconds': time.perf_counter() - t0, 'cpu': time.process_time() - c0, 'bytes': nbytes}

from warcio.archiveiterator import ArchiveIterator
t0 = time.perf_counter(); c0 = time.process_time(); n = 0; nbytes = 0
with open(path, 'rb') as f:
    for rec in ArchiveIterator(f):
        nbytes += len(rec.raw_stream.read()); n += 1
out['warcio'] = {'records': n, 'seconds': time.perf_counter() - t0, 'cpu': time.process_time() - c0, 'bytes': nbytes}
out['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
