/* mlfi.c: the libmilter callbacks of shopdesk-milter.  They collect the
   envelope, the headers (up to header_max) and the body (in memory up to
   body_memory_max, then in an unlinked temporary file), and at end of
   message parse it with GMime, hand the fields to intake (which threads
   and stores the ticket durably), and edit the headers.

   Mail that names no branded address is accepted untouched at the end
   of the headers.  Any failure of ours maps, in fail_action(), to the
   configured on_error action: shopdesk never bounces mail that Postfix
   would have delivered.  No network I/O and no child processes here. */

#include "mlfi.h"
#include "ack.h"
#include "autoreply.h"
#include "category.h"
#include "channel.h"
#include "command.h"
#include "hours.h"
#include "intake.h"
#include "language.h"
#include "log.h"
#include "msgtext.h"
#include "outbox.h"
#include "spool.h"
#include "subject.h"
#include "threadhdr.h"

#include <gmime/gmime.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#define REFERENCES_MAX 64
#define SNIPPET_BYTES 512
#define HEADER_PREFIX "X-Shopdesk-"

static const struct config *config;
static struct store *store;
static const struct token_key *token_key;
static GHashTable *queue_hours;	/* queue name -> struct hours */
static struct ack_templates *templates;
static struct language *languages;
static struct category_rules *categories;
static struct spool *outbox;
static GPtrArray *trusted;	/* GInetAddressMask * */

/* One message: from MAIL FROM to end of message or abort. */
struct msgctx {
	char *envelope_from;
	const struct config_queue *queue;	/* first branded rcpt */
	char *queue_rcpt;			/* that recipient */
	char *agent;		/* SASL login or trusted address, or NULL */
	GPtrArray *customers;	/* recipients that are no queue's */
	GPtrArray *customer_rcpts;	/* the same as Postfix gave them */
	GPtrArray *tokens;		/* extensions of branded rcpts */
	GString *headers;		/* "Name: value\r\n", bounded */
	GPtrArray *strip;		/* X-Shopdesk-* names seen */
	unsigned int subject_count;
	unsigned int essential_kept;	/* bits of essential_headers[] */
	bool headers_full;		/* header_max reached */
	bool has_message_id;
	bool message_id_usable;		/* the first one's */
	GChecksum *fingerprint;		/* when that is not usable */
	GByteArray *body;		/* NULL once spilled to body_fd */
	int body_fd;
	size_t body_size;
	bool body_dropped;		/* past parse_max or write failed */
};

/* One SMTP connection. */
struct connctx {
	struct msgctx *msg;
	GInetAddress *client;	/* NULL when not an IP connection */
	/* Postfix's local submission (sendmail(1), pickup): cleanup then
	   presents the client as localhost, 127.0.0.1, port 0, which no
	   SMTP client can be.  Only such mail may come from a messenger
	   customer's address: the bridge submits it so. */
	bool local;
};

/* Fields read from the parsed message, borrowed from it. */
struct fields {
	const char *message_id;
	GPtrArray *references;
	const char *subject;
	const char *content_language;
	const char *from_name;
	char *from_address;
	int64_t date;
	bool date_known;
	int date_offset;	/* the Date: header's, seconds east of UTC */
	const char *references_header;
	char *snippet;
	const char *language;	/* the customer's, by language.h */
	const char *category;	/* by category.h */
	const char *answer;	/* its canned answer, or NULL */
	const char *channel;	/* "email", or the messenger's name */
	const char *ack_refusal;	/* why RFC 3834 says no, or NULL */
	const char *no_reopen;	/* why this mail reopens nothing, or NULL */
};

static void hours_destroy(gpointer data)
{
	struct hours *hours = data;

	hours_free(&hours);
}

int mlfi_setup(const struct config *c, struct store *s,
	       const struct token_key *k, char **error_r)
{
	char *dir;
	int ret;

	config = c;
	store = s;
	token_key = k;
	queue_hours = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    hours_destroy);
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		struct hours *hours;
		char *error;

		if (hours_parse(q->hours, q->timezone, q->holidays, &hours,
				&error) < 0) {
			*error_r = g_strdup_printf("[queue %s]: %s", q->name,
						   error);
			g_free(error);
			return -1;
		}
		g_hash_table_insert(queue_hours, q->name, hours);
	}
	if (ack_templates_load(config->templates_dir, &templates,
			       error_r) < 0 ||
	    language_open(config->templates_dir, TEXTCAT_DATADIR, &languages,
			  error_r) < 0 ||
	    category_load(config->templates_dir, &categories, error_r) < 0)
		return -1;
	trusted = g_ptr_array_new_with_free_func(g_object_unref);
	for (unsigned int i = 0; config->trusted_networks[i] != NULL; i++)
		g_ptr_array_add(trusted, g_inet_address_mask_new_from_string(
					config->trusted_networks[i], NULL));
	dir = g_build_filename(config->spool_dir, "outbox", NULL);
	ret = spool_open(dir, false, &outbox, error_r);
	g_free(dir);
	return ret;
}

void mlfi_teardown(void)
{
	g_hash_table_unref(queue_hours);
	ack_templates_free(&templates);
	language_close(&languages);
	category_free(&categories);
	spool_close(&outbox);
	g_ptr_array_unref(trusted);
}

static void msgctx_free(struct msgctx **_msg)
{
	struct msgctx *msg = *_msg;

	if (msg == NULL)
		return;
	*_msg = NULL;
	g_free(msg->envelope_from);
	g_free(msg->queue_rcpt);
	g_free(msg->agent);
	g_ptr_array_unref(msg->customers);
	g_ptr_array_unref(msg->customer_rcpts);
	g_ptr_array_unref(msg->tokens);
	g_string_free(msg->headers, TRUE);
	g_ptr_array_unref(msg->strip);
	if (msg->fingerprint != NULL)
		g_checksum_free(msg->fingerprint);
	if (msg->body != NULL)
		g_byte_array_unref(msg->body);
	if (msg->body_fd >= 0)
		close(msg->body_fd);
	g_free(msg);
}

static struct connctx *connctx_get(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn == NULL) {
		conn = g_new0(struct connctx, 1);
		smfi_setpriv(ctx, conn);
	}
	return conn;
}

static const char *queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return id != NULL ? id : "NOQUEUE";
}

/* The queue's promise for a message received now, or 0 (with a log
   line) if it cannot be computed. */
static int64_t reply_by(SMFICTX *ctx, const struct config_queue *queue,
			int64_t now)
{
	const struct hours *hours = g_hash_table_lookup(queue_hours,
							queue->name);
	int64_t deadline;
	char *error;

	if (hours_deadline(hours, now, queue->sla_first_reply, &deadline,
			   &error) < 0) {
		log_warning("%s: [queue %s] no reply-by time: %s",
			    queue_id(ctx), queue->name, error);
		g_free(error);
		return 0;
	}
	return deadline;
}

/* "2026-11-24T13:00:00+02:00": in the queue's zone, as the promise is
   made in the queue's hours. */
static char *format_reply_by(const char *queue_name, int64_t t)
{
	const struct hours *hours = g_hash_table_lookup(queue_hours,
							queue_name);
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(
		utc, hours != NULL ? hours_timezone(hours) :
		g_date_time_get_timezone(utc));
	char *text = g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z");

	g_date_time_unref(local);
	g_date_time_unref(utc);
	return text;
}

