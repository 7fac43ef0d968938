/*
 * fuzz_scanner.c: libFuzzer target for agent/files/scanner.c, the code that
 * reads file content and rule output on the agent's side.
 *
 * Like fuzz_config.c it #includes the module to reach its static parts.
 * Each input is, at once:
 *  - a file: scanned with the default rules (rules/yara/, loaded once)
 *    and an indicator list (the SHA-256 of the empty file, under a list
 *    name and note that are not UTF-8) through a memfd, as
 *    scanner_scan_fd() sees a descriptor from fanotify; every event
 *    built for a match, a listed hash or a problem must be valid for
 *    event_parse (the collector's validator);
 *  - a string (up to its first NUL) for the JSON escaping of paths and
 *    meta: the result must be a JSON string jansson accepts, and
 *    unescaping it must give back the bytes;
 *  - a file name for the extension and file-type guesses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scanner.c"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct scanner	*fz_sc;
static struct iocdb	*fz_ioc;

/* The list, written to a folder of its own and loaded. */
static struct iocdb *
load_list(void)
{
	char		 dir[] = "/tmp/fuzz_scanner.XXXXXX", path[PATH_MAX];
	const char	*p = path;
	struct iocdb	*db = NULL;
	FILE		*f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/hashes\xff.txt", dir);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "e3b0c44298fc1c149"
	    "afbf4c8996fb92427ae41e4649b934ca495991b7852b855 n\xfeote\n") < 0 ||
	    fclose(f) != 0 || iocdb_load(&db, &p, 1, NULL, NULL, NULL) != 0)
		abort();
	(void)unlink(path);
	(void)rmdir(dir);
	return db;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct scanner_opts	 o = { .max_size = 1 << 20,
	    .timeout = 5 };
	const char		*slash = strrchr(__FILE__, '/');
	const char		*env = getenv("VIGIL_RULES_DIR");
	char			 dir[PATH_MAX];
	const char		*paths[1] = { dir };

	log_init("fuzz_scanner", LOG_LVL_ERROR, 0);
	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else	/* tests/fuzz/fuzz_scanner.c -> rules/yara */
		snprintf(dir, sizeof(dir), "%.*s/../../rules/yara",
		    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	if (scanner_global_init() != 0)
		abort();
	o.ioc = fz_ioc = load_list();
	if (scanner_load(&fz_sc, paths, 1, &o) != 0) {
		fprintf(stderr, "fuzz_scanner: cannot load %s\n", dir);
		abort();
	}
	return 0;
}

/* The bytes back from jstr()'s escaped form. */
static size_t
unescape(char *out, const char *s)
{
	size_t	n = 0;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			out[n++] = (char)strtoul((char[3]){ s[2], s[3], 0 },
			    NULL, 16);
			s += 4;
		} else
			out[n++] = *s++;
	}
	return n;
}

static void
check_escape(const char *s)
{
	json_t	*j;
	char	*back;
	size_t	 n = strnlen(s, PATH_MAX);
	int	 esc = 0;

	if ((j = jstr(s, PATH_MAX, &esc)) == NULL)
		abort();		/* jansson refused our "UTF-8" */
	if (!esc && (json_string_length(j) != n ||
	    memcmp(json_string_value(j), s, n) != 0))
		abort();
	if (esc) {
		if ((back = malloc(json_string_length(j) + 1)) == NULL)
			abort();
		if (unescape(back, json_string_value(j)) != n ||
		    memcmp(back, s, n) != 0)
			abort();
		free(back);
	}
	json_decref(j);
}

/* Takes ev (NULL: none). */
static void
check_json(json_t *ev)
{
	struct event_meta	 meta;
	char			*text;
	size_t			 len;

	if (ev == NULL)
		return;
	if ((text = event_dump(ev, &len)) != NULL &&
	    event_parse(&meta, text, len, NULL) != 0)
		abort();
	free(text);
	json_decref(ev);
}

static void
check_event(const struct scanner_result *r, const struct scanner_match *m)
{
	check_json(scanner_event(r, m));
}

static void
scan_content(const uint8_t *data, size_t size)
{
	struct scanner_result	r;
	size_t			i;
	int			fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		scanner_scan_fd(fz_sc, &r, fd, "/media/usb/fuzz.bin");
		for (i = 0; i < r.nmatches; i++)
			check_event(&r, &r.matches[i]);
		check_json(scanner_ioc_event(&r));
		if ((size == 0) != (r.ioc.list != NULL))
			abort();	/* only the empty file is listed */
		if (r.status != SCAN_CLEAN && r.status != SCAN_MATCH)
			check_event(&r, NULL);
		scanner_result_clear(&r);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, ext[NAME_MAX + 1], dir[PATH_MAX];

	scan_content(data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_escape(s);
	path_ext(ext, sizeof(ext), s);
	if (strlen(ext) >= sizeof(ext))
		abort();
	path_dir(dir, sizeof(dir), s);
	(void)filetype_guess(data, size < MAGIC_LEN ? size : MAGIC_LEN);
	free(s);
	return 0;
}
