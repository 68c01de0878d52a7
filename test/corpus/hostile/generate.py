#!/usr/bin/env python3
"""Regenerates the hostile-input corpus (policy files + API requests) and manifest.json.
The data files are committed; run this only to change the corpus."""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
for d in ('policy', 'api'):
    shutil.rmtree(os.path.join(HERE, d), ignore_errors=True)
    os.makedirs(os.path.join(HERE, d))

PF0, PF1 = 'sim:nic0/0', 'sim:nic0/1'
MAIN = {
    'driver': 'sim',
    'sim': {'nics': [{'name': 'nic0', 'ports': 2, 'totalVfs': 16}], 'demoTraffic': False},
    'pfs': [{'pf': PF0, 'numVfs': 8}, {'pf': PF1, 'numVfs': 8}],
}
json.dump(MAIN, open(os.path.join(HERE, 'main.json'), 'w'), indent=2)

def base(**kw):
    p = {'name': 'hx', 'pf': PF0, 'vf': 6, 'vlans': [10], 'macs': ['02:00:00:00:77:00']}
    p.update(kw)
    return p

def drop(*keys):
    p = base()
    for k in keys: p.pop(k)
    return p

cases = []
n = [0]

def add_policy(why, field, docs, main=None, api=True):
    """docs: list of (bytes|obj). Each becomes a file; `api`: also PUT the first doc."""
    n[0] += 1
    cid = f'p{n[0]:03d}'
    files = []
    for i, d in enumerate(docs):
        raw = d if isinstance(d, bytes) else json.dumps(d).encode()
        name = f'policy/{cid}-{i}.json'
        open(os.path.join(HERE, name), 'wb').write(raw)
        files.append(name)
    c = {'id': cid, 'kind': 'policy', 'why': why, 'field': field, 'files': files}
    if main is not None:
        mname = f'policy/{cid}-main.json'
        open(os.path.join(HERE, mname), 'wb').write(main if isinstance(main, bytes) else json.dumps(main).encode())
        c['main'] = mname
    if api and len(docs) == 1 and main is None:
        c['api'] = True
    cases.append(c)

# wrong types, one per field
for f, v in [('name', 5), ('pf', True), ('vf', '1'), ('vlans', '10'), ('vlans', ['10']),
             ('untagged', 'yes'), ('vlanProto', '802.1x'), ('vlanQoS', '3'), ('stripOuterTag', 1),
             ('macs', '02:00:00:00:77:00'), ('macs', [1]), ('guestMacs', '2'), ('macAntiSpoof', 'true'),
             ('vlanAntiSpoof', None), ('trust', 'no'), ('allowBroadcast', 0), ('allowMulticast', []),
             ('allowUnknownUnicast', {}), ('linkState', 'up'), ('mtu', '1500'), ('minTxRate', 'slow'),
             ('maxTxRate', 'fast'), ('trafficShares', '50'), ('trafficShares', [True]), ('mirror', 'hy'),
             ('mirror', {'target': 5, 'direction': 'in'}), ('mirror', {'target': 'hy', 'direction': 'both'}),
             ('onStart', 'rm -rf /'), ('onStop', ['relative/hook']), ('onStart', [1, 2]),
             ('pf', None), ('vf', None), ('vlans', None), ('macs', {'0': '02:00:00:00:77:00'})]:
    field = f.split('.')[0]
    add_policy(f'wrong type: {f} = {json.dumps(v)}', field, [base(**{f: v})])
# out of range numbers
for f, v in [('vf', -1), ('vf', 8), ('vf', 16), ('vf', 64), ('vf', 1.5), ('vf', 1e400),
             ('vlans', [0]), ('vlans', [4095]), ('vlans', [4096]), ('vlans', [-1]), ('vlans', [1.5]),
             ('vlans', [10, 10]), ('vlanQoS', 8), ('vlanQoS', -1), ('mtu', 67), ('mtu', 1e9), ('mtu', 9217),
             ('mtu', 1501), ('guestMacs', -1), ('guestMacs', 100000), ('minTxRate', -1),
             ('maxTxRate', 1e12), ('maxTxRate', -5), ('trafficShares', [101]), ('trafficShares', [-1]),
             ('trafficShares', [50, 60, 70, 80, 90, 99, 98, 97, 96])]:
    add_policy(f'out of range: {f} = {json.dumps(v)}', f, [base(**{f: v})])