/* The one place where our own failures become a milter answer. */
static sfsistat fail_action(SMFICTX *ctx, const char *why)
{
	if (config->on_error == CONFIG_ON_ERROR_TEMPFAIL) {
		log_error("%s: error: %s; temporary failure, the sender will "
			  "retry", queue_id(ctx), why);
		return SMFIS_TEMPFAIL;
	}
	log_error("%s: error: %s; accepted without ticket", queue_id(ctx),
		  why);
	return SMFIS_ACCEPT;
}

static char *strip_brackets(const char *address)
{
	size_t len = strlen(address);

	if (len >= 2 && address[0] == '<' && address[len - 1] == '>')
		return g_strndup(address + 1, len - 2);
	return g_strdup(address);
}

/* An agent is who authenticated, or a listed address from a trusted
   network: never anything in the headers.  Returns the login or the
   address, or NULL. */
static char *agent_of(SMFICTX *ctx, const struct connctx *conn,
		      const char *sender)
{
	const char *login = smfi_getsymval(ctx, "{auth_authen}");
	char *lower;

	if (login != NULL && *login != '\0')
		return g_strdup(login);
	if (conn->client == NULL)
		return NULL;
	lower = g_ascii_strdown(sender, -1);
	if (g_strv_contains((const char *const *)config->agents, lower)) {
		for (unsigned int i = 0; i < trusted->len; i++) {
			if (g_inet_address_mask_matches(trusted->pdata[i],
							conn->client))
				return lower;
		}
	}
	g_free(lower);
	return NULL;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname,
			     struct sockaddr *addr)
{
	struct connctx *conn = connctx_get(ctx);
	gsize size = 0;
	GSocketAddress *sa;

	if (addr == NULL)
		return SMFIS_CONTINUE;
	if (addr->sa_family == AF_INET)
		size = sizeof(struct sockaddr_in);
	else if (addr->sa_family == AF_INET6)
		size = sizeof(struct sockaddr_in6);
	if (size == 0)
		return SMFIS_CONTINUE;
	sa = g_socket_address_new_from_native(addr, size);
	if (sa != NULL && G_IS_INET_SOCKET_ADDRESS(sa)) {
		GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(sa);

		conn->client = g_object_ref(g_inet_socket_address_get_address(
			isa));
		conn->local = g_inet_socket_address_get_port(isa) == 0 &&
			g_inet_address_get_is_loopback(conn->client) &&
			g_strcmp0(hostname, "localhost") == 0;
	}
	if (sa != NULL)
		g_object_unref(sa);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *conn = connctx_get(ctx);
	struct msgctx *msg;

	msgctx_free(&conn->msg);
	msg = g_new0(struct msgctx, 1);
	msg->envelope_from = strip_brackets(argv[0] != NULL ? argv[0] : "");
	msg->agent = agent_of(ctx, conn, msg->envelope_from);
	msg->customers = g_ptr_array_new_with_free_func(g_free);
	msg->customer_rcpts = g_ptr_array_new_with_free_func(g_free);
	msg->tokens = g_ptr_array_new_with_free_func(g_free);
	msg->headers = g_string_new(NULL);
	msg->strip = g_ptr_array_new_with_free_func(g_free);
	msg->body = g_byte_array_new();
	msg->body_fd = -1;
	conn->msg = msg;
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct msgctx *msg = connctx_get(ctx)->msg;
	const struct config_queue *queue;
	const char *extension;
	size_t extension_len;
	char *rcpt;

	if (msg == NULL)
		return fail_action(ctx, "recipient without sender");
	rcpt = strip_brackets(argv[0] != NULL ? argv[0] : "");
	queue = config_find_queue(config, rcpt, &extension, &extension_len);
	if (queue != NULL) {
		if (msg->queue == NULL) {
			msg->queue = queue;
			msg->queue_rcpt = g_strdup(rcpt);
		}
		if (extension != NULL && extension_len > 0)
			g_ptr_array_add(msg->tokens,
					g_ascii_strdown(extension,
							extension_len));
	} else {
		g_ptr_array_add(msg->customers, g_ascii_strdown(rcpt, -1));
		g_ptr_array_add(msg->customer_rcpts, g_strdup(argv[0]));
	}
	g_free(rcpt);
	return SMFIS_CONTINUE;
}

/* Headers that threading and the ticket need.  The first of each is
   kept even past header_max (the milter protocol bounds each value), so
   that a flood of other headers cannot hide the Subject, say, and have
   it replaced by a bare tag. */
static const char *const essential_headers[] = {
	"Subject", "From", "Message-ID", "In-Reply-To", "References", "Date",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

static bool first_essential(struct msgctx *msg, const char *name)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(essential_headers); i++) {
		if (g_ascii_strcasecmp(name, essential_headers[i]) != 0)
			continue;
		if ((msg->essential_kept & (1u << i)) != 0)
			return false;
		msg->essential_kept |= 1u << i;
		return true;
	}
	return false;
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct msgctx *msg = connctx_get(ctx)->msg;
	size_t size;

	if (msg == NULL)
		return fail_action(ctx, "header without sender");
	if (g_ascii_strncasecmp(name, HEADER_PREFIX,
				strlen(HEADER_PREFIX)) == 0) {
		/* Only shopdesk writes these: whatever came from outside is
		   removed at end of message, and not believed meanwhile. */
		g_ptr_array_add(msg->strip, g_strdup(name));
		return SMFIS_CONTINUE;
	}
	if (g_ascii_strcasecmp(name, "Subject") == 0)
		msg->subject_count++;
	else if (g_ascii_strcasecmp(name, "Message-ID") == 0 &&
		 !msg->has_message_id) {
		char *id = g_mime_utils_decode_message_id(value);

		msg->has_message_id = true;
		msg->message_id_usable = thread_message_id_usable(id);
		g_free(id);
	}
	size = strlen(name) + strlen(value) + 4;
	if (msg->headers->len + size > config->header_max)
		msg->headers_full = true;	/* keep no more, in order */
	if (!msg->headers_full || first_essential(msg, name)) {
		g_string_append(msg->headers, name);
		g_string_append(msg->headers, ": ");
		g_string_append(msg->headers, value);
		g_string_append(msg->headers, "\r\n");
	}
	return SMFIS_CONTINUE;
}

static void start_fingerprint(struct msgctx *msg)
{
	msg->fingerprint = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(msg->fingerprint,
			  (const guchar *)msg->envelope_from, -1);
	g_checksum_update(msg->fingerprint, (const guchar *)msg->headers->str,
			  msg->headers->len);
}

/* The content's digest; from the headers alone when the Message-ID
   looked usable at end of headers but not to the MIME parser. */
static const char *fingerprint(struct msgctx *msg)
{
	if (msg->fingerprint == NULL)
		start_fingerprint(msg);
	return g_checksum_get_string(msg->fingerprint);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct msgctx *msg = connctx_get(ctx)->msg;

	if (msg == NULL)
		return fail_action(ctx, "end of headers without sender");
	if (msg->queue == NULL && msg->agent == NULL) {
		/* Not ours: untouched, unless it carries headers that claim
		   to be shopdesk's, which go wherever the mail goes (Sieve
		   files by them). */
		return msg->strip->len == 0 ? SMFIS_ACCEPT : SMFIS_CONTINUE;
	}
	/* A retried message without a usable Message-ID must still find
	   its ticket: it gets an id derived from its content, hashed as the
	   body passes (only then: most mail has a good Message-ID). */
	if (!msg->message_id_usable)
		start_fingerprint(msg);
	return SMFIS_CONTINUE;
}

/* Moves the body from memory to an unlinked temporary file, so that
   memory does not grow with the size of the message. */
