/*
 * incident_cmd.h: the responder's command line on the incident register
 * and its audit log (docs/incidents.md):
 *
 *   vigil-collector incidents list|show|open|ack|assign|status|note|
 *       resolve|merge|reported ...
 *   vigil-collector audit verify [--json] [--head HASH]
 *
 * main.c hands over the words from the command on (argv[0] is
 * "incidents" or "audit") and a struct cmd_host for the global options
 * and the store. The return value is the exit status: 0 done, 1 an
 * error (no such incident, a change not allowed in its state, the
 * database), 2 a usage error, 3 (audit verify) the chain is broken.
 */
#ifndef VIGIL_INCIDENT_CMD_H
#define VIGIL_INCIDENT_CMD_H

#include "cmd.h"

#define AUDIT_EXIT_BROKEN	3

int	incident_cmd_run(const struct cmd_host *, int argc, char **argv);
int	audit_cmd_run(const struct cmd_host *, int argc, char **argv);

#endif
