/*
 * export.h: `vigil-collector export` (docs/incidents.md, "Export").
 *
 *   export --since T [--until T] [--what events|incidents]
 *          [--format eve|csv] [-o FILE]
 *
 * Events as EVE JSON lines (as `events --json` prints them) or CSV;
 * incidents as JSON lines (as `incidents list --json`) or CSV. Rows are
 * streamed from the store through prepared statements, so memory does
 * not grow with the export, and it runs beside a running collector
 * (one read snapshot, WAL). Exit 0 done, 1 error, 2 usage.
 */
#ifndef VIGIL_EXPORT_H
#define VIGIL_EXPORT_H

#include "cmd.h"

int	export_cmd_run(const struct cmd_host *, int argc, char **argv);

#endif
