/*
 * clock.h: the monotonic clock in milliseconds, for timeouts, rate limits
 * and intervals (never for timestamps that leave the process: those are
 * wall-clock, event_now_us()). Any thread.
 */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ms: never goes back, unaffected by clock steps. */
int64_t	clock_mono_ms(void);

#endif