add_policy('minTxRate above maxTxRate', 'minTxRate', [base(minTxRate=500, maxTxRate=100)])
add_policy('untagged with VLANs', 'vlans', [base(untagged=True, vlans=[10])])
add_policy('65 VLANs (sim limit 64)', 'vlans', [base(vlans=list(range(10, 75)))])
add_policy('4094 VLANs', 'vlans', [base(vlans=list(range(1, 4095)))])
add_policy('17 MACs', 'macs', [base(macs=[f'02:00:00:00:78:{i:02x}' for i in range(17)])])
# MACs at and past every bound
for m in ['01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '02:00:00:00:00',
          '02:00:00:00:00:00:00', 'zz:00:00:00:00:00', '02:00:00:00:00:100', '0200.0000.0001',
          '', ' 02:00:00:00:77:00', '02:00:00:00:77:00 ', '02:00:00:00:77:0g', '03:00:00:00:00:01',
          '02:00:00:00:77:00\u0000', '02;00;00;00;00;01']:
    add_policy(f'bad MAC {json.dumps(m)}', 'macs', [base(macs=[m])])
add_policy('duplicate MAC in one policy', 'macs', [base(macs=['02:00:00:00:77:00', '02:00:00:00:77:00'])])
# unknown fields
for k in ['foo', 'Name', 'vlan', 'mac', 'vlan_list', '__proto__', 'constructor', 'prototype', 'trust ', '']:
    p = base(); p[k] = {'polluted': True} if k == '__proto__' else 1
    add_policy(f'unknown field {json.dumps(k)}', k if k.strip() else '""', [p])
    if k == '__proto__': cases[-1]['apiField'] = '(body)'  # fastify refuses the key itself
add_policy('unknown nested field in mirror', 'mirror', [base(mirror={'target': 'hy', 'direction': 'in', 'extra': 1})])
# missing fields
for k in ['name', 'pf', 'vf']:
    add_policy(f'missing {k}', k, [drop(k)], api=(k != 'name'))
# names
for nm in ['a/b', '../etc/passwd', '..', '.', '.hidden', 'a\u0000b', 'a' * 300, 'a' * 65, '',
           ' ', 'a b', 'ä', 'con:x', 'a\\b', '/abs', 'x\n', '-'.join(['..'] * 3) + '/x']:
    add_policy(f'bad name {json.dumps(nm[:20])}{"..." if len(nm) > 20 else ""} ({len(nm)} chars)', 'name',
               [base(name=nm)], api=False)
# duplicates across files
add_policy('two files, same name', 'name', [base(), base(vf=7, macs=['02:00:00:00:77:01'])])
add_policy('two files, same PF and VF', 'vf', [base(), base(name='hy', macs=['02:00:00:00:77:01'])])
add_policy('two files, same MAC on one PF', 'macs', [base(), base(name='hy', vf=7)])
add_policy('mirror to a missing VF', 'mirror', [base(mirror={'target': 'nobody', 'direction': 'in'})])
add_policy('mirror to a VF on another PF', 'mirror',
           [base(mirror={'target': 'hy', 'direction': 'in'}), base(name='hy', pf=PF1, vf=7, macs=['02:00:00:00:77:01'])])