static int spill_body(struct msgctx *msg, const char **error_r)
{
	char *path = g_build_filename(config->state_dir, "tmp",
				      "body.XXXXXX", NULL);
	int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		*error_r = g_strerror(errno);
		g_free(path);
		return -1;
	}
	unlink(path);
	g_free(path);
	if (write(fd, msg->body->data, msg->body->len) !=
	    (ssize_t)msg->body->len) {
		*error_r = errno != 0 ? g_strerror(errno) : "short write";
		close(fd);
		return -1;
	}
	g_byte_array_unref(msg->body);
	msg->body = NULL;
	msg->body_fd = fd;
	return 0;
}

static void drop_body(struct msgctx *msg)
{
	if (msg->body != NULL)
		g_byte_array_set_size(msg->body, 0);
	if (msg->body_fd >= 0) {
		close(msg->body_fd);
		msg->body_fd = -1;
	}
	msg->body_dropped = true;
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct msgctx *msg = connctx_get(ctx)->msg;
	const char *error;

	if (msg == NULL)
		return fail_action(ctx, "body without sender");
	if (msg->queue == NULL && msg->agent == NULL)
		return SMFIS_CONTINUE;	/* only here to strip headers */
	if (msg->fingerprint != NULL)
		g_checksum_update(msg->fingerprint, chunk, len);
	msg->body_size += len;
	if (msg->body_dropped)
		return SMFIS_CONTINUE;
	if (msg->body_size > config->parse_max) {
		log_info("%s: body over parse_max (%zu bytes): ticket from "
			 "headers only", queue_id(ctx), config->parse_max);
		drop_body(msg);
		return SMFIS_CONTINUE;
	}
	if (msg->body != NULL) {
		g_byte_array_append(msg->body, chunk, len);
		if (msg->body->len > config->body_memory_max &&
		    spill_body(msg, &error) < 0) {
			log_warning("%s: cannot keep body in %s/tmp: %s; "
				    "ticket from headers only", queue_id(ctx),
				    config->state_dir, error);
			drop_body(msg);
		}
	} else if (write(msg->body_fd, chunk, len) != (ssize_t)len) {
		log_warning("%s: cannot keep body in %s/tmp: %s; ticket from "
			    "headers only", queue_id(ctx), config->state_dir,
			    errno != 0 ? g_strerror(errno) : "short write");
		drop_body(msg);
	}
	return SMFIS_CONTINUE;
}

/* The message as GMime sees it: our copy of the headers, a blank line,
   and the body from memory or from the temporary file.  With
   headers_only the body is left out (it was dropped, or a first parse
   failed). */
static GMimeMessage *parse_message(struct msgctx *msg, bool headers_only)
{
	GMimeStream *cat = g_mime_stream_cat_new();
	GMimeStream *part;
	GMimeParser *parser;
	GMimeMessage *message;

	part = g_mime_stream_mem_new_with_buffer(
		(const char *)msg->headers->str, msg->headers->len);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
	g_object_unref(part);
	part = g_mime_stream_mem_new_with_buffer("\r\n", 2);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
	g_object_unref(part);
	if (!headers_only && msg->body != NULL) {
		part = g_mime_stream_mem_new_with_buffer(
			(const char *)msg->body->data, msg->body->len);
		g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
		g_object_unref(part);
	} else if (!headers_only && msg->body_fd >= 0) {
		/* the stream starts at the descriptor's offset, which
		   writing left at the end */
		lseek(msg->body_fd, 0, SEEK_SET);
		part = g_mime_stream_fs_new(dup(msg->body_fd));
		g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
		g_object_unref(part);
	}
	parser = g_mime_parser_new_with_stream(cat);
	g_object_unref(cat);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	return message;
}

/* Reads at most SNIPPET_BYTES of a text part, decoded to UTF-8, without
   loading the whole part (it may be huge). */
static char *part_snippet(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *filtered;
	GMimeFilter *filter;
	const char *charset;
	char buf[SNIPPET_BYTES + 1];
	char *text;
	ssize_t n;

	if (content == NULL)
		return NULL;
	filtered = g_mime_stream_filter_new(
		g_mime_data_wrapper_get_stream(content));
	g_mime_stream_reset(g_mime_data_wrapper_get_stream(content));
	filter = g_mime_filter_basic_new(
		g_mime_data_wrapper_get_encoding(content), FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), filter);
	g_object_unref(filter);
	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
							  "charset");
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    (filter = g_mime_filter_charset_new(charset, "UTF-8")) != NULL) {
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
					 filter);
		g_object_unref(filter);
	}
	n = g_mime_stream_read(filtered, buf, SNIPPET_BYTES);
	g_object_unref(filtered);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	text = g_utf8_make_valid(buf, n);
	/* LF line ends and no trailing blank lines, for the history */
	for (char *r = text, *w = text;; r++) {
		if (*r != '\r' && (*w++ = *r) == '\0')
			break;
	}
	return g_strchomp(text);
}

/* The first text/plain part (or text/html when there is none before
   it), searched depth-first within the configured bounds. */
static GMimePart *find_text(GMimeObject *object, unsigned int depth,
			    unsigned int *parts)
{
	if (depth > config->mime_depth_max ||
	    ++*parts > config->mime_parts_max)
		return NULL;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++) {
			GMimePart *found = find_text(
				g_mime_multipart_get_part(mp, i), depth + 1,
				parts);
			if (found != NULL)
				return found;
		}
		return NULL;
	}
	if (GMIME_IS_PART(object)) {
		GMimeContentType *type = g_mime_object_get_content_type(object);

		if (g_mime_content_type_is_type(type, "text", "plain") ||
		    g_mime_content_type_is_type(type, "text", "html"))
			return GMIME_PART(object);
	}
	return NULL;
}

/* The first part of type text/SUBTYPE, depth-first within the bounds. */
static GMimePart *find_subtype(GMimeObject *object, const char *subtype,
			       unsigned int depth, unsigned int *parts)
{
	if (depth > config->mime_depth_max ||
	    ++*parts > config->mime_parts_max)
		return NULL;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++) {
			GMimePart *found = find_subtype(
				g_mime_multipart_get_part(mp, i), subtype,
				depth + 1, parts);
			if (found != NULL)
				return found;
		}
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(object) &&
	    g_mime_content_type_is_type(
		    g_mime_object_get_content_type(object), "text", subtype))
		return GMIME_PART(object);
	return NULL;
}

/* Replaces a text part's words, keeping its charset and transfer
   encoding: in a single-part message those are the top-level headers,
   which stay as they are. */
static void set_part_text(GMimePart *part, const char *text)
{
	const char *charset = g_mime_object_get_content_type_parameter(
		GMIME_OBJECT(part), "charset");
	char *bytes = NULL;
	gsize size;
	GMimeStream *stream;
	GMimeDataWrapper *content;

	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0)
		bytes = g_convert_with_fallback(text, -1, charset, "UTF-8", "?",
						NULL, &size, NULL);
	if (bytes == NULL) {
		bytes = g_strdup(text);
		size = strlen(text);
	}
	stream = g_mime_stream_mem_new_with_buffer(bytes, size);
	content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	g_object_unref(content);
	g_object_unref(stream);
	g_free(bytes);
}

/* Reads an agent's command lines from the first text/plain part (or,
   lacking one, text/html) and removes them from both.  Returns the
   commands (command_list_free them); *changed_r tells whether the body
   must be replaced. */
