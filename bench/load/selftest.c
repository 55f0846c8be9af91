/*
 * selftest.c - checks of ruche-load's pieces that need no server: the
 * histogram, WebSocket framing and the upgrade answer, JSON scanning,
 * IRC lines, the history mode's vocabulary and requests.
 * ctest runs it as bench.selftest; it prints "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "hquery.h"
#include "irc.h"
#include "load.h"
#include "ws.h"

static int passed, failed;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (cond) {                                                \
			passed++;                                          \
		} else {                                                   \
			failed++;                                          \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__,   \
				__LINE__, #cond);                          \
		}                                                          \
	} while (0)

/* Within 1/HIST_SUB of want, as the buckets promise. */
static int near(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	return d * HIST_SUB <= want;
}

static void test_hist(void)
{
	static struct hist h, h2;

	hist_reset(&h);
	CHECK(hist_quantile(&h, 0.5) == 0);
	for (uint64_t v = 1; v <= 100000; v++)
		hist_add(&h, v * 1000);	/* 1 µs .. 100 ms, uniform */
	CHECK(h.count == 100000);
	CHECK(h.max == 100000000);
	CHECK(near(hist_quantile(&h, 0.50), 50000000));
	CHECK(near(hist_quantile(&h, 0.99), 99000000));
	CHECK(near(hist_quantile(&h, 0.999), 99900000));
	CHECK(hist_quantile(&h, 1.0) <= h.max);
	hist_reset(&h2);
	for (int i = 0; i < 10; i++)
		hist_add(&h2, 7);
	CHECK(hist_quantile(&h2, 0.5) == 7);
	hist_merge(&h2, &h);
	CHECK(h2.count == 100010);
	hist_add(&h2, UINT64_MAX);
	CHECK(hist_quantile(&h2, 1.0) == UINT64_MAX);
}

/* Undoes a client frame's mask, as a server would. */
static size_t unmask(const unsigned char *f, size_t n, unsigned char *out,
		     unsigned *op, int *fin)
{
	size_t len = f[1] & 0x7f, hl = 2;
	const unsigned char *m;

	if (len == 126) {
		len = (size_t)f[2] << 8 | f[3];
		hl = 4;
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | f[2 + i];
		hl = 10;
	}
	if (!(f[1] & 0x80) || hl + 4 + len != n)
		return (size_t)-1;
	m = f + hl;
	for (size_t i = 0; i < len; i++)
		out[i] = f[hl + 4 + i] ^ m[i & 3];
	*op = f[0] & 0x0f;
	*fin = !!(f[0] & 0x80);
	return len;
}

static void test_frames(void)
{
	static unsigned char big[70000], back[70000];
	struct buf b = { 0 };
	unsigned op = 0;
	int fin = -1;
	size_t sizes[] = { 0, 5, 125, 126, 65535, 65536, 70000 };

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		buf_clear(&b);
		CHECK(ws_frame(&b, WS_TEXT, k % 2, big, n, 0x12345678u + k) ==
		      0);
		CHECK(unmask((unsigned char *)buf_data(&b), buf_used(&b), back,
			     &op, &fin) == n);
		CHECK(op == WS_TEXT && fin == (int)(k % 2));
		CHECK(memcmp(big, back, n) == 0);
	}
	buf_release(&b);

	/* Server frames: unmasked, short and 16-bit lengths, cut short. */
	{
		unsigned char f[4 + 300] = { 0x81, 126, 300 >> 8, 300 & 0xff };
		unsigned char ping[] = { 0x89, 2, 'h', 'i' };
		unsigned char masked[] = { 0x81, 0x81, 1, 2, 3, 4, 'x' };
		unsigned char longping[2 + 126] = { 0x89, 126, 0, 126 };
		unsigned char cont[] = { 0x00, 1, 'y' };
		struct ws_head h;

		CHECK(ws_parse(f, sizeof(f), &h) == 1);
		CHECK(h.opcode == WS_TEXT && h.fin && h.head_len == 4 &&
		      h.len == 300);
		CHECK(ws_parse(f, sizeof(f) - 1, &h) == 0);
		CHECK(ws_parse(f, 3, &h) == 0);
		CHECK(ws_parse(ping, sizeof(ping), &h) == 1);
		CHECK(h.opcode == WS_PING && h.len == 2);
		CHECK(ws_parse(masked, sizeof(masked), &h) == -1);
		CHECK(ws_parse(longping, sizeof(longping), &h) == -1);
		CHECK(ws_parse(cont, sizeof(cont), &h) == 1);
		CHECK(h.opcode == WS_CONT && !h.fin);
	}
}

