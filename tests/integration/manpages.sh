#!/usr/bin/env bash
# The manual pages (docs/man/): each renders without a warning (groff
# -ww, and man -l), every command and option the programs' help prints
# appears in its program's page, and every configuration key
# common/config.c accepts appears, under its section, in agent.conf(5)
# or collector.conf(5). A word left out of a page fails, named.
set -u
. "$(dirname "$0")/lib.sh"

MAN=$SRC/docs/man
command -v groff >/dev/null || { echo "FAIL: groff missing (scripts/deps installs groff-base)"; exit 1; }

render() {	# the page as plain text, one long line per paragraph
	groff -man -Tutf8 -rHY=0 -rLL=400n -P-cbou "$1" 2>/dev/null |
		sed -e 's/\xe2\x80\x90/-/g' -e 's/\xe2\x88\x92/-/g' >"$2"
}
quiet() {	# renders, with no warning on stderr
	local err
	err=$(groff -man -Tutf8 -ww -z "$1" 2>&1) && [ -z "$err" ] ||
		{ log "groff on $1: $err"; return 1; }
	if command -v man >/dev/null; then
		err=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null) &&
			[ -z "$err" ] || { log "man -l $1: $err"; return 1; }
	fi
}
for p in vigil-agent.8 vigil-collector.8 agent.conf.5 collector.conf.5; do
	check "$p renders without warnings" quiet "$MAN/$p"
	render "$MAN/$p" "$T/$p.txt"
done

# words: every option (-x, --long) in a help text, the commands of a
# command list, and the subcommand words of a usage line
cat >"$T/words.py" <<'EOF'
import re, subprocess, sys

OPT = re.compile(r'(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)')

def run(*argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.stdout + r.stderr

def options(text):
    return set(OPT.findall(text))

def listed(text, header):
    """First words of the indented lines under header (a command list)."""
    out, inside = set(), False
    for line in text.splitlines():
        if line.strip().lower() == header:
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            m = re.match(r'^  ([a-z][a-z-]*)\b', line)
            if m:
                out.add(m.group(1))
    return out

def usage_words(text, cmd):
    """The lower-case words after cmd on the usage line: baseline|check."""
    m = re.search(r'usage: \S+.*?\b' + re.escape(cmd) + r'\b ([a-z|]+)', text)
    return set(m.group(1).split('|')) if m else set()

def check(page, words, what):
    text = open(page).read()
    missing = sorted(w for w in words
                     if not re.search(r'(?<![\w-])' + re.escape(w) + r'(?![\w-])', text))
    for w in missing:
        print(f'  {what}: "{w}" is not in {page.rsplit("/", 1)[-1]}')
    return not missing

def program(binary, page, header, sub=None):
    main = run(binary, '--help')
    cmds = listed(main, header)
    words = options(main) | cmds
    assert cmds, f'no commands found in {binary} --help'
    for c in sorted(cmds):
        h = run(binary, c, '--help')
        words |= options(h) | usage_words(h, c)
        if c == sub:	# a command with commands of its own
            words |= {w for w in listed(h.replace(h.splitlines()[0], 'commands:', 1), 'commands:')}
    return check(page, words, binary.rsplit('/', 1)[-1])

def config(src, tdir):
    c = open(src + '/common/config.c').read()
    keys = {'agent.conf.5': set(), 'collector.conf.5': set()}
    for kind, sec, key in re.findall(r'\b([AC])\("([a-z_]+)", "([a-z_]+)"', c):
        keys['agent.conf.5' if kind == 'A' else 'collector.conf.5'].add((sec, key))
    for key in re.findall(r'\bO\("([a-z_]+)"', c):
        keys['collector.conf.5'].add(('office', key))
    ok = True
    for page, ks in keys.items():
        assert ks, 'no keys found in config.c'
        text = open(f'{tdir}/{page}.txt').read()
        # each key within its section: from "[sec]" to the next heading
        for sec in sorted({s for s, _ in ks}):
            m = re.search(r'^\[' + sec + r'\]$(.*?)(?=^\S|\Z)', text, re.M | re.S)
            if not m:
                print(f'  {page}: no section [{sec}]')
                ok = False
                continue
            body = m.group(1)
            for s, k in sorted(ks):
                if s == sec and not re.search(r'(?<![\w-])' + k + r'(?![\w-])', body):
                    print(f'  {page}: [{sec}] {k} is missing')
                    ok = False
    return ok

bindir, src, tdir, which = sys.argv[1:5]
if which == 'agent':
    ok = program(bindir + '/vigil-agent', tdir + '/vigil-agent.8.txt', 'commands:')
elif which == 'collector':
    ok = program(bindir + '/vigil-collector', tdir + '/vigil-collector.8.txt',
                 'commands:', sub='incidents')
else:
    ok = config(src, tdir)
sys.exit(0 if ok else 1)
EOF
words() { python3 "$T/words.py" "$BIN" "$SRC" "$T" "$1"; }
check "vigil-agent(8) has every command and option of its help" words agent
check "vigil-collector(8) has every command and option of its help" words collector
check "agent.conf(5), collector.conf(5) have every key, in its section" words config
finish
