/*
 * rules_cmd.h: `vigil-agent rules check`, the traffic rules as the
 * daemon would load them (detect.h, docs/rules.md).
 *
 *   vigil-agent rules check [--json] [--var NAME=VALUE]...
 *       [--classification FILE] FILE|DIR...
 *
 * Every skipped rule is reported, one line each, like a compiler:
 * "FILE:LINE: sid N: skipped: REASON: DETAIL", then a summary of the
 * loaded and skipped counts by reason on standard output. --json prints
 * one object instead: loaded, skipped, files, skipped_by_reason,
 * skipped_by_keyword (the keywords behind reason "keyword") and skips
 * (file, line, sid, reason, detail each).
 *
 * argv[0] is "rules". Returns the exit status: 0 everything loaded, 3
 * some rules were skipped, 1 an error (a path that cannot be read, a bad
 * variable), 2 a usage error. The caller has called log_init() and
 * sodium_init().
 */
#ifndef VIGIL_RULES_CMD_H
#define VIGIL_RULES_CMD_H

int	rules_cmd_main(int argc, char **argv);

#endif