static void test_upgrade(void)
{
	/* The example of RFC 6455, section 1.3. */
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
			  "Upgrade: websocket\r\n"
			  "Connection: Upgrade\r\n"
			  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			  "sec-websocket-protocol: ruche.v1\r\n"
			  "\r\n\x81\x00";
	const char bad[] = "HTTP/1.1 101 Switching Protocols\r\n"
			   "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
			   "\r\n";
	const char refused[] = "HTTP/1.1 403 Forbidden\r\n\r\n";
	char why[128];
	struct buf b = { 0 };
	size_t n = sizeof(ok) - 1;

	CHECK(ws_response(ok, n, key, "ruche.v1", why, sizeof(why)) ==
	      (long)n - 2);
	CHECK(ws_response(ok, n, key, NULL, why, sizeof(why)) == (long)n - 2);
	CHECK(ws_response(ok, 40, key, "ruche.v1", why, sizeof(why)) == 0);
	CHECK(ws_response(ok, n, key, "other.v1", why, sizeof(why)) == -1);
	CHECK(ws_response(bad, sizeof(bad) - 1, key, NULL, why,
			  sizeof(why)) == -1);
	CHECK(ws_response(refused, sizeof(refused) - 1, key, NULL, why,
			  sizeof(why)) == -1);
	CHECK(strstr(why, "403") != NULL);
	CHECK(ws_request(&b, "127.0.0.1:8080", "/ws", key, "ruche.v1") == 0);
	CHECK(memmem(buf_data(&b), buf_used(&b),
		     "Sec-WebSocket-Protocol: ruche.v1\r\n", 34) != NULL);
	buf_release(&b);
}

static void test_jscan(void)
{
	const char ev[] = "{\"ev\":\"msg.created\",\"pos\":12,\"data\":{"
			  "\"message\":{\"id\":5,\"text\":\"b 1 2 3 \\\"q\\\"\"}}}";
	const char list[] = "{\"re\":3,\"ok\":true,\"data\":{\"channels\":["
			    "{\"id\":1,\"name\":\"general\"}]}}";
	const char *s;
	size_t n;
	int64_t v = 0;

	CHECK(js_int(ev, sizeof(ev) - 1, "pos", &v) == 0 && v == 12);
	CHECK(js_str(ev, sizeof(ev) - 1, "text", &s, &n) == 0);
	CHECK(n == 13 && memcmp(s, "b 1 2 3 \\\"q\\\"", n) == 0);
	CHECK(js_str(ev, sizeof(ev) - 1, "missing", &s, &n) == -1);
	CHECK(js_int(list, sizeof(list) - 1, "re", &v) == 0 && v == 3);
	CHECK(js_has(list, sizeof(list) - 1, "\"ok\":true"));
	CHECK(js_int("{\"re\":null}", 11, "re", &v) == -1);
	CHECK(js_int("{\"x\":-4}", 8, "x", &v) == 0 && v == -4);
}

/* Whether l's command is cmd and its trailing parameter is t (NULL: none). */
static int irc_is(const struct irc_line *l, const char *cmd, const char *t)
{
	if (l->cmd_len != strlen(cmd) || memcmp(l->cmd, cmd, l->cmd_len))
		return 0;
	if (!t)
		return !l->trailing;
	return l->trailing && l->trailing_len == strlen(t) &&
	       memcmp(l->trailing, t, l->trailing_len) == 0;
}