add_policy('mirror to itself', 'mirror', [base(mirror={'target': 'hx', 'direction': 'all'})])
add_policy('VF on a PF without policy', 'pf', [base(pf='sim:nic0/5')])
add_policy('VF on a PF that does not exist', 'pf', [base(pf='0000:08:00.0')])
# truncated / invalid JSON, invalid UTF-8, huge, deep
good = json.dumps(base()).encode()
for cut in [1, 10, len(good) // 2, len(good) - 1]:
    add_policy(f'truncated after {cut} bytes', '(document)', [good[:cut]], api=False)
for raw, why in [(b'', 'empty file'), (b'{', 'lone brace'), (b'[]', 'an array'), (b'null', 'null'),
                 (b'42', 'a number'), (b'"hx"', 'a string'), (b"{name:'hx'}", 'JSON5 in a VF file'),
                 (good[:-1] + b',}', 'trailing comma'),
                 (good.replace(b'"hx"', b'"h\xffx"'), 'invalid UTF-8 byte in a string'),
                 (good.replace(b'"hx"', b'"h\xc0\xafx"'), 'overlong UTF-8'),
                 (good.replace(b'"hx"', b'"h\xed\xa0\x80x"'), 'UTF-8 encoded surrogate'),
                 (b'\xff\xfe' + json.dumps(base()).encode('utf-16-le'), 'UTF-16 file'),
                 (good + good, 'two documents'), (b'{"name": "hx", "pf": "sim:nic0/0", "vf": 6, "vf": 99, "macs": ["02:00:00:00:77:00"]}', 'duplicate key (the last wins)')]:
    add_policy(why, 'vf' if why.startswith('duplicate key') else '(document)', [raw],
               api=False)
add_policy('deep nesting (100000 arrays) in mirror', '(document)',
           [b'{"name":"hx","pf":"sim:nic0/0","vf":6,"macs":["02:00:00:00:77:00"],"mirror":@DEEP@}'], api=False)
cases[-1]['synth'] = {'marker': '@DEEP@', 'open': '[', 'close': ']', 'count': 100000}
add_policy('deep nesting (200 objects) in mirror', '(document)',
           [json.dumps(base(mirror=json.loads('{"a":' * 200 + '1' + '}' * 200))).encode()])
cases[-1]['apiField'] = '(body)'  # as an API body the depth limit names the body
add_policy('6 MB string field', 'notes', [base(notes='@FILL@')], api=False)
cases[-1]['synth'] = {'marker': '@FILL@', 'open': 'x', 'close': '', 'count': 6 << 20}
# main config
for why, field, m in [
        ('numVfs past totalVfs', 'numVfs', {**MAIN, 'pfs': [{'pf': PF0, 'numVfs': 10000}]}),
        ('unknown driver', 'driver', {**MAIN, 'driver': 'nope'}),
        ('short TCP token', 'token', {**MAIN, 'daemon': {'tcp': {'token': 'short'}}}),
        ('unknown daemon field', 'shell', {**MAIN, 'daemon': {'shell': '/bin/sh'}}),
        ('socketGroup wrong type', 'socketGroup', {**MAIN, 'daemon': {'socketGroup': 0}}),
        ('hookTimeoutMs below minimum', 'hookTimeoutMs', {**MAIN, 'daemon': {'hookTimeoutMs': 1}}),
        ('bodyLimitBytes past maximum', 'bodyLimitBytes', {**MAIN, 'daemon': {'bodyLimitBytes': 1 << 30}}),
        ('PF listed twice', 'pf', {**MAIN, 'pfs': [{'pf': PF0, 'numVfs': 8}, {'pf': PF0, 'numVfs': 4}]}),
        ('PF mtu 10', 'mtu', {**MAIN, 'pfs': [{'pf': PF0, 'numVfs': 8, 'mtu': 10}]}),
        ('traffic classes sum past 100', 'trafficClasses', {**MAIN, 'pfs': [{'pf': PF0, 'numVfs': 8, 'qos': {'trafficClasses': [{'bandwidth': 80}, {'bandwidth': 80}]}}]}),
        ('main config truncated', '(document)', json.dumps(MAIN).encode()[:40])]:
    add_policy(why, field, [base(pf=PF0)], main=m, api=False)

# ----------------------------------------------------------------- API-only requests
a = [0]
def add_api(why, field, method, path, body=None, ctype='application/json', status=None):
    a[0] += 1
    cid = f'a{a[0]:03d}'
    c = {'id': cid, 'kind': 'api', 'why': why, 'field': field, 'method': method, 'path': path}
    if body is not None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        name = f'api/{cid}.bin'
        open(os.path.join(HERE, name), 'wb').write(raw)
        c['body'] = name
        c['contentType'] = ctype
    if status: c['status'] = status
    cases.append(c)

# names in the path
for nm, why in [('a%2Fb', 'slash'), ('..', 'dot-dot'), ('%2E%2E', 'encoded dot-dot'), ('.hidden', 'leading dot'),
                ('a%00b', 'NUL'), ('a' * 300, '300 characters'), ('a' * 65, '65 characters'),
                ('%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 'encoded traversal'), ('a%20b', 'space'), ('%C3%A4', 'non-ASCII'),
                ('a%0Ab', 'newline')]:
    for method, suffix, body in [('GET', '', None), ('PUT', '', base()), ('DELETE', '', None),
                                 ('POST', '/requests', {'type': 'setMtu', 'mtu': 1400}),
                                 ('PUT', '/mirror', {'target': 'good0', 'direction': 'in'})]:
        add_api(f'{why} in the VF name ({method} {suffix or "/"})', 'name', method, f'/v1/vfs/{nm}{suffix}', body)
# guest requests
for req, field in [({'type': 'setMac', 'mac': 'bad'}, 'mac'), ({'type': 'setMac', 'mac': 5}, 'mac'),
                   ({'type': 'setMac'}, 'mac'), ({'type': 'addVlan', 'vlan': 0}, 'vlan'),
                   ({'type': 'addVlan', 'vlan': 4095}, 'vlan'), ({'type': 'addVlan', 'vlan': 4096}, 'vlan'),
                   ({'type': 'addVlan', 'vlan': '10'}, 'vlan'), ({'type': 'delVlan', 'vlan': -1}, 'vlan'),
                   ({'type': 'setMtu', 'mtu': 67}, 'mtu'), ({'type': 'setMtu', 'mtu': 1e12}, 'mtu'),
                   ({'type': 'setMtu', 'mtu': 1400.5}, 'mtu'), ({'type': 'setPromisc', 'enable': 'yes'}, 'enable'),
                   ({'type': 'format-disk'}, 'type'), ({'mac': '02:00:00:00:00:01'}, 'type'),
                   ({'type': 'setMtu', 'mtu': 1400, 'extra': 1}, 'extra'), ([], '(body)'), ('setMtu', '(body)')]:
    add_api(f'guest request {json.dumps(req)[:60]}', field, 'POST', '/v1/vfs/good0/requests', req)
# mirror bodies
for body, field in [({'target': 'good1'}, 'direction'), ({'direction': 'in'}, 'target'),
                    ({'target': 'good1', 'direction': 'sideways'}, 'direction'),
                    ({'target': 'good1', 'direction': 'in', 'x': 1}, 'x'), ({'target': 'good0', 'direction': 'in'}, 'mirror'),
                    ({'target': 'ghost', 'direction': 'in'}, 'mirror'), ({'target': '../x', 'direction': 'in'}, 'mirror')]:
    add_api(f'mirror body {json.dumps(body)}', field, 'PUT', '/v1/vfs/good0/mirror', body)
# bodies: invalid JSON, bad UTF-8, huge, deep, wrong media type
for raw, why in [(b'{', 'truncated JSON'), (b'{"type":"setMtu","mtu":14', 'truncated JSON number'), (b'', 'empty body'),
                 (b'{"type":"setMtu","mtu":1400,}', 'trailing comma'),
                 (b'{"type":"setM\xfftu","mtu":1400}', 'invalid UTF-8 in a value'),
                 (b'{"type":"setMtu","mtu":1400,"\xc0\xaf":1}', 'overlong UTF-8 key'),
                 (b'{"type":"setMtu","mtu":1400,"__proto__":{"x":1}}', '__proto__ key'),
                 (b'{"type":"setMtu","mtu":1400,"constructor":{"prototype":{"x":1}}}', 'constructor.prototype key'),
                 ]:
    add_api(why, '(body)', 'POST', '/v1/vfs/good0/requests', raw)
add_api('deep nesting (100000 arrays)', '(body)', 'POST', '/v1/vfs/good0/requests', b'@DEEP@')
cases[-1]['synth'] = {'marker': '@DEEP@', 'open': '[', 'close': ']', 'count': 100000}
add_api('deep nesting (100000 objects)', '(body)', 'POST', '/v1/vfs/good0/requests', b'@DEEP@1')
cases[-1]['synth'] = {'marker': '@DEEP@', 'open': '{"a":', 'close': '}', 'count': 100000}
add_api('2 MB body', '(body)', 'POST', '/v1/vfs/good0/requests', b'{"type":"setMtu","mtu":1400,"pad":"@FILL@"}')
cases[-1]['synth'] = {'marker': '@FILL@', 'open': 'x', 'close': '', 'count': 2 << 20}
add_api('20 MB policy body', '(body)', 'PUT', '/v1/vfs/good0', b'{"name":"good0","notes":"@FILL@"}')
cases[-1]['synth'] = {'marker': '@FILL@', 'open': 'x', 'close': '', 'count': 20 << 20}
add_api('policy body as text/plain', '(body)', 'PUT', '/v1/vfs/good0', json.dumps(base(name='good0')).encode(), 'text/plain')
add_api('policy body as form', '(body)', 'PUT', '/v1/vfs/good0', b'name=good0', 'application/x-www-form-urlencoded')
add_api('name in body differs from path', 'name', 'PUT', '/v1/vfs/good0', base(name='other'))
add_api('PUT body is an array', '(body)', 'PUT', '/v1/vfs/good0', [base()])
add_api('PUT body is null', '(body)', 'PUT', '/v1/vfs/good0', b'null')
# apply envelope
for body, field in [({'vfs': 'x'}, 'vfs'), ({'vfs': [1]}, 'vfs'), ({'vfs': [], 'delete': [5]}, 'delete'),
                    ({'vfs': [], 'drop': []}, 'drop'), ({'vfs': [base(vlans=[5000])]}, 'vlans'),
                    ({'vfs': [base(), base()]}, 'name'), ({'vfs': [base(name='../x')]}, 'name'),
                    ({'vfs': [base(name='good9', pf=PF0, vf=0)]}, 'vf'),
                    ({'delete': ['../../etc/passwd']}, 'delete')]:
    add_api(f'apply {json.dumps(body)[:70]}', field, 'POST', '/v1/apply', body)
for body, field in [({'level': 'loud'}, 'level'), ({}, 'level'), ({'level': 'info', 'x': 1}, 'x')]:
    add_api(f'log-level {json.dumps(body)}', field, 'PUT', '/v1/log-level', body)
add_api('credential for a VF that does not exist', 'ghost', 'POST', '/v1/vfs/ghost/credential', None, status=404)
add_api('delete a VF that does not exist', 'ghost', 'DELETE', '/v1/vfs/ghost', None, status=404)
add_api('unknown route', '/v1/nope', 'GET', '/v1/nope', None, status=404)
# issue 17: keys given twice, bad percent-encoding, an over-long name, a hook argv with a NUL
TWICE = b'{"name":"hx","pf":"sim:nic0/0","vf":6,"vlans":[10],"macs":["02:00:00:00:77:00"],"trust":false,"trust":true}'
add_policy('key "trust" given twice (the parser would keep the last)', 'trust', [TWICE])
add_policy('NUL byte in an onStart argument', 'onStart', [base(onStart=['/bin/echo', 'a\u0000b'])])
add_api('key "trust" given twice in a PUT body', 'trust', 'PUT', '/v1/vfs/good0', TWICE.replace(b'"hx"', b'"good0"'))
add_api('key "mac" given twice in a guest request', 'mac', 'POST', '/v1/vfs/good0/requests',
        b'{"type":"setMac","mac":"02:00:00:00:00:01","mac":"02:00:00:00:00:02"}')
add_api('bad percent-encoding in the name', 'name', 'GET', '/v1/vfs/%zz')
add_api('truncated UTF-8 percent-encoding in the name', 'name', 'GET', '/v1/vfs/%E0%A4%A')
add_api('1025-character name', 'name', 'GET', '/v1/vfs/' + 'a' * 1025)

json.dump({'about': 'Hostile inputs: each must be refused (CLI exit 1 / API 4xx) with a message naming `field`, '
                    'leaving files and NIC untouched. Regenerate with generate.py.',
           'synth': 'a case with `synth` has `marker` in its (first) file replaced at run time by `open` x count then `close` x count (kept small in git)',
           'cases': cases}, open(os.path.join(HERE, 'manifest.json'), 'w'), indent=1)
print(len([c for c in cases if c['kind'] == 'policy']), 'policy cases,', len([c for c in cases if c['kind'] == 'api']), 'api cases')
