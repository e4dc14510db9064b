// SPDX-License-Identifier: GPL-2.0
/*
 * engine_ctl - minimal driver of the vss netlink family for the engine
 * selftests (raw netlink through nl_raw.h, so the engine tests do not
 * depend on the CLI being complete).  Output is one line per object, with
 * space-separated fields, for the shell tests to parse.
 *
 *   engine_ctl lun-add NAME BACKING STORE [CHUNK [keep]]  ("keep": no format)
 *   engine_ctl lun-del NAME
 *   engine_ctl snap LUN...             one snapshot set; prints
 *                                      "LUN DEVICE ID" per member
 *   engine_ctl snap-list [LUN]         "ID LUN DEVICE SEQ STATE COW_BYTES"
 *   engine_ctl snap-del ID
 *   engine_ctl changes ID              "OFFSET LENGTH" in bytes
 *
 * Errors print the kernel's extended-ack message; exit status 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "nl_raw.h"

static void hex_id(const unsigned char *id, char *out)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
}

static int parse_id(const char *s, unsigned char *id)
{
	int n = 0;

	for (; *s && n < 16; s++) {
		unsigned int v;

		if (*s == '-')
			continue;
		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		id[n++] = v;
		s++;
	}
	return n == 16 ? 0 : -1;
}

static int report(const char *what, int ret, const struct nlr_ack *ack)
{
	if (!ret)
		return 0;
	fprintf(stderr, "engine_ctl: %s: %s%s%s\n", what, strerror(-ret),
		ack && ack->msg[0] ? ": " : "", ack ? ack->msg : "");
	return 1;
}

/* Walk the attributes of a genl payload. */
#define for_each_attr(a, p, len, off)					\
	for ((off) = 0;							\
	     (off) + NLA_HDRLEN <= (size_t)(len) &&			\
	     ((a) = (const struct nlattr *)((const unsigned char *)(p) + (off)), \
	      (a)->nla_len >= NLA_HDRLEN && (off) + (a)->nla_len <= (size_t)(len)); \
	     (off) += NLA_ALIGN((a)->nla_len))

static int cmd_lun_add(struct nlr *n, int argc, char **argv)
{
	struct nlr_msg m;
	struct nlr_ack ack;
	uint32_t chunk = argc > 5 ? strtoul(argv[5], NULL, 0) : 0;
	bool keep = argc > 6 && !strcmp(argv[6], "keep");

	nlr_req(n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, argv[2]);
	nlr_put_str(&m, VSS_A_LUN_BACKING, argv[3]);
	nlr_put_str(&m, VSS_A_LUN_STORE, argv[4]);
	if (chunk)
		nlr_put_u32(&m, VSS_A_LUN_CHUNK_SIZE, chunk);
	if (!keep)
		nlr_put(&m, VSS_A_LUN_FORMAT, NULL, 0);
	return report("lun add", nlr_xfer(n, &m, &ack), &ack);
}

static void print_member(const struct nlattr *nest)
{
	const void *p = nlr_data(nest);
	size_t len = nest->nla_len - NLA_HDRLEN, off;
	const struct nlattr *a;
	const char *lun = "?", *dev = "?";
	char id[33] = "?";

	for_each_attr(a, p, len, off) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case VSS_A_MEMBER_LUN:
			lun = nlr_data(a);
			break;
		case VSS_A_MEMBER_DEVICE:
			dev = nlr_data(a);
			break;
		case VSS_A_MEMBER_SNAPSHOT_ID:
			if (a->nla_len == NLA_HDRLEN + 16)
				hex_id(nlr_data(a), id);
			break;
		}
	}
	printf("%s %s %s\n", lun, dev, id);
}

static int cmd_snap(struct nlr *n, int argc, char **argv)
{
	unsigned char sid[16], set_id[16];
	struct nlr_ack ack;
	const struct nlattr *a;
	const unsigned char *p;
	size_t len, off;
	int ret, i;

	ret = nlr_session_new(n, sid);
	if (ret)
		return report("session new", ret, NULL);
	ret = nlr_set_start(n, sid, set_id, &ack);
	if (ret)
		return report("set start", ret, &ack);
	for (i = 2; i < argc; i++) {
		ret = nlr_set_add(n, sid, set_id, argv[i], &ack);
		if (ret)
			return report("set add", ret, &ack);
	}
	ret = nlr_set_do(n, sid, set_id, &ack);
	if (ret)
		return report("set do", ret, &ack);
	p = ack.reply + GENL_HDRLEN;
	len = ack.reply_len > GENL_HDRLEN ? ack.reply_len - GENL_HDRLEN : 0;
	for_each_attr(a, p, len, off)
		if ((a->nla_type & NLA_TYPE_MASK) == VSS_A_SET_MEMBER)
			print_member(a);
	return 0;
}