static void test_irc(void)
{
	const char msg[] = ":u12!b@::1 PRIVMSG #hive-007 :b 3 12 9 "
			   "123456 the hive: meetup";
	const char welcome[] = ":bench.ruche.local 001 u3 :Welcome u3!b@h";
	struct irc_line l;

	/* A message to a channel: the text is all after " :", colons
	 * included; the one in the prefix's host does not start it. */
	CHECK(irc_split(msg, sizeof(msg) - 1, &l) == 0);
	CHECK(irc_is(&l, "PRIVMSG", "b 3 12 9 123456 the hive: meetup"));
	CHECK(!irc_numeric(&l));
	CHECK(irc_split(welcome, sizeof(welcome) - 1, &l) == 0);
	CHECK(irc_is(&l, "001", "Welcome u3!b@h") && irc_numeric(&l));
	/* The server's ping has no prefix. */
	CHECK(irc_split("PING :bench.ruche.local", 23, &l) == 0);
	CHECK(irc_is(&l, "PING", "bench.ruche.local"));
	/* No trailing parameter; a numeric with only middle ones. */
	CHECK(irc_split(":u1!b@h JOIN #hive-001", 22, &l) == 0);
	CHECK(irc_is(&l, "JOIN", NULL));
	CHECK(irc_split(":s 422 u1 :MOTD File is missing", 31, &l) == 0);
	CHECK(irc_is(&l, "422", "MOTD File is missing") && irc_numeric(&l));
	/* An empty trailing parameter is there, and empty. */
	CHECK(irc_split(":s NOTICE u1 :", 14, &l) == 0);
	CHECK(irc_is(&l, "NOTICE", ""));
	/* Refused: no command at all. */
	CHECK(irc_split("", 0, &l) == -1);
	CHECK(irc_split(":prefix.only", 12, &l) == -1);
	CHECK(irc_split(":prefix   ", 10, &l) == -1);
}

static void test_hquery(void)
{
	const char file[] = "# commonest first\nthe\r\n\nhive\nmeetup";
	const char none[] = "# none\n\n";
	const char *q[] = { "caf\xc3\xa9", "a\"b\\c\td" };
	struct hq_words w;
	char out[256];
	size_t counts[3] = { 0 };
	int len;

	CHECK(hq_words_parse(&w, file, sizeof(file) - 1) == 0);
	CHECK(w.n == 3);
	CHECK(w.n == 3 && !strcmp(w.w[0], "the") && !strcmp(w.w[1], "hive") &&
	      !strcmp(w.w[2], "meetup"));
	hq_words_free(&w);
	CHECK(hq_words_parse(&w, none, sizeof(none) - 1) == -1);
	CHECK(w.n == 0 && !w.w);

	/* Ranks stay in range; the commonest words come up most, but
	 * every one does. */
	CHECK(hq_rank(0, 50000) == 0);
	CHECK(hq_rank(UINT64_MAX, 50000) == 49999);
	CHECK(hq_rank(UINT64_MAX, 1) == 0);
	for (uint64_t i = 0; i < 3000; i++)
		counts[hq_rank(i * 0x9e3779b97f4a7c15ull, 3)]++;
	CHECK(counts[0] > counts[1] && counts[1] > counts[2] && counts[2]);
	CHECK(hq_rank(1ull << 63, 1000000) > 500 &&
	      hq_rank(1ull << 63, 1000000) < 2000);

	len = hq_page(out, sizeof(out), 101, 7, 0, 50);
	CHECK(len > 0 && !strcmp(out, "{\"id\":101,\"op\":\"msg.history\","
				       "\"channel_id\":7,\"limit\":50}"));
	len = hq_page(out, sizeof(out), 102, 7, 4210, 50);
	CHECK(len == (int)strlen(out) &&
	      !strcmp(out, "{\"id\":102,\"op\":\"msg.history\","
			   "\"channel_id\":7,\"before\":4210,\"limit\":50}"));
	CHECK(hq_page(out, 20, 102, 7, 4210, 50) == -1);

	len = hq_search(out, sizeof(out), 103, q, 2, 20);
	CHECK(len == (int)strlen(out) &&
	      !strcmp(out, "{\"id\":103,\"op\":\"msg.search\",\"query\":"
			   "\"caf\xc3\xa9 a\\\"b\\\\c\\u0009d\","
			   "\"limit\":20}"));
	len = hq_search(out, sizeof(out), 104, q, 1, 20);
	CHECK(len > 0 && strstr(out, "\"query\":\"caf\xc3\xa9\","));
	CHECK(hq_search(out, 40, 104, q, 2, 20) == -1);
}

int main(void)
{
	test_hist();
	test_hquery();
	test_frames();
	test_upgrade();
	test_jscan();
	test_irc();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
