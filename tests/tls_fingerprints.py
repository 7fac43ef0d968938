# tls_fingerprints.py: JA3 and JA4 computed in Python, apart from agent/net/tls.c,
# over the ClientHello tests/test_tls.c builds (the same construction):
# the constants that test asserts. Run: python3 tests/tls_fingerprints.py
import hashlib, struct
def u8(v): return struct.pack('>B', v)
def u16(v): return struct.pack('>H', v)
def u24(v): return struct.pack('>I', v)[1:]
SPEC_C = [0x1301,0x1302,0x1303,0xc02b,0xc02f,0xc02c,0xc030,0xcca9,0xcca8,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035]
SIGS = [0x0403,0x0804,0x0401,0x0503,0x0805,0x0501,0x0806,0x0601]
def grease(v): return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)
def hello(g=True, sigs=True, alpn=(b'h2', b'http/1.1')):
    ciphers = ([0x0a0a] if g else []) + SPEC_C
    body = u16(0x0303) + bytes([0x11]*32) + u8(32) + bytes([0x22]*32)
    body += u16(2*len(ciphers)) + b''.join(u16(c) for c in ciphers) + b'\x01\x00'
    exts = []
    if g: exts.append((0x0a0a, b''))
    exts.append((0x001b, u8(2) + u16(2)))
    sni = b'www.Example.com'
    exts.append((0x0000, u16(len(sni)+3) + u8(0) + u16(len(sni)) + sni))
    ks = (u16(0x2a2a)+u16(1)+b'\0' if g else b'') + u16(0x001d)+u16(32)+bytes([0x33]*32)
    exts.append((0x0033, u16(len(ks)) + ks))
    al = b''.join(u8(len(a)) + a for a in alpn)
    exts.append((0x0010, u16(len(al)) + al))
    exts.append((0x4469, u16(3) + u8(2) + b'h2'))
    exts.append((0x0017, b''))
    exts.append((0x002d, b'\x01\x01'))
    sl = SIGS if sigs else []
    exts.append((0x000d, u16(2*len(sl)) + b''.join(u16(s) for s in sl)))
    exts.append((0x0005, b'\x01\x00\x00\x00\x00'))
    exts.append((0x0023, b''))
    exts.append((0x0012, b''))
    vers = ([0x3a3a] if g else []) + [0x0304, 0x0303]
    exts.append((0x002b, u8(2*len(vers)) + b''.join(u16(v) for v in vers)))
    exts.append((0xff01, b'\0'))
    exts.append((0x000b, b'\x01\x00'))
    groups = ([0x2a2a] if g else []) + [0x001d, 0x0017, 0x0018]
    exts.append((0x000a, u16(2*len(groups)) + b''.join(u16(x) for x in groups)))
    exts.append((0x0015, bytes(7)))
    if g: exts.append((0x1a1a, b'\0'))
    eb = b''.join(u16(t) + u16(len(d)) + d for t, d in exts)
    body += u16(len(eb)) + eb
    return u8(1) + u24(len(body)) + body, ciphers, exts, groups, sl, vers
def ja3(ciphers, exts, groups):
    s = '771,' + '-'.join(str(c) for c in ciphers if not grease(c)) + ','
    s += '-'.join(str(t) for t, _ in exts if not grease(t)) + ','
    s += '-'.join(str(x) for x in groups if not grease(x)) + ',0'
    return s, hashlib.md5(s.encode()).hexdigest()
def ja4(ciphers, exts, sigs, vers, alpn):
    c = [x for x in ciphers if not grease(x)]
    e = [t for t, _ in exts if not grease(t)]
    v = max(x for x in vers if not grease(x))
    a = {0x0304: '13', 0x0303: '12'}[v] + 'd' + '%02d%02d' % (min(99, len(c)), min(99, len(e)))
    a = 't' + a + alpn
    b = hashlib.sha256(','.join('%04x' % x for x in sorted(c)).encode()).hexdigest()[:12]
    es = ','.join('%04x' % x for x in sorted(e) if x not in (0, 0x10))
    if sigs: es += '_' + ','.join('%04x' % x for x in sigs)
    cc = hashlib.sha256(es.encode()).hexdigest()[:12]
    return a + '_' + b + '_' + cc
for g in (True, False):
    for sg in (True, False):
        m, c, e, gr, sl, v = hello(g, sg)
        s, h = ja3(c, e, gr)
        print('grease=%s sigs=%s len=%d' % (g, sg, len(m)))
        print('  ja3 %s\n  %s' % (h, s))
        print('  ja4', ja4(c, e, sl, v, 'h2'))
