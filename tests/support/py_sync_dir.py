#!/usr/bin/python3
"""The Python client's sync_dir, written from its algorithm (docs/protocol.md,
"Directory sync"): the reference peer for the compatibility specs and for
benchmarks B4/B5 of docs/benchmarks.md (requests + requests_toolbelt, as
the DatagrokClient uses them: one requests.post, the whole body in memory,
MultipartDecoder, files written in place, no retries).

usage: py_sync_dir.py BASE_URL API_KEY CONNECTOR REMOTE_PATH DIR [EXT [RECURSIVE [META]]]
EXT "" means none; RECURSIVE "true" (default) or "false". Prints a JSON summary.
"""
import json
import os
import shutil
import sys

import requests
from requests_toolbelt.multipart.decoder import MultipartDecoder


def sync_dir(base_url, api_key, connector, remote_path, dir, ext=None, recursive=True,
             sync_meta_file='.sync_meta.json'):
    os.makedirs(dir, exist_ok=True)
    meta_path = os.path.join(dir, sync_meta_file)
    meta = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
    # keys whose files are gone locally are dropped; the metadata file is never a key
    meta = {k: v for k, v in meta.items()
            if k != sync_meta_file and os.path.exists(os.path.join(dir, k))}
    params = {'recursive': 'true' if recursive else 'false'}
    if ext:
        params['ext'] = ext
    url = '%s/public/v1/files/sync/%s/%s' % (base_url, connector.replace(':', '.'),
                                             remote_path.lstrip('/'))
    response = requests.post(url, params=params, json=meta,
                             headers={'Authorization': api_key,
                                      'Content-Type': 'application/json'})
    response.raise_for_status()
    if 'api-error' in response.headers:
        body = response.content.decode()
        raise Exception(body if 'ApiError' in body else 'Something went wrong during request')
    summary = {'written': [], 'deleted': [], 'unchanged': []}
    if response.status_code == 204:
        # "remote_path is empty folder": everything in the local dir goes
        for name in os.listdir(dir):
            path = os.path.join(dir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        with open(meta_path, 'w') as f:
            json.dump({}, f)
        summary['wiped'] = True
        return summary
    content_type = response.headers.get('Content-Type', '')
    if not content_type.startswith('multipart/'):
        raise Exception('Incorrect response type. Expected multipart but received %s'
                        % content_type)
    decoder = MultipartDecoder.from_response(response)
    deleted = []
    for i, part in enumerate(decoder.parts):
        headers = {k.decode().lower(): v.decode() for k, v in part.headers.items()}
        disposition = headers.get('content-disposition', '')
        if 'filename=' in disposition:
            name = disposition.split('filename=', 1)[1].strip('"')
        else:
            name = 'part_%d' % i
        status = headers.get('x-file-status')
        if status == 'deleted':
            deleted.append(name)
            continue
        if status == 'not-modified':
            summary['unchanged'].append(name)
            continue
        path = os.path.join(dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(part.content)
        if 'x-file-e-tag' in headers:
            meta[name] = headers['x-file-e-tag']
        summary['written'].append(name)
    for name in deleted:
        del meta[name]
        path = os.path.join(dir, name)
        if os.path.exists(path):
            os.remove(path)
        summary['deleted'].append(name)
    with open(meta_path, 'w') as f:
        json.dump(meta, f)
    return summary


if __name__ == '__main__':
    a = sys.argv[1:]
    if len(a) < 5:
        sys.exit(__doc__)
    result = sync_dir(a[0], a[1], a[2], a[3], a[4],
                      ext=(a[5] or None) if len(a) > 5 else None,
                      recursive=(a[6] != 'false') if len(a) > 6 else True,
                      sync_meta_file=a[7] if len(a) > 7 else '.sync_meta.json')
    for key in ('written', 'deleted', 'unchanged'):
        result[key].sort()
    print(json.dumps(result))
