/* log.c: one line per event, to syslog (facility mail, with the pid) or,
   in the foreground, to stderr with a syslog-like timestamp.  Any thread
   may log at any time.  Control characters in a message (which may carry
   a customer's subject) are replaced by '?', so one event stays one line
   and nobody can forge a log line.  It does no rotation, buffering or
   filtering by level: syslog and the service manager do that. */

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Readers log, log_open writes: openlog(3) keeps the ident pointer. */
static GRWLock log_lock;
static char *log_ident;
static bool log_to_stderr = true;

void log_open(const char *ident, bool foreground)
{
	g_rw_lock_writer_lock(&log_lock);
	if (!log_to_stderr)
		closelog();
	g_free(log_ident);
	log_ident = g_strdup(ident);
	log_to_stderr = foreground;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	g_rw_lock_writer_unlock(&log_lock);
}

/* "Nov 22 11:02:53", in the C locale whatever the environment says. */
static void format_stamp(char *buf, size_t size)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	snprintf(buf, size, "%s %2d %02d:%02d:%02d", months[tm.tm_mon],
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void log_write(int priority, const char *fmt, va_list args)
	G_GNUC_PRINTF(2, 0);

static void log_write(int priority, const char *fmt, va_list args)
{
	int saved_errno = errno;
	char *text = g_strdup_vprintf(fmt, args);
	const char *ident;
	char stamp[32];
	char *line;

	for (char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	g_rw_lock_reader_lock(&log_lock);
	if (log_to_stderr) {
		ident = log_ident != NULL ? log_ident : g_get_prgname();
		format_stamp(stamp, sizeof(stamp));
		/* One fputs per line: stdio's lock keeps lines whole. */
		line = g_strdup_printf("%s %s[%ld]: %s\n", stamp,
				       ident != NULL ? ident : "shopdesk",
				       (long)getpid(), text);
		fputs(line, stderr);
		g_free(line);
	} else {
		syslog(priority, "%s", text);
	}
	g_rw_lock_reader_unlock(&log_lock);
	g_free(text);
	errno = saved_errno;
}

void log_info(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_write(LOG_INFO, fmt, args);
	va_end(args);
}

void log_warning(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_write(LOG_WARNING, fmt, args);
	va_end(args);
}

void log_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_write(LOG_ERR, fmt, args);
	va_end(args);
}