static struct command_list *read_commands(GMimeMessage *message,
					  bool *changed_r)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);
	unsigned int parts = 0;
	GMimePart *plain = NULL, *html = NULL;
	struct command_list *list = NULL, *from_html;
	char *rest = NULL, *text;

	*changed_r = false;
	if (body != NULL) {
		plain = find_subtype(body, "plain", 0, &parts);
		parts = 0;
		html = find_subtype(body, "html", 0, &parts);
	}
	if (plain == NULL && html == NULL)
		return NULL;
	if (plain != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
		list = command_parse_text(text != NULL ? text : "", &rest);
		g_free(text);
		if (rest != NULL) {
			set_part_text(plain, rest);
			*changed_r = true;
			g_free(rest);
		}
	}
	if (html != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(html));
		from_html = command_parse_html(text != NULL ? text : "",
					       &rest);
		g_free(text);
		if (rest != NULL) {
			set_part_text(html, rest);
			*changed_r = true;
			g_free(rest);
		}
		if (plain == NULL)
			list = from_html;
		else
			command_list_free(&from_html);
	}
	return list;
}

/* The message's body, CRLF line ends, in place of the one Postfix has. */
static int replace_body(SMFICTX *ctx, GMimeMessage *message)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *filtered = g_mime_stream_filter_new(mem);
	GMimeFilter *crlf = g_mime_filter_unix2dos_new(FALSE);
	GByteArray *bytes;
	int ret;

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), crlf);
	g_object_unref(crlf);
	g_mime_object_write_content_to_stream(
		g_mime_message_get_mime_part(message), NULL, filtered);
	g_mime_stream_flush(filtered);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	ret = smfi_replacebody(ctx, bytes->data, bytes->len);
	g_object_unref(filtered);
	g_object_unref(mem);
	return ret == MI_SUCCESS ? 0 : -1;
}

static void add_references(GPtrArray *out, const char *header)
{
	GMimeReferences *refs;
	int count;

	if (header == NULL)
		return;
	refs = g_mime_references_parse(NULL, header);
	if (refs == NULL)
		return;
	count = g_mime_references_length(refs);
	/* References lists the oldest first: the newest tells most. */
	for (int i = count - 1; i >= 0 && out->len < REFERENCES_MAX; i--)
		g_ptr_array_add(out, g_strdup(
			g_mime_references_get_message_id(refs, i)));
	g_mime_references_free(refs);
}

static void read_fields(GMimeMessage *message, struct msgctx *msg,
			struct fields *f)
{
	GMimeObject *object = GMIME_OBJECT(message);
	InternetAddressList *from = g_mime_message_get_from(message);
	GDateTime *date = g_mime_message_get_date(message);
	GMimeObject *body = g_mime_message_get_mime_part(message);
	unsigned int parts = 0;

	f->message_id = g_mime_message_get_message_id(message);
	f->references = g_ptr_array_new_with_free_func(g_free);
	add_references(f->references,
		       g_mime_object_get_header(object, "In-Reply-To"));
	add_references(f->references,
		       g_mime_object_get_header(object, "References"));
	g_ptr_array_add(f->references, NULL);
	f->subject = g_mime_message_get_subject(message);
	if (f->subject == NULL)
		f->subject = "";
	f->from_name = "";
	for (int i = 0; from != NULL && i < internet_address_list_length(from);
	     i++) {
		InternetAddress *ia = internet_address_list_get_address(from,
									i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *name = internet_address_get_name(ia);

			f->from_name = name != NULL ? name : "";
			f->from_address = g_ascii_strdown(
				internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia)), -1);
			break;
		}
	}
	if (f->from_address == NULL)
		f->from_address = g_ascii_strdown(msg->envelope_from, -1);
	f->date = date != NULL ? g_date_time_to_unix(date) : 0;
	if (date != NULL) {
		f->date_known = true;
		f->date_offset = g_date_time_get_utc_offset(date) /
			G_USEC_PER_SEC;
	}
	f->references_header = g_mime_object_get_header(object, "References");
	f->content_language = g_mime_object_get_header(object,
						       "Content-Language");
	if (body != NULL) {
		GMimePart *text = find_text(body, 0, &parts);

		if (text != NULL) {
			f->snippet = part_snippet(text);
			if (f->content_language == NULL)
				f->content_language = g_mime_object_get_header(
					GMIME_OBJECT(text),
					"Content-Language");
		}
	}
	if (f->snippet == NULL)
		f->snippet = g_strdup("");
}

/* What the customer's words tell: their language, the question's
   category, and whether an automatic answer is allowed at all. */
static void read_customer(GMimeMessage *message, struct msgctx *msg,
			  struct fields *f)
{
	const char **own = g_new0(const char *, config->queues->len + 2);
	char *text = g_strconcat(f->subject, "\n", f->snippet, NULL);
	unsigned int n = 0;

	f->language = language_detect(languages, f->content_language, text,
				      msg->queue->language);
	f->category = category_classify(categories, f->language, f->subject,
					f->snippet, &f->answer);
	/* the address the message was sent to first, so that a reply to
	   sales+TOKEN@ counts as addressed to us */
	own[n++] = msg->queue_rcpt;
	for (unsigned int i = 0; i < config->queues->len; i++)
		own[n++] = ((struct config_queue *)
			    config->queues->pdata[i])->address;
	f->ack_refusal = msg->queue->autoack ?
		autoreply_refusal(message, msg->envelope_from, own) :
		"autoack is off for the queue";
	f->no_reopen = autoreply_automatic(message, msg->envelope_from);
	if (f->no_reopen == NULL && ack_is_thanks(templates, f->snippet))
		f->no_reopen = "a bare thank-you";
	g_free(text);
	g_free(own);
}

/* Mail from a messenger customer's address (tg.12345@<channel domain>)
   is that channel's only when it came through local submission, as the
   bridge sends it: from outside, anyone could write into a customer's
   chat ticket.  Such mail is filed as email; an agent's reply to it is
   not sent to the messenger, as its ticket's channel is email. */
static void read_channel(SMFICTX *ctx, const struct connctx *conn,
			 const struct msgctx *msg, struct fields *f)
{
	const struct config_channel *ch;
	const char *why = NULL;
	char *chat = NULL;
	int ret = channel_address_parse(config, msg->envelope_from, &ch, &chat,
					&why);

	if (ret > 0 && conn->local) {
		f->channel = ch->name;
		g_free(f->from_address);
		f->from_address = g_ascii_strdown(msg->envelope_from, -1);
		/* acknowledgements are mail; a chat customer gets none
		   (the messenger shows the message was delivered) */
		if (f->ack_refusal == NULL)
			f->ack_refusal = "messenger customer";
	} else if (ret != 0) {
		log_warning("%s: sender <%s> is in [channel %s]'s domain but "
			    "%s: filed as email", queue_id(ctx),
			    msg->envelope_from, ret > 0 ? ch->name : "?",
			    ret > 0 ? "was not submitted locally" : why);
		/* an ack would go to the chat domain as mail */
		if (f->ack_refusal == NULL)
			f->ack_refusal = "sender in a messenger domain";
	}
	g_free(chat);
	chat = NULL;
	if ((ret <= 0 || !conn->local) && f->from_address != NULL &&
	    channel_address_parse(config, f->from_address, &ch, &chat,
				  &why) != 0) {
		/* a From: naming a chat customer on mail that did not come
		   from the bridge: the customer is who really sent it, or
		   rules 3 and 4 would file it into the chat's ticket */
		log_warning("%s: From: <%s> is a messenger address on mail "
			    "not from the bridge: customer <%s> instead",
			    queue_id(ctx), f->from_address,
			    msg->envelope_from);
		g_free(f->from_address);
		f->from_address = g_ascii_strdown(msg->envelope_from, -1);
		if (f->ack_refusal == NULL)
			f->ack_refusal = "From: in a messenger domain";
	}
	g_free(chat);
}