static void print_snapshot(const void *p, size_t len, void *arg)
{
	const char *want = arg;
	const char *lun = "?", *dev = "?";
	uint32_t seq = 0, state = 0;
	uint64_t cow = 0;
	char id[33] = "?";
	const struct nlattr *a;
	size_t off;

	for_each_attr(a, p, len, off) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case VSS_A_SNAPSHOT_ID:
			if (a->nla_len == NLA_HDRLEN + 16)
				hex_id(nlr_data(a), id);
			break;
		case VSS_A_SNAPSHOT_LUN:
			lun = nlr_data(a);
			break;
		case VSS_A_SNAPSHOT_DEVICE:
			dev = nlr_data(a);
			break;
		case VSS_A_SNAPSHOT_SEQ:
			memcpy(&seq, nlr_data(a), 4);
			break;
		case VSS_A_SNAPSHOT_STATE:
			memcpy(&state, nlr_data(a), 4);
			break;
		case VSS_A_SNAPSHOT_COW_BYTES:
			memcpy(&cow, nlr_data(a), 8);
			break;
		}
	}
	if (!want || !strcmp(want, lun))
		printf("%s %s %s %u %u %" PRIu64 "\n", id, lun, dev, seq, state,
		       cow);
}

static int cmd_snap_list(struct nlr *n, int argc, char **argv)
{
	struct nlr_msg m;
	struct nlr_ack ack;

	nlr_req(n, &m, VSS_CMD_SNAPSHOT_GET, true);
	return report("snapshot list",
		      nlr_dump(n, &m, print_snapshot, argc > 2 ? argv[2] : NULL,
			   &ack), &ack);
}

static int cmd_snap_del(struct nlr *n, char **argv)
{
	unsigned char id[16];
	struct nlr_msg m;
	struct nlr_ack ack;

	if (parse_id(argv[2], id))
		return report("snapshot delete", -EINVAL, NULL);
	nlr_req(n, &m, VSS_CMD_SNAPSHOT_DEL, false);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	return report("snapshot delete", nlr_xfer(n, &m, &ack), &ack);
}

static void print_extents(const void *p, size_t len, void *arg)
{
	const struct nlattr *a, *b;
	size_t off, off2;

	(void)arg;
	for_each_attr(a, p, len, off) {
		uint64_t o = 0, l = 0;

		if ((a->nla_type & NLA_TYPE_MASK) != VSS_A_SNAPSHOT_EXTENT)
			continue;
		for_each_attr(b, nlr_data(a), a->nla_len - NLA_HDRLEN, off2) {
			if ((b->nla_type & NLA_TYPE_MASK) == VSS_A_EXTENT_OFFSET)
				memcpy(&o, nlr_data(b), 8);
			if ((b->nla_type & NLA_TYPE_MASK) == VSS_A_EXTENT_LENGTH)
				memcpy(&l, nlr_data(b), 8);
		}
		printf("%" PRIu64 " %" PRIu64 "\n", o, l);
	}
}

static int cmd_changes(struct nlr *n, char **argv)
{
	unsigned char id[16];
	struct nlr_msg m;
	struct nlr_ack ack;

	if (parse_id(argv[2], id))
		return report("changes", -EINVAL, NULL);
	nlr_req(n, &m, VSS_CMD_SNAPSHOT_CHANGES, true);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	return report("changes", nlr_dump(n, &m, print_extents, NULL, &ack), &ack);
}

int main(int argc, char **argv)
{
	struct nlr_ack ack;
	struct nlr n;
	int ret;

	if (argc < 2)
		goto usage;
	ret = nlr_open_loaded(&n);
	if (ret)
		return report("open", ret, NULL);
	if (!strcmp(argv[1], "lun-add") && argc >= 5)
		return cmd_lun_add(&n, argc, argv);
	if (!strcmp(argv[1], "lun-del") && argc == 3)
		return report("lun del", nlr_lun_del(&n, argv[2], &ack), &ack);
	if (!strcmp(argv[1], "snap") && argc >= 3)
		return cmd_snap(&n, argc, argv);
	if (!strcmp(argv[1], "snap-list"))
		return cmd_snap_list(&n, argc, argv);
	if (!strcmp(argv[1], "snap-del") && argc == 3)
		return cmd_snap_del(&n, argv);
	if (!strcmp(argv[1], "changes") && argc == 3)
		return cmd_changes(&n, argv);
usage:
	fprintf(stderr, "usage: engine_ctl lun-add NAME BACKING STORE [CHUNK [keep]]\n"
		"       engine_ctl lun-del NAME | snap LUN... | snap-list [LUN]\n"
		"       engine_ctl snap-del ID | changes ID\n");
	return 2;
}
