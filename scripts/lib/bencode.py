"""bencode.py - BitTorrent's bencoding, for the e2e tests and the benchmarks
(standard library only; Debian packages no Python module for it).

tests/e2e/servers/bt.py and bench/lib/benchlib.py import it by path:

    sys.path.insert(0, os.path.join(<repo>, "scripts", "lib"))
    from bencode import bdecode, bencode, info_bytes
"""


def bdecode(buf, i=0):
    """Decode one value at buf[i:]; returns (value, next_index).
    Byte strings stay bytes; dictionary keys are bytes."""
    c = buf[i:i + 1]
    if c == b"i":
        j = buf.index(b"e", i)
        return int(buf[i + 1:j]), j + 1
    if c == b"l":
        i, out = i + 1, []
        while buf[i:i + 1] != b"e":
            v, i = bdecode(buf, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i, out = i + 1, {}
        while buf[i:i + 1] != b"e":
            k, i = bdecode(buf, i)
            v, i = bdecode(buf, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        j = buf.index(b":", i)
        n = int(buf[i:j])
        return buf[j + 1:j + 1 + n], j + 1 + n
    raise ValueError("bencode: unexpected byte at offset %d" % i)


def bencode(v):
    """Encode int, str (as UTF-8), bytes, list and dict (keys sorted)."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def info_bytes(buf):
    """The raw bytes of a torrent's top-level 'info' value, as they are in
    the file (the v1 info-hash is their SHA-1)."""
    if buf[:1] != b"d":
        raise ValueError("torrent is not a bencoded dictionary")
    i = 1
    while buf[i:i + 1] != b"e":
        k, i = bdecode(buf, i)
        start = i
        _, i = bdecode(buf, i)
        if k == b"info":
            return buf[start:i]
    raise ValueError("torrent has no info dictionary")