static void fields_free(struct fields *f)
{
	if (f->references != NULL)
		g_ptr_array_unref(f->references);
	g_free(f->from_address);
	g_free(f->snippet);
}

/* Deletes every X-Shopdesk-* header that came with the message, from
   the last occurrence back, so that deleting one never renumbers the
   ones still to go.  Returns 0, or -1 if Postfix refused. */
static int strip_headers(SMFICTX *ctx, struct msgctx *msg)
{
	for (unsigned int i = msg->strip->len; i > 0; i--) {
		const char *name = g_ptr_array_index(msg->strip, i - 1);
		unsigned int index = 0;

		for (unsigned int j = 0; j < i; j++) {
			if (g_ascii_strcasecmp(g_ptr_array_index(msg->strip, j),
					       name) == 0)
				index++;
		}
		if (smfi_chgheader(ctx, (char *)name, index, NULL) !=
		    MI_SUCCESS)
			return -1;
	}
	return 0;
}

static int edit_headers(SMFICTX *ctx, struct msgctx *msg, const char *subject,
			const char *added_message_id, const char *channel,
			const struct intake_result *r, const char **error_r)
{
	char id[16];
	char *tagged;
	int ret = MI_SUCCESS;

	g_snprintf(id, sizeof(id), "%u", r->ticket_id);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Ticket", id);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Queue",
				     (char *)r->queue);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Status",
				     (char *)ticket_status_name(r->status));
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Channel", (char *)channel);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Direction", "inbound");
	if (ret == MI_SUCCESS && *r->category != '\0')
		ret = smfi_addheader(ctx, "X-Shopdesk-Category",
				     (char *)r->category);
	if (ret == MI_SUCCESS && *r->language != '\0')
		ret = smfi_addheader(ctx, "X-Shopdesk-Language",
				     (char *)r->language);
	if (ret == MI_SUCCESS && r->reply_by != 0) {
		char *value = format_reply_by(r->queue, r->reply_by);

		ret = smfi_addheader(ctx, "X-Shopdesk-Reply-By", value);
		g_free(value);
	}
	if (ret == MI_SUCCESS && added_message_id != NULL) {
		char *value = g_strdup_printf("<%s>", added_message_id);

		ret = smfi_addheader(ctx, "Message-ID", value);
		g_free(value);
	}
	if (ret == MI_SUCCESS && config->subject_tag) {
		tagged = subject_add_tag(subject, config->ticket_tag,
					 r->ticket_id);
		if (strcmp(tagged, subject) != 0 || msg->subject_count == 0) {
			char *encoded = g_mime_utils_header_encode_text(
				NULL, tagged, "utf-8");

			if (msg->subject_count == 0)
				ret = smfi_addheader(ctx, "Subject", encoded);
			else
				ret = smfi_chgheader(ctx, "Subject", 1,
						     encoded);
			g_free(encoded);
		}
		g_free(tagged);
	}
	if (ret != MI_SUCCESS) {
		*error_r = "Postfix refused a header change";
		return -1;
	}
	return 0;
}

/* Hands the message's fields to intake: its ticket is durable when this
   returns 0. */
static int file_message(SMFICTX *ctx, struct msgctx *msg,
			const struct fields *f, struct intake_result *r,
			const char **error_r)
{
	char *envelope_to = g_ascii_strdown(msg->envelope_from, -1);
	int ret;

	struct intake_message in = {
		.queue_id = queue_id(ctx),
		.queue = msg->queue->name,
		.channel = f->channel,
		.message_id = f->message_id,
		.references = (const char *const *)f->references->pdata,
		.subject = f->subject,
		.from_name = f->from_name,
		.from_address = f->from_address,
		.date = f->date,
		.snippet = f->snippet,
		.language = f->language,
		.category = f->category,
		.now = g_get_real_time() / G_USEC_PER_SEC,
		.ack_wanted = f->ack_refusal == NULL,
		.ack_to = envelope_to,
		.no_reopen = f->no_reopen != NULL,
	};

	in.reply_by = reply_by(ctx, msg->queue, in.now);
	g_ptr_array_add(msg->tokens, NULL);
	in.tokens = (const char *const *)msg->tokens->pdata;
	ret = intake_message(store, config, token_key, &in, r, error_r);
	g_free(envelope_to);
	return ret;
}

/* Writes the acknowledgement intake decided on into the outbox.  The
   put is idempotent by its Message-ID, so a message retried after a
   crash puts it again harmlessly, and one sent already is not resent
   (spool.h, done/).  Returns 0, or -1 with *error_r (g_free it). */
static int queue_ack(struct msgctx *msg, const struct fields *f,
		     const struct intake_result *r, char **error_r)
{
	const struct config_queue *named = config_queue_by_name(config,
								 r->queue);
	/* a ticket of a queue since removed from the config answers from
	   the address the mail came to */
	const struct config_queue *queue = named != NULL ? named : msg->queue;
	char *token = token_make(token_key, r->ticket_id);
	char *reply_to = g_strdup_printf("%s%s%s@%s", queue->local_part,
					 config->recipient_delimiter, token,
					 queue->domain);
	char *recipients[] = { g_ascii_strdown(msg->envelope_from, -1), NULL };
	struct ack_input in = {
		.language = *r->language != '\0' &&
			language_has(languages, r->language) ?
			r->language : f->language,
		.ticket_id = r->ticket_id,
		.ticket_tag = config->ticket_tag,
		.queue = queue,
		.hours = g_hash_table_lookup(queue_hours, queue->name),
		.customer_name = f->from_name,
		.customer_address = recipients[0],
		.subject = f->subject,
		.in_reply_to = f->message_id,
		.references = f->references_header,
		.message_id = r->ack_id,
		.reply_to = reply_to,
		.reply_by = r->reply_by,
		.customer_offset_known = f->date_known,
		.customer_offset = f->date_offset,
		.category = r->category,
		.answer = f->answer,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};
	struct outbox_mail mail = {
		.ticket = r->ticket_id,
		.created = in.now,
		.sender = "",
		.recipients = recipients,
	};
	char *item;
	int ret;

	mail.message = ack_build(templates, &in);
	item = outbox_mail_encode(&mail);
	ret = spool_put(outbox, r->ack_id, item, strlen(item), error_r);
	g_free(item);
	g_free(mail.message);
	g_free(recipients[0]);
	g_free(reply_to);
	g_free(token);
	return ret < 0 ? -1 : 0;
}

/* "Ann Lee" <sales@shop.test>, RFC 2047-encoded as needed. */
static char *mailbox(const char *name, const char *address)
{
	InternetAddress *ia = internet_address_mailbox_new(name, address);
	char *text = internet_address_to_string(ia, NULL, TRUE);

	g_object_unref(ia);
	return text;
}

static bool names_queue(const struct msgctx *msg,
			const struct config_queue *queue)
{
	return msg->queue_rcpt != NULL &&
		config_find_queue(config, msg->queue_rcpt, NULL, NULL) == queue;
}

/* An agent's reply goes out as the queue: From the queue address with
   the agent's name, the envelope sender the queue's, Reply-To with the
   ticket token, the tag in the subject, Outlook's threading headers, and
   a copy for the queue mailbox (the record). */
