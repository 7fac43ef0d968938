#!/usr/bin/env python3
"""vigil against Suricata's own conformance suite, suricata-verify (issue 10).

    tests/bench/suricata_verify.py [--suricata-verify DIR] [--vigil PATH]
        [--as-version X.Y.Z] [-j N] [--json] [-v] [PATTERN...]

DIR is a work tree of OISF/suricata-verify (never inside this repository),
e.g. `git clone /work/.mirror/OISF+suricata-verify/repo /var/tmp/suricata-verify`.
PATTERN selects tests whose path under tests/ contains it (as run.py does).

For each test folder (a folder with a test.yaml; nested ones as run.py
walks them) this does what suricata-verify's run.py does with Suricata, as
far as vigil can honour it:

- the test's `requires` (versions against --as-version, features, env,
  files, os, arch), `skip`, `args` (those that change what Suricata detects
  skip the test), `command`, `setup`, `unix-commands` and a non-zero
  `exit-code` skip it;
- the rules file as run.py picks it (`rules:`, else the folder's one
  *.rules; min<version>.rules only if the version allows), loaded first by
  `vigil-agent rules check --json` to learn which signatures load;
- the test's suricata.yaml `vars` (address-groups, port-groups) and
  `--set vars.*` arguments as `--var NAME=VALUE`;
- `vigil-agent pcap --json --ioc EMPTY --rules RULES [--var ...] PCAP`.

Then the test.yaml `checks`: only `filter` checks on eve.json about alerts
(`event_type: alert`) are evaluated, with run.py's match semantics (dotted
keys, `[N]` indexes, `__len`, `__find`, `__contains`, `__startswith`,
`__endswith`, `__gt`/`__gte`/`__lt`/`__lte`, `has-key`, `not-has-key`,
typed equality). A check is "not evaluated" when it names a field vigil's
EVE does not write, when the signature it names was skipped by vigil's
loader, when it names no signature and some rule was skipped, or when a
skipped rule sets flowbits. Alerts of vigil's own indicator lists (gid 3)
and detectors (gid 4) are not Suricata's and are left out of the counts.

A test passes when every evaluated check holds (at least one evaluated),
fails when one does not, and is skipped (with the reason) when none could
be evaluated. The summary counts considered / passed / failed / skipped by
reason. Standard library only: test.yaml is read by a small YAML subset
reader (block mappings and sequences, flow collections, quoted and block
scalars, YAML 1.1 scalar types as PyYAML resolves them); `--self-test`
compares it with PyYAML on every test.yaml when PyYAML is installed.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------------------
# A YAML subset reader (what suricata-verify's test.yaml files use)


class YamlError(Exception):
    pass


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {
    "yes": True, "Yes": True, "YES": True, "true": True, "True": True,
    "TRUE": True, "on": True, "On": True, "ON": True,
    "no": False, "No": False, "NO": False, "false": False, "False": False,
    "FALSE": False, "off": False, "Off": False, "OFF": False,
}
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
                  r"|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
                    r"|\.[0-9_]+(?:[eE][-+][0-9]+)?"
                    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def _sexagesimal(s, conv):
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    v = 0
    for part in s.split(":"):
        v = v * 60 + conv(part)
    return sign * v


def _int(s):
    s = s.replace("_", "")
    if ":" in s:
        return _sexagesimal(s, int)
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    if s.startswith("0b"):
        return sign * int(s[2:], 2)
    if s.startswith("0x"):
        return sign * int(s[2:], 16)
    if s != "0" and s.startswith("0"):
        return sign * int(s, 8)
    return sign * int(s)


def _float(s):
    s = s.replace("_", "").lower()
    if s.endswith(".inf"):
        return float("-inf") if s.startswith("-") else float("inf")
    if s.endswith(".nan"):
        return float("nan")
    if ":" in s:
        return _sexagesimal(s, float)
    return float(s)


def yaml_scalar(s):
    """A plain scalar typed as PyYAML (YAML 1.1) types it."""
    if _NULL.match(s):
        return None
    if s in _BOOL:
        return _BOOL[s]
    if _INT.match(s):
        return _int(s)
    if _FLOAT.match(s):
        return _float(s)
    return s


_DQ_ESC = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t",
           "n": "\n", "v": "\v", "f": "\f", "r": "\r", "e": "\x1b",
           " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
           "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def _quoted(s, i):
    """The quoted scalar starting at s[i]; returns (value, index after)."""
    q = s[i]
    out = []
    i += 1
    while i < len(s):
        c = s[i]
        if q == "'" and c == "'":
            if s[i + 1:i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        if q == '"' and c == '"':
            return "".join(out), i + 1
        if q == '"' and c == "\\":
            e = s[i + 1:i + 2]
            if e in _DQ_ESC:
                out.append(_DQ_ESC[e])
                i += 2
                continue
            n = {"x": 2, "u": 4, "U": 8}.get(e)
            if n is None or not re.match(r"^[0-9a-fA-F]{%d}$" % n,
                                         s[i + 2:i + 2 + n]):
                raise YamlError("bad escape in %r" % s)
            out.append(chr(int(s[i + 2:i + 2 + n], 16)))
            i += 2 + n
            continue
        out.append(c)
        i += 1
    raise YamlError("unterminated quoted scalar %r" % s)


def _starts_node(s, i):
    """Whether s[i] begins a node (a quote there opens a quoted scalar)."""
    before = s[:i].rstrip(" ")
    return before == "" or before[-1] in "[{,-:" and (
        before[-1] != ":" or i > len(before))


def _skip_quoted(s, i):
    """The index after the quoted scalar at s[i], or len(s) if unclosed."""
    q = s[i]
    i += 1
    while i < len(s):
        if q == '"' and s[i] == "\\":
            i += 2
            continue
        if s[i] == q:
            if q == "'" and s[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return len(s)


def _strip_comment(s):
    """The line without a trailing comment (a # after a blank, not quoted)."""
    i = 0
    while i < len(s):
        c = s[i]
        if c in "'\"" and _starts_node(s, i):
            i = _skip_quoted(s, i)
            continue
        if c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
        i += 1
    return s.rstrip()


def _flow(s, i):
    """A flow node at s[i]: [..], {..}, quoted or plain; (value, end)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None, i
    c = s[i]
    if c in "[{":
        close = "]" if c == "[" else "}"
        items = [] if c == "[" else {}
        i += 1
        while True:
            while i < len(s) and s[i] in " ,":
                i += 1
            if i >= len(s):
                raise YamlError("unterminated flow collection %r" % s)
            if s[i] == close:
                return items, i + 1
            if c == "[":
                v, i = _flow(s, i)
                items.append(v)
            else:
                k, i = _flow(s, i)
                while i < len(s) and s[i] == " ":
                    i += 1
                v = None
                if i < len(s) and s[i] == ":":
                    v, i = _flow(s, i + 1)
                items[k] = v
    if c in "'\"":
        return _quoted(s, i)
    m = re.match(r"[^,\]\}]*?(?=\s*(?:[,\]\}]|:\s|:$|$))", s[i:])
    text = m.group(0)
    return yaml_scalar(text.strip()), i + len(text)


def _inline(text):
    """The value written after `key:` or `- ` on the same line."""
    if text[:1] and text[:1] in "[{'\"":
        v, end = _flow(text, 0)
        if text[end:].strip():
            raise YamlError("trailing text after %r" % text)
        return v
    return yaml_scalar(text)


def _key_split(text):
    """(key, rest) when the line is `key: rest` or `key:`, else None."""
    if text[:1] in "'\"":
        k, i = _quoted(text, 0)
        rest = text[i:].lstrip(" ")
        if rest == ":" or rest.startswith(": "):
            return k, rest[1:].strip()
        return None
    m = re.match(r"^([^#'\"\[\]{},][^:]*?|[^:]*?)\s*:(?:\s+(.*)|$)", text)
    if m is None or text.startswith("- ") or text == "-":
        return None
    key = yaml_scalar(m.group(1))
    return key, (m.group(2) or "").strip()


class _Lines:
    def __init__(self, text):
        self.raw = text.split("\n")
        self.i = 0

    def _skip(self):
        while self.i < len(self.raw):
            s = self.raw[self.i]
            t = s.strip()
            if t and not t.startswith("#") and t not in ("---", "..."):
                if not t.startswith("%"):
                    return
            self.i += 1

    def peek(self):
        """(indent, text) of the next content line, or None."""
        self._skip()
        if self.i >= len(self.raw):
            return None
        s = self.raw[self.i].replace("\t", "    ")
        text = _strip_comment(s.lstrip(" "))
        return len(s) - len(s.lstrip(" ")), text

    def replace(self, text):
        self.raw[self.i] = text


def _block_scalar(lines, header, parent_indent):
    """A | or > scalar; lines.i is at the line after its header."""
    m = re.match(r"^([|>])([-+]?)(\d?)([-+]?)$", header)
    if m is None:
        raise YamlError("bad block scalar header %r" % header)
    style, chomp = m.group(1), m.group(2) or m.group(4)
    body = []
    indent = None
    while lines.i < len(lines.raw):
        s = lines.raw[lines.i]
        if s.strip() == "":
            body.append("")
            lines.i += 1
            continue
        ind = len(s) - len(s.lstrip(" "))
        if indent is None:
            indent = ind
        if ind < indent or ind <= parent_indent:
            break
        body.append(s[indent:])
        lines.i += 1
    while body and body[-1] == "" and chomp != "+":
        body.pop()
    if style == "|":
        text = "\n".join(body)
    else:
        text = ""
        for n, ln in enumerate(body):
            if n == 0:
                text = ln
            elif ln == "" or ln.startswith(" "):
                text += "\n" + ln
            elif body[n - 1] == "":
                text += ln
            else:
                text += " " + ln
    if chomp != "-" and body:
        text += "\n"
    return text


def _inline_lines(lines, rest):
    """An inline value; a quoted scalar or flow collection may go on over
    the next lines (folded: a line break is a space, a blank line a
    newline)."""
    text = rest
    while True:
        try:
            return _inline(text)
        except YamlError:
            if rest[:1] not in ("'", '"', "[", "{") or \
                    lines.i >= len(lines.raw):
                raise
        nxt = lines.raw[lines.i].strip()
        lines.i += 1
        escaped = len(text) - len(text.rstrip("\\"))
        if rest[:1] == '"' and escaped % 2 == 1:
            text = text[:-1] + nxt  # an escaped line break
            continue
        text = text.rstrip(" \t")
        if nxt == "":
            text += "\n"
        elif text.endswith("\n"):
            text += nxt
        else:
            text += " " + nxt


def _value(lines, rest, indent):
    """The value of `key: rest` at indent (the rest, or the block below)."""
    if rest[:1] and rest[:1] in "|>":
        lines.i += 1
        return _block_scalar(lines, rest, indent)
    if rest != "":
        lines.i += 1
        v = _inline_lines(lines, rest)
        nxt = lines.peek()
        # a plain scalar folded over the following, deeper lines
        while isinstance(v, str) and nxt is not None and nxt[0] > indent \
                and rest[:1] not in ("'", '"', "[", "{") and _key_split(nxt[1]) is None \
                and not nxt[1].startswith("- "):
            v = v + " " + nxt[1]
            lines.i += 1
            nxt = lines.peek()
        return v
    lines.i += 1
    nxt = lines.peek()
    if nxt is None:
        return None
    if nxt[0] > indent or (nxt[0] == indent and
                           (nxt[1].startswith("- ") or nxt[1] == "-")):
        return _node(lines, nxt[0])
    return None


def _node(lines, indent):
    nxt = lines.peek()
    if nxt is None:
        return None
    if nxt[1].startswith("- ") or nxt[1] == "-":
        return _sequence(lines, indent)
    if _key_split(nxt[1]) is not None:
        return _mapping(lines, indent)
    return _value(lines, nxt[1], indent - 1)


def _sequence(lines, indent):
    out = []
    while True:
        nxt = lines.peek()
        if nxt is None or nxt[0] != indent or not (
                nxt[1].startswith("- ") or nxt[1] == "-"):
            return out
        rest = nxt[1][1:].lstrip(" ")
        if rest == "":
            lines.i += 1
            sub = lines.peek()
            out.append(_node(lines, sub[0]) if sub and sub[0] > indent
                       else None)
            continue
        # `- key: v` starts a mapping (or `- - x` a sequence) one level in
        s = lines.raw[lines.i].replace("\t", "    ")
        pos = s.index("-", indent) + 1
        pos += len(s[pos:]) - len(s[pos:].lstrip(" "))
        if _key_split(rest) is not None or rest.startswith("- "):
            lines.replace(" " * pos + s[pos:])
            out.append(_node(lines, pos))
        else:
            out.append(_value(lines, rest, indent))


def _mapping(lines, indent):
    out = {}
    while True:
        nxt = lines.peek()
        if nxt is None or nxt[0] != indent:
            return out
        kv = _key_split(nxt[1])
        if kv is None:
            raise YamlError("expected `key:` at line %d: %r" %
                            (lines.i + 1, nxt[1]))
        out[kv[0]] = _value(lines, kv[1], indent)


def yaml_load(text):
    lines = _Lines(text)
    nxt = lines.peek()
    if nxt is None:
        return None
    v = _node(lines, nxt[0])
    if lines.peek() is not None:
        raise YamlError("unexpected text at line %d: %r" %
                        (lines.i + 1, lines.peek()[1]))
    return v


# ---------------------------------------------------------------------------
# run.py's match semantics

COMPARISON = ("__gt", "__gte", "__lt", "__lte")
STRING_OPS = ("__contains", "__find", "__startswith", "__endswith")


def find_value(name, obj):
    """run.py's find_value(): dotted keys, [N] indexes, __len."""
    for part in name.split("."):
        if part == "__len":
            try:
                return len(obj)
            except TypeError:
                return -1
        if part in STRING_OPS or part in COMPARISON:
            break
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        key, index = (m.group(1), int(m.group(2))) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
        if index is not None:
            try:
                obj = obj[index]
            except (IndexError, KeyError, TypeError):
                return None
    return obj


def compare(actual, expected, op):
    if isinstance(actual, bool) or isinstance(expected, bool):
        return False
    if not isinstance(actual, (int, float)) or \
            not isinstance(expected, (int, float)):
        return False
    return {"__gt": actual > expected, "__gte": actual >= expected,
            "__lt": actual < expected, "__lte": actual <= expected}[op]


def event_matches(match, event):
    """run.py's FilterCheck.match()."""
    for key, expected in match.items():
        if key in ("has-key", "not-has-key"):
            want = key == "has-key"
            for item in expected if isinstance(expected, list) \
                    else [expected]:
                if (find_value(item, event) is not None) != want:
                    return False
            continue
        val = find_value(key, event)
        op = key.rsplit(".", 1)[-1]
        if op in STRING_OPS:
            # run.py raises on a missing field; for us it is no match
            if val is None:
                return False
            try:
                ok = {"__find": lambda: val.find(expected) >= 0,
                      "__contains": lambda: expected in val,
                      "__startswith": lambda: val.startswith(expected),
                      "__endswith": lambda: val.endswith(expected)}[op]()
            except (AttributeError, TypeError):
                return False
            if not ok:
                return False
        elif op in COMPARISON:
            if not compare(val, expected, op):
                return False
        elif val != expected:
            return False
    return True


# ---------------------------------------------------------------------------
# What vigil writes in an alert: a check naming anything else is not
# evaluated. Paths with [] stand for any index.

PRODUCED = {
    "event_type", "timestamp", "src_ip", "src_port", "dest_ip", "dest_port",
    "proto", "flow_id", "direction", "app_proto",
    "alert", "alert.action", "alert.gid", "alert.signature_id", "alert.rev",
    "alert.signature", "alert.category", "alert.severity", "alert.metadata",
    "dns", "dns.query", "dns.query[]", "dns.query[].type", "dns.query[].id",
    "dns.query[].rrname", "dns.query[].rrtype", "dns.query[].tx_id",
    "dns.answer", "dns.answer.type", "dns.answer.id", "dns.answer.rrname",
    "dns.answer.rrtype", "dns.answer.tx_id", "dns.answer.rcode",
    "dns.answer.answers", "dns.answer.answers[]",
    "dns.answer.answers[].rrname", "dns.answer.answers[].rrtype",
    "dns.answer.answers[].ttl", "dns.answer.answers[].rdata",
    "tls", "tls.sni", "tls.version", "tls.ja3", "tls.ja3.hash",
    "tls.ja3.string", "tls.ja4",
    "http", "http.hostname", "http.url", "http.http_user_agent",
    "http.http_content_type", "http.http_method", "http.protocol",
    "http.status", "http.length",
}


def field_path(key):
    """`dns.query[0].rrname.__len` -> `dns.query[].rrname`."""
    parts = []
    for part in key.split("."):
        if part == "__len" or part in STRING_OPS or part in COMPARISON:
            break
        parts.append(re.sub(r"\[\d+\]$", "[]", part))
    return ".".join(parts)


def unproduced_fields(match):
    out = []
    for key, expected in match.items():
        names = (expected if isinstance(expected, list) else [expected]) \
            if key in ("has-key", "not-has-key") else [key]
        for n in names:
            path = field_path(str(n))
            if path not in PRODUCED and not path.startswith("alert.metadata."):
                out.append(path)
    return out


def is_alert_filter(match):
    et = match.get("event_type")
    if et is not None:
        return et == "alert"
    keys = [k for k in match if k not in ("has-key", "not-has-key")]
    return bool(keys) and all(k.startswith("alert.") for k in keys)


# ---------------------------------------------------------------------------
# Versions and requirements, as run.py reads them

def parse_version(v, equal=False):
    m = re.search(r"(?:Suricata version |^)(\d+)\.?(\d+)?\.?(\d+)?",
                  str(v).strip())
    if m is None:
        return None
    d = None if equal else 0
    return tuple(int(g) if g else d for g in m.groups())


def version_ok(ours, req, expr):
    want = parse_version(req, expr == "equal")
    if expr == "equal":
        return all(w is None or o == w for o, w in zip(ours, want))
    if expr == "gte":
        return ours >= want
    if expr == "gt":
        return ours > want
    # run.py's is_lt: compares each field on its own
    if ours[0] != want[0]:
        return ours[0] < want[0]
    return ours[1] < want[1] or ours[2] < want[2]


FEATURES = {"HAVE_JA3", "HAVE_JA4", "RUST", "HAVE_LIBJANSSON",
            "HAVE_PCRE2", "HYPERSCAN", "PCAP_SET_BUFF"}


def requires_unmet(req, ours, test_dir):
    """Why `requires` cannot be honoured, or None."""
    for key, val in (req or {}).items():
        if key == "min-version" and not version_ok(ours, val, "gte"):
            return "min-version %s" % val
        if key == "lt-version" and not version_ok(ours, val, "lt"):
            return "lt-version %s" % val
        if key == "gt-version" and not version_ok(ours, val, "gt"):
            return "gt-version %s" % val
        if key == "version" and not version_ok(ours, val, "equal"):
            return "version %s" % val
        if key == "features":
            for f in val:
                if f not in FEATURES:
                    return "feature %s" % f
        if key == "env":
            for e in val:
                if e not in os.environ:
                    return "env %s" % e
        if key == "files":
            for f in val:
                if not os.path.exists(os.path.join(test_dir, f)):
                    return "file %s" % f
        if key in ("script", "lambda"):
            return key
        if key == "os" and not platform.system().lower().startswith(
                str(val).lower()):
            return "os %s" % val
        if key == "arch" and not platform.machine().lower().startswith(
                str(val).lower()):
            return "arch %s" % val
    return None


# Command line arguments of Suricata that change nothing vigil could be
# asked about (checksums are never verified, midstream pickup is always
# on, output and logging settings), or that set variables.
HARMLESS_ARGS = [
    r"-k none", r"-k", r"none", r"-v+", r"--runmode(=.*)?", r"single",
    r"autofp", r"workers", r"--set stream\.midstream=(true|yes)",
    r"--set stream\.midstream-policy=.*",
    r"--set app-layer\.protocols\.http\.libhtp\.default-config\."
    r"response-body-.*", r"--set stats\..*", r"--set logging\..*",
    r"--set outputs\..*", r"--set pcap-file\..*", r"--set classification-file=.*",
    r"--set reference-config-file=.*", r"--set default-rule-path=.*",
    r"--set app-layer\.protocols\.[a-z0-9]+\.enabled=(true|yes)",
    r"--set app-layer\.protocols\.tls\.ja[34]-fingerprints=(true|yes|auto)",
    r"--set flow\.hash-size=.*", r"--set flow\.prealloc=.*",
    r"--set flow\.memcap=.*", r"--set stream\.memcap=.*",
    r"--set stream\.reassembly\.memcap=.*", r"--set detect\.profiling.*",
    r"--set profiling\..*", r"--set vars\.(address|port)-groups\..*",
]
_HARMLESS = [re.compile("^(?:%s)$" % p) for p in HARMLESS_ARGS]


def split_args(args):
    """run.py splits each `args` entry on whitespace; join `--set X`."""
    words = []
    for a in args or []:
        words += [w for w in re.split(r"\s", str(a)) if w != ""]
    out = []
    i = 0
    while i < len(words):
        if words[i] in ("--set", "--runmode", "-k") and i + 1 < len(words):
            out.append(words[i] + " " + words[i + 1] if words[i] != "--runmode"
                       else words[i])
            i += 2
            continue
        out.append(words[i])
        i += 1
    return out


def args_unmet(args):
    for a in split_args(args):
        if not any(r.match(a) for r in _HARMLESS):
            return a.split("=", 1)[0]
    return None


def args_vars(args):
    out = []
    for a in split_args(args):
        m = re.match(r"^--set vars\.(?:address|port)-groups\.([A-Za-z0-9_]+)"
                     r"=(.*)$", a)
        if m:
            out.append("%s=%s" % (m.group(1), m.group(2).strip("'\"")))
    return out


# Settings of a test's suricata.yaml that change what is detected, which
# vigil has no equivalent for.
_CONFIG_UNMET = re.compile(r"(?m)^(packet-alert-max|threshold-file|"
                           r"reputation-files|datasets|host-os-policy):")


def config_unmet(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            m = _CONFIG_UNMET.search(f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def yaml_vars(path):
    """--var NAME=VALUE for the address and port groups of a suricata.yaml."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    m = re.search(r"(?m)^vars:[ \t]*\n((?:[ \t#].*\n|[ \t]*\n)*)", text)
    if m is None:
        return []
    try:
        v = yaml_load("vars:\n" + m.group(1)) or {}
    except YamlError:
        return []
    out = []
    for group in ("address-groups", "port-groups"):
        for name, value in ((v.get("vars") or {}).get(group) or {}).items():
            if isinstance(value, list):
                value = "[" + ",".join(str(x) for x in value) + "]"
            out.append("%s=%s" % (name, value))
    return out


# ---------------------------------------------------------------------------
# One test

class Skip(Exception):
    pass


def rules_file(test_dir, cfg, ours):
    if "rules" in cfg:
        if not cfg["rules"]:
            return None
        return os.path.join(test_dir, cfg["rules"])
    rules = sorted(f for f in os.listdir(test_dir) if f.endswith(".rules"))
    if not rules:
        return None
    if len(rules) > 1 or rules[0].endswith("firewall.rules"):
        raise Skip("firewall rules")
    name = rules[0]
    if name.startswith("min") and not version_ok(ours, name[3:-6], "gte"):
        return None
    return os.path.join(test_dir, name)


def pcap_file(test_dir, cfg):
    if "pcap" in cfg:
        if not cfg["pcap"]:
            raise Skip("no pcap")
        return os.path.join(test_dir, cfg["pcap"])
    pcaps = sorted(f for f in os.listdir(test_dir)
                   if f.endswith(".pcap") or f.endswith(".pcapng"))
    if len(pcaps) != 1:
        raise Skip("no pcap" if not pcaps else "several pcaps")
    return os.path.join(test_dir, pcaps[0])


_SID = re.compile(r"(?:^|[;(\s])sid\s*:\s*(\d+)")
_ACTION = re.compile(r"^\s*(alert|drop|reject|rejectsrc|rejectdst|"
                     r"rejectboth|pass|config)\s")


def rule_lines(path):
    """The rules of a file: (line number, text), continuations joined."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        buf, start = "", 0
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not buf:
                start = n
            if line.endswith("\\"):
                buf += line[:-1]
                continue
            buf += line
            if _ACTION.match(buf):
                out.append((start, buf))
            buf = ""
    return out


def check_rules(vigil, path, env):
    """sids in the file, sids skipped -> (reason, detail), rule texts."""
    p = subprocess.run([vigil, "rules", "check", "--json", path],
                       capture_output=True, env=env, timeout=120)
    if p.returncode not in (0, 3):
        raise RuntimeError("rules check %s: exit %d: %s" % (
            path, p.returncode, p.stderr.decode(errors="replace")[:300]))
    res = json.loads(p.stdout)
    by_line = {}
    for ln, text in rule_lines(path):
        m = _SID.search(text)
        by_line[ln] = (int(m.group(1)) if m else None, text)
    skipped = {}
    skipped_texts = []
    for s in res["skips"]:
        sid = s.get("sid")
        detail = s.get("detail") or ""
        if s.get("reason") == "keyword":
            detail = detail.split(":")[0].strip()
        skipped[sid] = (s.get("reason"), detail)
        if s.get("line") in by_line:
            skipped_texts.append(by_line[s["line"]][1])
    sids = {sid for sid, _ in by_line.values() if sid is not None}
    return sids, skipped, skipped_texts


_FLOWBITS_SET = re.compile(r"flowbits\s*:\s*(set|toggle|unset)\b")


def run_pcap(vigil, rules, pcap, variables, empty_dir, env):
    cmd = [vigil, "pcap", "--json", "--ioc", empty_dir]
    if rules:
        cmd += ["--rules", rules]
    for v in variables:
        cmd += ["--var", v]
    cmd.append(pcap)
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("pcap exit %d: %s" % (
            p.returncode, p.stderr.decode(errors="replace")[-300:]))
    events = []
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.strip():
            events.append(json.loads(line))
    return events


def sids_named(match):
    v = match.get("alert.signature_id")
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    return []


def evaluate(checks, events, ours, loaded_all, skipped, flowbits_lost,
             test_dir):
    """Each check: ("pass"|"fail"|"not", detail)."""
    out = []
    for n, check in enumerate(checks or [], 1):
        if not isinstance(check, dict) or "filter" not in check:
            kind = next(iter(check), "?") if isinstance(check, dict) else "?"
            out.append(("not", "%s check" % kind))
            continue
        f = check["filter"] or {}
        match = f.get("match") or {}
        if f.get("filename") not in (None, "eve.json"):
            out.append(("not", "file %s" % f["filename"]))
            continue
        if not is_alert_filter(match):
            out.append(("not", "not about alerts"))
            continue
        why = requires_unmet(f.get("requires"), ours, test_dir)
        if why:
            out.append(("not", "check requires " + why))
            continue
        missing = unproduced_fields(match)
        if missing:
            out.append(("not", "field " + missing[0]))
            continue
        sids = sids_named(match)
        lost = [s for s in sids if s in skipped]
        if lost:
            out.append(("not", "sid %d skipped (%s: %s)" % (
                lost[0], skipped[lost[0]][0], skipped[lost[0]][1])))
            continue
        if not sids and not loaded_all:
            out.append(("not", "rules skipped"))
            continue
        if flowbits_lost:
            out.append(("not", "a skipped rule sets flowbits"))
            continue
        got = sum(1 for e in events if event_matches(match, e))
        want = f.get("count")
        if got == want:
            out.append(("pass", None))
        else:
            out.append(("fail", "check #%d: expected %s, got %d: %s" % (
                n, want, got, json.dumps(match, sort_keys=True))))
    return out


def skip_reason_from_checks(results, skipped):
    """The one reason a test had no evaluated check."""
    details = [d for r, d in results if r == "not"]
    for d in details:
        if d.startswith("sid ") or d == "rules skipped" or \
                d.startswith("a skipped rule"):
            kws = sorted({"%s: %s" % v for v in skipped.values()})
            return "rules skipped", ", ".join(kws)
    for d in details:
        if d.startswith("field "):
            return "fields not produced", d[6:]
    for d in details:
        if d.startswith("check requires"):
            return "requires", d[len("check requires "):]
    return "no alert checks", ", ".join(sorted(set(details)))


_BODY = re.compile(r"\bfile[._]data\b")
_TO_SERVER = re.compile(r"\b(to_server|from_client)\b")


def fail_hint(rules, skipped):
    """A known difference a failure likely comes from, or None: a rule on
    file_data without a direction inspects response bodies in Suricata,
    request bodies only in vigil (it parses no HTTP response)."""
    for _, text in rule_lines(rules):
        m = _SID.search(text)
        if m and int(m.group(1)) in skipped:
            continue
        if _BODY.search(text) and not _TO_SERVER.search(text):
            return "file_data on responses"
    return None


def run_test(name, test_dir, opts, ours, empty_dir, env):
    res = {"test": name}
    try:
        with open(os.path.join(test_dir, "test.yaml"), encoding="utf-8") as f:
            cfg = yaml_load(f.read()) or {}
        if not isinstance(cfg, dict):
            raise Skip("test.yaml unreadable")
        for key, why in (("command", "command"), ("unix-commands", "unix socket"),
                         ("setup", "setup script")):
            if key in cfg:
                raise Skip(why)
        if cfg.get("exit-code", 0) != 0:
            raise Skip("exit-code")
        if cfg.get("skip") is True or isinstance(cfg.get("skip"), list):
            raise Skip("skip")
        why = requires_unmet(cfg.get("requires"), ours, test_dir)
        if why:
            raise Skip("requires", why)
        why = args_unmet(cfg.get("args"))
        if why:
            raise Skip("args", why)
        why = config_unmet(os.path.join(test_dir, "suricata.yaml"))
        if why:
            raise Skip("suricata.yaml", why)
        if "ips" in os.path.basename(test_dir):
            raise Skip("args", "--simulate-ips")  # run.py adds it by name
        if not any(isinstance(c, dict) and "filter" in c and
                   is_alert_filter((c["filter"] or {}).get("match") or {})
                   for c in cfg.get("checks") or []):
            raise Skip("no alert checks")
        rules = rules_file(test_dir, cfg, ours)
        if rules is None:
            raise Skip("no rules")
        pcap = pcap_file(test_dir, cfg)
        if not os.path.exists(pcap):
            raise Skip("pcap absent")
        sids, skipped, skipped_texts = check_rules(opts.vigil, rules, env)
        variables = yaml_vars(os.path.join(test_dir, "suricata.yaml"))
        variables += args_vars(cfg.get("args"))
        if sids and all(s in skipped for s in sids):
            kws = sorted({"%s: %s" % v for v in skipped.values()})
            raise Skip("rules skipped", ", ".join(kws))
        events = run_pcap(opts.vigil, rules, pcap, variables, empty_dir, env)
        ours_only = [e for e in events
                     if (e.get("alert") or {}).get("gid") in (3, 4)]
        events = [e for e in events if e not in ours_only]
        flowbits_lost = any(_FLOWBITS_SET.search(t) for t in skipped_texts)
        results = evaluate(cfg.get("checks"), events, ours, not skipped,
                           skipped, flowbits_lost, test_dir)
        res["checks"] = [{"result": r, "detail": d} for r, d in results]
        res["evaluated"] = sum(1 for r, _ in results if r != "not")
        res["not_evaluated"] = len(results) - res["evaluated"]
        res["rules_skipped"] = {str(k): "%s: %s" % v
                                for k, v in skipped.items()}
        res["vigil_only_alerts"] = len(ours_only)
        got = collections.Counter((e["alert"]["gid"], e["alert"]["signature_id"])
                                  for e in events if "alert" in e)
        res["alerts"] = {"%d:%d" % k: v for k, v in sorted(got.items())}
        if any(r == "fail" for r, _ in results):
            res["result"] = "fail"
            res["why"] = "; ".join(d for r, d in results if r == "fail")
            res["hint"] = fail_hint(rules, skipped)
        elif res["evaluated"]:
            res["result"] = "pass"
        else:
            res["result"] = "skip"
            res["reason"], res["why"] = skip_reason_from_checks(
                results, skipped)
    except Skip as e:
        res["result"] = "skip"
        res["reason"] = e.args[0]
        res["why"] = e.args[1] if len(e.args) > 1 else ""
    except (YamlError, RuntimeError, ValueError, OSError,
            subprocess.TimeoutExpired) as e:
        res["result"] = "error"
        res["why"] = str(e)
    return res


def find_tests(root, patterns):
    tests = []
    tdir = os.path.join(root, "tests")
    for dirpath, dirnames, filenames in os.walk(tdir, followlinks=True):
        if dirpath == tdir:
            continue
        if "test.yaml" not in filenames:
            continue
        dirnames[:] = []
        rel = os.path.relpath(dirpath, tdir)
        if not patterns or any(p in rel for p in patterns):
            tests.append((rel, dirpath))
    return sorted(tests)


def self_test(root):
    """The YAML subset reader against PyYAML on every test.yaml."""
    try:
        import yaml  # only for this check; the runner never needs it
    except ImportError:
        print("PyYAML is not installed: nothing to compare with")
        return 0
    bad = 0
    tests = find_tests(root, [])
    for rel, d in tests:
        with open(os.path.join(d, "test.yaml"), "rb") as f:
            raw = f.read()
        try:
            want = yaml.safe_load(raw)
        except yaml.YAMLError:
            continue
        try:
            got = yaml_load(raw.decode("utf-8"))
        except YamlError as e:
            got = "error: %s" % e
        if got != want:
            bad += 1
            print("%s: differs\n  pyyaml: %r\n  ours:   %r" % (rel, want, got))
    for rel, d in tests:
        p = os.path.join(d, "suricata.yaml")
        if not os.path.exists(p):
            continue
        try:
            with open(p, "rb") as f:
                want = (yaml.safe_load(f.read()) or {}).get("vars") or {}
        except yaml.YAMLError:
            continue
        ours = sorted(yaml_vars(p))
        exp = []
        for group in ("address-groups", "port-groups"):
            for k, v in (want.get(group) or {}).items():
                if isinstance(v, list):
                    v = "[" + ",".join(str(x) for x in v) + "]"
                exp.append("%s=%s" % (k, v))
        if ours != sorted(exp):
            bad += 1
            print("%s/suricata.yaml vars differ: %r vs %r" % (rel, ours, exp))
    print("%d test.yaml files compared, %d differ" % (len(tests), bad))
    return 1 if bad else 0


def summary(results):
    s = collections.OrderedDict()
    s["considered"] = len(results)
    s["passed"] = sum(1 for r in results if r["result"] == "pass")
    s["passed_all_checks"] = sum(1 for r in results if r["result"] == "pass"
                                 and r["not_evaluated"] == 0)
    s["failed"] = sum(1 for r in results if r["result"] == "fail")
    s["failed_by_hint"] = dict(collections.Counter(
        r.get("hint") or "other" for r in results
        if r["result"] == "fail").most_common())
    s["errors"] = sum(1 for r in results if r["result"] == "error")
    reasons = collections.Counter(r["reason"] for r in results
                                  if r["result"] == "skip")
    s["skipped"] = sum(reasons.values())
    s["skipped_by_reason"] = dict(reasons.most_common())
    details = collections.Counter()
    for r in results:
        if r["result"] == "skip" and r["reason"] in ("requires", "args",
                                                      "suricata.yaml"):
            details["%s %s" % (r["reason"], r["why"])] += 1
        if r["result"] == "skip" and r["reason"] == "rules skipped":
            for kw in r["why"].split(", "):
                details["rules skipped: " + kw] += 1
    s["skipped_details"] = dict(details.most_common())
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suricata-verify", default="/var/tmp/suricata-verify",
                    help="a work tree of OISF/suricata-verify")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--vigil", default=os.path.join(
        here, "..", "..", "build-rel", "vigil-agent"))
    ap.add_argument("--as-version", default="8.0.0",
                    help="the Suricata version vigil answers requires as")
    ap.add_argument("-j", type=int, default=4)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", action="store_true",
                    help="also list passed tests and skip details")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("patterns", nargs="*")
    opts = ap.parse_args()
    root = os.path.abspath(opts.suricata_verify)
    if opts.self_test:
        return self_test(root)
    if not os.access(opts.vigil, os.X_OK):
        ap.error("%s: not an executable" % opts.vigil)
    opts.vigil = os.path.abspath(opts.vigil)
    ours = parse_version(opts.as_version)
    tests = find_tests(root, opts.patterns)
    env = dict(os.environ, TZ="UTC")
    with tempfile.TemporaryDirectory(prefix="svf-") as empty:
        env["HOME"] = empty
        ioc = os.path.join(empty, "ioc")
        os.mkdir(ioc)
        with concurrent.futures.ThreadPoolExecutor(opts.j) as ex:
            results = list(ex.map(lambda t: run_test(t[0], t[1], opts, ours,
                                                     ioc, env), tests))
    s = summary(results)
    commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    if opts.json:
        json.dump({"suricata_verify": commit, "as_version": opts.as_version,
                   "summary": s, "tests": results}, sys.stdout, indent=1)
        print()
        return 1 if s["failed"] or s["errors"] else 0
    for r in results:
        if r["result"] == "pass":
            if opts.v:
                print("PASS %s (%d checks, %d not evaluated)" % (
                    r["test"], r["evaluated"], r["not_evaluated"]))
        elif r["result"] == "skip":
            if opts.v:
                print("SKIP %s: %s%s" % (r["test"], r["reason"],
                                         ": " + r["why"] if r["why"] else ""))
        else:
            print("%s %s: %s%s" % (r["result"].upper(), r["test"], r["why"],
                                   " [%s]" % r["hint"] if r.get("hint")
                                   else ""))
            if r.get("alerts") is not None:
                print("     got alerts (gid:sid count): %s" %
                      (json.dumps(r["alerts"]) if r["alerts"] else "none"))
    print("suricata-verify %s, as Suricata %s" % (commit[:12], opts.as_version))
    print("considered %d: passed %d (all checks evaluated: %d), failed %d, "
          "errors %d, skipped %d" % (s["considered"], s["passed"],
                                     s["passed_all_checks"], s["failed"],
                                     s["errors"], s["skipped"]))
    for k, v in s["failed_by_hint"].items():
        print("  failed, %s: %d" % (k, v))
    for k, v in s["skipped_by_reason"].items():
        print("  skipped, %s: %d" % (k, v))
    if opts.v:
        for k, v in s["skipped_details"].items():
            print("    %s: %d" % (k, v))
    return 1 if s["failed"] or s["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
