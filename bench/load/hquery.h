/*
 * hquery.h - the requests of ruche-load's history mode, built apart from
 * the network so that the self-test can check them: the vocabulary that
 * search queries draw from, how a word is drawn (common and rare words
 * alike), and the JSON of msg.history and msg.search.
 */
#ifndef LOAD_HQUERY_H
#define LOAD_HQUERY_H

#include <stddef.h>
#include <stdint.h>

/* Words, commonest first, as the history fixture wrote them. */
struct hq_words {
	char *text;		/* every word, each ended by '\0'; owned */
	const char **w;		/* pointers into text; owned */
	size_t n;
};

/*
 * Takes p[0..n) (one word a line; blank lines and lines starting with
 * '#' are skipped, a trailing '\r' dropped) into words.  0, or -1 when
 * out of memory or when no word was found.
 */
int hq_words_parse(struct hq_words *words, const char *p, size_t n);

/* Reads the file at path, as hq_words_parse().  0, or -1. */
int hq_words_load(struct hq_words *words, const char *path);

void hq_words_free(struct hq_words *words);

/*
 * The rank (0 = commonest) for a random number r among n words, drawn
 * evenly on a log scale: as many queries among the ten commonest words as
 * between ranks 1,000 and 10,000, so that searches meet both the longest
 * and the shortest lists of matches.
 */
size_t hq_rank(uint64_t r, size_t n);

/*
 * Writes {"id":ID,"op":"msg.history","channel_id":C,"limit":L} into out,
 * with "before":B when before > 0.  The length, or -1 when it does not fit.
 */
int hq_page(char *out, size_t outlen, int64_t id, int64_t channel_id,
	    int64_t before, int limit);

/*
 * Writes {"id":ID,"op":"msg.search","query":"W1 W2...","limit":L} into
 * out, the words joined by one space and escaped for JSON.  The length,
 * or -1 when it does not fit.
 */
int hq_search(char *out, size_t outlen, int64_t id, const char *const *w,
	      size_t nw, int limit);

#endif