static int rewrite_reply(SMFICTX *ctx, struct msgctx *msg,
			 const struct fields *f, const struct intake_result *r,
			 bool note, const struct config_queue *queue)
{
	char *token = token_make(token_key, r->ticket_id);
	char *reply_address = g_strdup_printf("%s%s%s@%s", queue->local_part,
					      config->recipient_delimiter,
					      token, queue->domain);
	char *from = mailbox(*f->from_name != '\0' ? f->from_name :
			     queue->display_name, queue->address);
	char *reply_to = mailbox(queue->display_name, reply_address);
	char *envelope = g_strdup_printf("<%s>", queue->address);
	char *tagged = subject_add_tag(f->subject, config->ticket_tag,
				       r->ticket_id);
	char *subject = g_mime_utils_header_encode_text(NULL, tagged, "utf-8");
	char *topic = threadhdr_topic(f->subject, config->ticket_tag);
	char *topic_encoded = g_mime_utils_header_encode_text(NULL, topic,
							      "utf-8");
	char *index = threadhdr_index(config->domain, r->ticket_id,
				      r->ticket_created,
				      g_get_real_time() / G_USEC_PER_SEC);
	char id[16];
	int ret = MI_SUCCESS;

	g_snprintf(id, sizeof(id), "%u", r->ticket_id);
	if (!note)
		ret = smfi_chgfrom(ctx, envelope, NULL);
	if (ret == MI_SUCCESS && !note)
		ret = smfi_chgheader(ctx, "From", 1, from);
	if (ret == MI_SUCCESS && !note)
		ret = smfi_chgheader(ctx, "Reply-To", 1, reply_to);
	if (ret == MI_SUCCESS)
		ret = smfi_chgheader(ctx, "Subject", 1, subject);
	if (ret == MI_SUCCESS)
		ret = smfi_chgheader(ctx, "Thread-Topic", 1, topic_encoded);
	if (ret == MI_SUCCESS)
		ret = smfi_chgheader(ctx, "Thread-Index", 1, index);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Ticket", id);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Queue", queue->name);
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Status",
				     (char *)ticket_status_name(r->status));
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Channel",
				     *r->channel != '\0' ? (char *)r->channel :
				     "email");
	if (ret == MI_SUCCESS)
		ret = smfi_addheader(ctx, "X-Shopdesk-Direction",
				     note ? "note" : "outbound");
	if (ret == MI_SUCCESS && !names_queue(msg, queue))
		ret = smfi_addrcpt(ctx, envelope);
	g_free(index);
	g_free(topic_encoded);
	g_free(topic);
	g_free(subject);
	g_free(tagged);
	g_free(envelope);
	g_free(reply_to);
	g_free(from);
	g_free(reply_address);
	g_free(token);
	return ret == MI_SUCCESS ? 0 : -1;
}

/* Tells the agent, by a short mail through the outbox, that a line at
   the top of their reply was no command.  Failing, it logs: the reply
   itself went out. */
static void queue_notice(SMFICTX *ctx, const struct msgctx *msg,
			 const struct fields *f, const struct intake_result *r,
			 const struct config_queue *queue, const char *line,
			 bool sent)
{
	char *tag = g_strdup_printf("[%s #%u]", config->ticket_tag,
				    r->ticket_id);
	char *key_hash = g_compute_checksum_for_string(
		G_CHECKSUM_SHA256, f->message_id != NULL ? f->message_id :
		queue_id(ctx), -1);
	char *message_id = g_strdup_printf("notice.%u.%.24s@%s",
					   r->ticket_id, key_hash,
					   config->domain);
	char *recipients[] = { g_ascii_strdown(msg->envelope_from, -1), NULL };
	JsonBuilder *b = json_builder_new();
	JsonNode *data;
	GMimeMessage *m;
	char *text = NULL, *error = NULL, *subject, *item;
	struct outbox_mail mail = {
		.ticket = r->ticket_id,
		.created = g_get_real_time() / G_USEC_PER_SEC,
		.sender = "",
		.recipients = recipients,
	};
	GDateTime *now = g_date_time_new_now_utc();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "line");
	json_builder_add_string_value(b, line);
	json_builder_set_member_name(b, "sent");
	json_builder_add_boolean_value(b, sent);
	json_builder_set_member_name(b, "ticket");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, r->ticket_id);
	json_builder_set_member_name(b, "tag");
	json_builder_add_string_value(b, tag);
	json_builder_end_object(b);
	json_builder_end_object(b);
	data = json_builder_get_root(b);
	if (ack_render_file(config->templates_dir, config->default_language,
			    "notice-unknown.txt", data, &text, &error) < 0 &&
	    ack_render_file(config->templates_dir, "en", "notice-unknown.txt",
			    data, &text, NULL) < 0) {
		log_error("%s: ticket=%u no notice to <%s>: %s",
			  queue_id(ctx), r->ticket_id, recipients[0], error);
		goto out;
	}
	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM,
				   queue->display_name, queue->address);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL,
				   recipients[0]);
	subject = subject_add_tag(f->subject, config->ticket_tag,
				  r->ticket_id);
	g_mime_message_set_subject(m, subject, "utf-8");
	g_free(subject);
	g_mime_message_set_date(m, now);
	g_mime_message_set_message_id(m, message_id);
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
				 "auto-generated", NULL);
	if (f->message_id != NULL) {
		subject = g_strdup_printf("<%s>", f->message_id);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To",
					 subject, NULL);
		g_free(subject);
	}
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, text);
	g_mime_message_set_mime_part(m, GMIME_OBJECT(part));
	g_object_unref(part);
	mail.message = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	g_object_unref(m);
	item = outbox_mail_encode(&mail);
	if (spool_put(outbox, message_id, item, strlen(item), &error) < 0)
		log_error("%s: ticket=%u no notice to <%s>: %s",
			  queue_id(ctx), r->ticket_id, recipients[0], error);
	g_free(item);
	g_free(mail.message);
out:
	g_date_time_unref(now);
	json_node_unref(data);
	g_object_unref(b);
	g_free(text);
	g_free(error);
	g_free(recipients[0]);
	g_free(message_id);
	g_free(key_hash);
	g_free(tag);
}

/* Takes the customers out of the envelope of an agent's #note: only the
   queue mailbox gets it. */
static int keep_internal(SMFICTX *ctx, const struct msgctx *msg)
{
	for (unsigned int i = 0; i < msg->customer_rcpts->len; i++) {
		if (smfi_delrcpt(ctx, msg->customer_rcpts->pdata[i]) !=
		    MI_SUCCESS)
			return -1;
	}
	return 0;
}

static bool has_note(const struct command_list *commands)
{
	for (unsigned int i = 0; commands != NULL &&
	     i < commands->commands->len; i++) {
		if (((struct command *)commands->commands->pdata[i])->kind ==
		    COMMAND_NOTE)
			return true;
	}
	return false;
}

/* The parts of an agent's reply a messenger gets besides its text:
   files and images, not the text's alternatives nor signatures.  Past
   attachment_max in all, an attachment is left out (and counted). */
