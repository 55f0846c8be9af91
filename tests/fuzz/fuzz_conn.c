/*
 * fuzz_conn - the layer under the protocol: assembling a WebSocket message
 * from its fragments (conn_receive), the UTF-8 check every text message
 * passes, and the frame encoder every reply and event goes through.
 *
 * Input: one byte, then a message.  The byte is the fragment length (0:
 * the message in one piece); the message is fed whole to one connection
 * and in fragments to another, and both must end the same way: the same
 * close code, or the same reply bytes.  The server's message limit is
 * lowered to 1 KiB so that inputs cross it.
 *
 * The message also goes through:
 *  - utf8_valid(), compared with a table-driven reference of RFC 3629
 *    section 4, and utf8_count() against the reference's count;
 *  - proto_encode(): anything the protocol's JSON reader accepts encodes
 *    to text that reads back as an equal value.
 *
 * Only operations open before authentication run, against a store that
 * holds no user, so the world is built once for the whole run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ruche/conn.h"
#include "ruche/frame.h"
#include "ruche/proto.h"
#include "ruche/store.h"
#include "ruche/utf8.h"
#include "world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct clock_fake fake;
static struct store *st;
static struct server srv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	world_global_init();
	config_defaults(&cfg);
	cfg.max_message_bytes = 1024;
	clock_fake_init(&fake, WORLD_NOW);
	if (store_open(":memory:", &st, err, sizeof(err)) ||
	    server_init(&srv, &cfg, &fake.clock, st)) {
		fprintf(stderr, "conn: %s\n", err);
		abort();
	}
	return 0;
}

/*
 * RFC 3629 section 4, as a table: the length of each sequence and the
 * range of its second byte.  Returns the number of code points, or -1.
 */
static long ref_utf8(const uint8_t *s, size_t len)
{
	long count = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c <= 0x7f)
			n = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c == 0xe0)
			n = 2, lo = 0xa0;
		else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
			n = 2;
		else if (c == 0xed)
			n = 2, hi = 0x9f;
		else if (c == 0xf0)
			n = 3, lo = 0x90;
		else if (c >= 0xf1 && c <= 0xf3)
			n = 3;
		else if (c == 0xf4)
			n = 3, hi = 0x8f;
		else
			return -1;
		if (len - i < n + 1)
			return -1;
		if (n && (s[i + 1] < lo || s[i + 1] > hi))
			return -1;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return -1;
		i += n + 1;
		count++;
	}
	return count;
}

static void fail(const char *why)
{
	fprintf(stderr, "conn: %s\n", why);
	abort();
}

static void check_utf8(const uint8_t *s, size_t len)
{
	long ref = ref_utf8(s, len);

	if (utf8_valid(s, len) != (ref >= 0))
		fail("utf8_valid disagrees with RFC 3629");
	if (ref >= 0 && utf8_count(s, len) != (size_t)ref)
		fail("utf8_count miscounts");
}

static void check_encode(const uint8_t *s, size_t len)
{
	json_t *v = json_loadb((const char *)s, len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	struct frame *f;
	json_t *back;

	if (!v)
		return;
	f = proto_encode(v);	/* borrows v */
	if (f) {
		back = json_loadb((const char *)frame_payload(f), f->len,
				  JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!back || !json_equal(v, back)) {
			fprintf(stderr, "encoded: %s\n", frame_payload(f));
			fail("an encoded value does not read back equal");
		}
		if (!utf8_valid(frame_payload(f), f->len))
			fail("an encoded value that is not UTF-8");
		json_decref(back);
		frame_unref(f);
	}
	json_decref(v);
}

static void no_wake(void *arg)
{
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn *whole, *parts;
	size_t frag, off = 0;
	int rc_whole, rc_parts = 0;

	if (size < 1)
		return 0;
	frag = data[0];
	data++;
	size--;
	check_utf8(data, size);
	check_encode(data, size);

	whole = conn_new(&srv, "fuzz", no_wake, NULL);
	parts = conn_new(&srv, "fuzz", no_wake, NULL);
	if (!whole || !parts)
		abort();
	rc_whole = conn_receive(whole, data, size, true, false);
	if (!frag || frag >= size) {
		rc_parts = conn_receive(parts, data, size, true, false);
	} else {
		/* The transport stops reading once a close is asked for. */
		while (!rc_parts) {
			size_t n = size - off < frag ? size - off : frag;

			rc_parts = conn_receive(parts, data + off, n,
						off + n == size, false);
			off += n;
			if (off == size)
				break;
		}
	}
	server_flush(&srv);
	/* Memory does not run out here: such a close hides a reply that
	 * could not be encoded. */
	if (whole->close_code == CONN_CLOSE_GOING_AWAY)
		fail(whole->close_reason);
	if (rc_whole != rc_parts || whole->close_code != parts->close_code)
		fail("fragments end differently from the whole message");
	if (whole->out_count != parts->out_count)
		fail("fragments get a different number of replies");
	for (size_t i = 0; i < whole->out_count; i++) {
		struct frame *a = whole->outq[(whole->out_head + i) %
					      whole->out_cap];
		struct frame *b = parts->outq[(parts->out_head + i) %
					      parts->out_cap];

		if (a->len != b->len ||
		    memcmp(frame_payload(a), frame_payload(b), a->len))
			fail("fragments get a different reply");
	}
	if (!rc_whole && !whole->close_code && whole->out_count != 1)
		fail("a message without exactly one reply");
	conn_free(whole);
	conn_free(parts);
	return 0;
}