static void collect_attachments(GMimeObject *object, GMimePart *text,
				unsigned int depth, unsigned int *parts,
				size_t max, struct outbox_message *m,
				size_t *total, unsigned int *skipped)
{
	GMimeContentType *type;
	GMimeContentDisposition *disposition;
	GMimeDataWrapper *content;
	GMimeStream *mem;
	GByteArray *bytes;
	struct outbox_attachment *a;
	const char *filename;

	if (depth > config->mime_depth_max ||
	    ++*parts > config->mime_parts_max)
		return;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++)
			collect_attachments(g_mime_multipart_get_part(mp, i),
					    text, depth + 1, parts, max, m,
					    total, skipped);
		return;
	}
	if (!GMIME_IS_PART(object) || GMIME_PART(object) == text)
		return;
	type = g_mime_object_get_content_type(object);
	disposition = g_mime_object_get_content_disposition(object);
	if ((disposition == NULL ||
	     !g_mime_content_disposition_is_attachment(disposition)) &&
	    g_mime_content_type_is_type(type, "text", "*"))
		return;		/* the text's other form */
	if ((disposition == NULL ||
	     !g_mime_content_disposition_is_attachment(disposition)) &&
	    g_mime_object_get_content_id(object) != NULL)
		return;		/* shown inside the HTML: a logo, a signature
				   image; the chat gets the text only */
	if (g_mime_content_type_is_type(type, "application",
					"pgp-signature") ||
	    g_mime_content_type_is_type(type, "application",
					"pkcs7-signature") ||
	    g_mime_content_type_is_type(type, "application",
					"x-pkcs7-signature"))
		return;
	content = g_mime_part_get_content(GMIME_PART(object));
	if (content == NULL)
		return;
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (*total + bytes->len > max) {
		(*skipped)++;
		g_object_unref(mem);
		return;
	}
	*total += bytes->len;
	a = g_new0(struct outbox_attachment, 1);
	filename = g_mime_part_get_filename(GMIME_PART(object));
	a->filename = filename != NULL ? g_strdup(filename) :
		g_strdup_printf("attachment.%s",
				g_mime_content_type_get_media_subtype(type));
	a->content_type = g_mime_content_type_get_mime_type(type);
	a->data = g_bytes_new(bytes->data, bytes->len);
	g_ptr_array_add(m->attachments, a);
	g_object_unref(mem);
}

/* What a messenger customer gets of an agent's reply (commands already
   removed): the text part, or the HTML part as text, without quoted
   history and signature; and the attachments. */
static struct outbox_message *messenger_message(GMimeMessage *message,
						size_t attachment_max,
						unsigned int *skipped_r)
{
	struct outbox_message *m = outbox_message_new();
	GMimeObject *body = g_mime_message_get_mime_part(message);
	GMimePart *plain = NULL, *html = NULL;
	unsigned int parts = 0;
	size_t total = 0;
	char *text = NULL;

	*skipped_r = 0;
	if (body != NULL) {
		plain = find_subtype(body, "plain", 0, &parts);
		parts = 0;
		if (plain == NULL)
			html = find_subtype(body, "html", 0, &parts);
	}
	if (plain != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
	} else if (html != NULL) {
		char *markup = g_mime_text_part_get_text(GMIME_TEXT_PART(html));

		text = msgtext_from_html(markup != NULL ? markup : "");
		g_free(markup);
	}
	m->text = msgtext_strip(text != NULL ? text : "");
	g_free(text);
	parts = 0;
	if (body != NULL)
		collect_attachments(body, plain != NULL ? plain : html, 0,
				    &parts, attachment_max, m, &total,
				    skipped_r);
	return m;
}

/* An agent's reply to messenger customers: each such recipient leaves
   the envelope and an outbox "message" item goes to the bridge instead;
   the mail itself still reaches the queue mailbox (rewrite_reply added
   it).  A recipient that is no valid chat, or whose ticket is of
   another channel, or a reply with nothing to send, is left to Postfix,
   whose transport for the channel domains bounces it to the agent.
   Also for a retried (duplicate) mail: the items are keyed, so nothing
   is put twice.  Returns the number of items, or -1 when one could not
   be written or Postfix refused to drop a recipient: the agent's client
   must try again. */
static int send_messages(SMFICTX *ctx, struct msgctx *msg,
			 GMimeMessage *message, const struct fields *f,
			 const struct intake_result *r)
{
	struct outbox_message *m = NULL;
	const char *mail_id = f->message_id != NULL ? f->message_id :
		fingerprint(msg);
	unsigned int skipped = 0;
	int count = 0;

	for (unsigned int i = 0; i < msg->customer_rcpts->len; i++) {
		const char *original = msg->customer_rcpts->pdata[i];
		char *rcpt = strip_brackets(original);
		const struct config_channel *ch;
		const char *why = NULL;
		char *chat = NULL, *key, *item, *seed, *error = NULL;
		int ret = channel_address_parse(config, rcpt, &ch, &chat,
						&why);

		if (ret > 0 && strcmp(ch->name, r->channel) != 0) {
			why = "the ticket is not of this channel";
			ret = -1;
		}
		if (ret > 0 && m == NULL) {
			m = messenger_message(message, ch->attachment_max,
					      &skipped);
			if (*m->text == '\0' && m->attachments->len == 0) {
				why = "nothing to send";
				ret = -1;
				outbox_message_free(&m);
			}
		}
		if (ret <= 0) {
			if (ret < 0)
				log_warning("%s: ticket=%u to=<%s>: %s: left "
					    "to Postfix", queue_id(ctx),
					    r->ticket_id, rcpt, why);
			g_free(chat);
			g_free(rcpt);
			continue;
		}
		g_free(m->channel);
		m->channel = g_strdup(ch->name);
		g_free(m->chat);
		m->chat = chat;
		m->ticket = r->ticket_id;
		m->created = g_get_real_time() / G_USEC_PER_SEC;
		m->order = g_get_real_time();
		g_free(m->queue);
		m->queue = g_strdup(r->queue);
		g_free(m->agent);
		m->agent = g_ascii_strdown(msg->envelope_from, -1);
		g_free(m->subject);
		m->subject = g_strdup(f->subject);
		g_free(m->in_reply_to);
		m->in_reply_to = g_strdup(f->message_id != NULL ?
					  f->message_id : "");
		seed = g_strconcat(mail_id, "\n", rcpt, NULL);
		key = outbox_message_key(ch->name, m->chat, seed);
		g_free(seed);
		item = outbox_message_encode(m);
		ret = spool_put(outbox, key, item, strlen(item), &error);
		g_free(item);
		if (ret < 0) {
			log_error("%s: ticket=%u to=<%s>: cannot write the "
				  "outbox: %s; temporary failure, the agent's "
				  "client will retry", queue_id(ctx),
				  r->ticket_id, rcpt, error);
			count = -1;
		} else if (smfi_delrcpt(ctx, (char *)original) !=
			   MI_SUCCESS) {
			log_error("%s: ticket=%u to=<%s>: Postfix refused to "
				  "drop the recipient; temporary failure",
				  queue_id(ctx), r->ticket_id, rcpt);
			count = -1;
		} else {
			log_info("%s: ticket=%u to=<%s> channel=%s outbox=%s "
				 "%s text=%zu attachments=%u%s", queue_id(ctx),
				 r->ticket_id, rcpt, ch->name, key,
				 ret > 0 ? "queued" : "already queued",
				 strlen(m->text), m->attachments->len,
				 skipped > 0 ? " (some over attachment_max "
				 "left out)" : "");
			count++;
		}
		g_free(error);
		g_free(key);
		g_free(rcpt);
		if (count < 0)
			break;
	}
	outbox_message_free(&m);
	return count;
}

/* Mail from an agent: a reply into a ticket, or an internal note (to
   the queue alone).  Returns true with *status_r when handled, false
   when the mail names no open ticket (to a queue address it is then
   filed as any customer's mail, else passed on as it is). */
static bool agent_mail(SMFICTX *ctx, struct msgctx *msg,
		       GMimeMessage *message, const struct fields *f,
		       sfsistat *status_r)
{
	GString *to = g_string_new(NULL);
	const struct config_queue *queue;
	struct intake_result r;
	const char *error;
	sfsistat status = SMFIS_ACCEPT;
	bool changed;
	struct command_list *commands = read_commands(message, &changed);
	bool note = msg->customers->len == 0 || has_note(commands);

	for (unsigned int i = 0; i < msg->customers->len; i++)
		g_string_append_printf(to, "%s%s", i > 0 ? ", " : "",
				       (char *)msg->customers->pdata[i]);
	g_ptr_array_add(msg->tokens, NULL);
	struct intake_reply in = {
		.queue_id = queue_id(ctx),
		.message_id = f->message_id,
		.references = (const char *const *)f->references->pdata,
		.tokens = (const char *const *)msg->tokens->pdata,
		.subject = f->subject,
		.agent = msg->agent,
		.to = to->str,
		.note = note,
		.commands = commands,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};
	if (intake_reply(store, config, token_key, &in, &r, &error) < 0) {
		status = fail_action(ctx, error);
	} else if (r.ticket_id == 0) {
		/* not about a ticket: its "#" lines are only text */
		command_list_free(&commands);
		g_string_free(to, TRUE);
		return false;
	} else if ((queue = config_queue_by_name(config, r.queue)) == NULL) {
		log_warning("%s: ticket=%u agent=%s: [queue %s] is gone from "
			    "the config: passed on", queue_id(ctx),
			    r.ticket_id, msg->agent, r.queue);
	} else if (rewrite_reply(ctx, msg, f, &r, note, queue) < 0 ||
		   (changed && replace_body(ctx, message) < 0) ||
		   (note && keep_internal(ctx, msg) < 0)) {
		/* also for a message seen before: a retry after a 4xx, or
		   the client sending it again, is delivered again and must
		   leave as the first attempt would have */
		status = fail_action(ctx, "Postfix refused a change to an "
				     "agent's reply");
	} else if (!note && send_messages(ctx, msg, message, f, &r) < 0) {
		/* whatever on_error says: the reply must reach the chat or
		   the agent must know, and the client retries a 4xx */
		status = SMFIS_TEMPFAIL;
	} else {
		log_info("%s: ticket=%u agent=%s %s to=<%s> queue=%s "
			 "status=%s commands=%u%s%s%s", queue_id(ctx),
			 r.ticket_id, msg->agent, note ? "note" : "reply",
			 to->str, r.queue, ticket_status_name(r.status),
			 commands != NULL ? commands->commands->len : 0,
			 commands != NULL && commands->unknown != NULL ?
			 " unknown=\"" : "",
			 commands != NULL && commands->unknown != NULL ?
			 commands->unknown : "",
			 commands != NULL && commands->unknown != NULL ?
			 "\"" : "");
		if (!r.duplicate && commands != NULL &&
		    commands->unknown != NULL)
			queue_notice(ctx, msg, f, &r, queue, commands->unknown,
				     !note);
	}
	command_list_free(&commands);
	g_string_free(to, TRUE);
	*status_r = status;
	return true;
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct connctx *conn = connctx_get(ctx);
	struct msgctx *msg = conn->msg;
	struct fields f = { .channel = "email" };
	struct intake_result r;
	GMimeMessage *message;
	char *fingerprint_id = NULL;
	const char *added_message_id = NULL;
	char *ack_error = NULL;
	const char *error;
	sfsistat status = SMFIS_ACCEPT;

	if (msg == NULL)
		return SMFIS_ACCEPT;
	if (msg->queue == NULL && msg->agent == NULL) {
		if (strip_headers(ctx, msg) < 0)
			status = fail_action(ctx, "Postfix refused to delete "
					     "a header");
		else
			log_info("%s: removed %u X-Shopdesk-* header(s) from "
				 "mail to no branded address", queue_id(ctx),
				 msg->strip->len);
		msgctx_free(&conn->msg);
		return status;
	}
	/* Forged X-Shopdesk-* headers go first, so that they are gone
	   whatever fails later. */
	if (strip_headers(ctx, msg) < 0) {
		status = fail_action(ctx, "Postfix refused to delete a header");
		msgctx_free(&conn->msg);
		return status;
	}
	message = parse_message(msg, msg->body_dropped);
	if (message == NULL) {
		log_info("%s: malformed MIME: ticket from headers only",
			 queue_id(ctx));
		message = parse_message(msg, true);
	}
	if (message == NULL) {
		status = fail_action(ctx, "cannot parse even the headers");
		goto out;
	}
	read_fields(message, msg, &f);
	if (msg->agent != NULL && agent_mail(ctx, msg, message, &f, &status))
		goto out;
	if (msg->queue == NULL) {
		log_info("%s: agent=%s mail names no open ticket: passed on",
			 queue_id(ctx), msg->agent);
		goto out;
	}
	read_customer(message, msg, &f);
	read_channel(ctx, conn, msg, &f);
	if (!thread_message_id_usable(f.message_id)) {
		fingerprint_id = g_strdup_printf(
			"shopdesk.%.32s@%s",
			fingerprint(msg),
			config->domain);
		if (f.message_id != NULL)
			log_info("%s: Message-ID unusable, filed as <%s>",
				 queue_id(ctx), fingerprint_id);
		f.message_id = fingerprint_id;
		/* the sender's own header stays: one Message-ID only */
		if (!msg->has_message_id)
			added_message_id = fingerprint_id;
	}
	if (file_message(ctx, msg, &f, &r, &error) < 0) {
		status = fail_action(ctx, error);
		goto out;
	}
	if (r.ack_id[0] != '\0' && queue_ack(msg, &f, &r, &ack_error) < 0) {
		char *why = g_strdup_printf("cannot queue the "
					    "acknowledgement: %s", ack_error);

		/* with tempfail, the retry finds the ticket and puts the
		   same ack again; with accept, the ack is lost, said so */
		if (config->on_error == CONFIG_ON_ERROR_TEMPFAIL) {
			status = fail_action(ctx, why);
			g_free(why);
			goto out;
		}
		log_error("%s: ticket=%u %s", queue_id(ctx), r.ticket_id, why);
		g_free(why);
	}
	if (edit_headers(ctx, msg, f.subject, added_message_id, f.channel, &r,
			 &error) < 0) {
		status = fail_action(ctx, error);
		goto out;
	}
	log_info("%s: ticket=%u rule=%s%s%s queue=%s status=%s from=<%s>%s "
		 "lang=%s category=%s ack=%s%s%s%s", queue_id(ctx), r.ticket_id,
		 thread_rule_name(r.thread.rule),
		 r.thread.note != NULL ? " note=" : "",
		 r.thread.note != NULL ? r.thread.note : "", r.queue,
		 ticket_status_name(r.status), f.from_address,
		 r.created ? " created" : "", f.language,
		 *r.category != '\0' ? r.category : f.category,
		 r.ack_id[0] != '\0' ? r.ack_id : "none",
		 r.ack_id[0] == '\0' ? " (" : "",
		 r.ack_id[0] != '\0' ? "" :
		 f.ack_refusal != NULL ? f.ack_refusal :
		 r.ack_skipped != NULL ? r.ack_skipped : "duplicate",
		 r.ack_id[0] == '\0' ? ")" : "");
out:
	g_free(ack_error);
	fields_free(&f);
	g_free(fingerprint_id);
	if (message != NULL)
		g_object_unref(message);
	msgctx_free(&conn->msg);
	return status;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		msgctx_free(&conn->msg);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL) {
		msgctx_free(&conn->msg);
		if (conn->client != NULL)
			g_object_unref(conn->client);
		g_free(conn);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc mlfi_desc = {
	.xxfi_name = "shopdesk",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
		SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGBODY,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
};
