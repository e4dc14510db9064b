// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: everything libvssctl decodes from the kernel.  The
 * input is one received datagram; it goes through the reply-stream walker
 * with every object decoder, the ACK/DONE decoders and the event
 * dispatcher; what decodes is then printed by vssctl's JSON and text
 * printers (escaping of kernel-supplied strings).  Built with
 * -fsanitize=fuzzer,address,undefined.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cli.h"

static FILE *devnull;

/* vssctl's printers in both modes on what was decoded. */
static void print_both(const struct vss_lun_info *li,
		       const struct vss_snapshot_info *si,
		       const struct vss_session_info *ss)
{
	for (int json = 0; json < 2; json++) {
		pr_init(devnull, json, json);
		if (li)
			print_lun(NULL, li);
		if (si)
			print_snapshot(NULL, si);
		if (ss)
			print_session(NULL, ss);
		pr_finish();
	}
}

#define FAMILY 0x1c

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int extent_cb(void *arg, uint64_t off, uint64_t len)
{
	uint64_t *sum = arg;

	*sum += off ^ len;
	return *sum & 1 ? 0 : 1;
}

/* Every decoder on every message of the family. */
static int all_parsers(const struct nlmsghdr *nlh, void *arg)
{
	static struct vss_set_result res;
	struct vss_lun_info li;
	struct vss_snapshot_info si;
	struct vss_session_info ss;
	struct vss_event ev;
	vss_id_t a, b;
	uint64_t sum = 0;
	uint32_t chunk;
	int stop;

	(void)arg;
	if (!vss__parse_lun(nlh, FAMILY, &li))
		print_both(&li, NULL, NULL);
	if (!vss__parse_snapshot(nlh, FAMILY, &si))
		print_both(NULL, &si, NULL);
	if (!vss__parse_session(nlh, FAMILY, &ss))
		print_both(NULL, NULL, &ss);
	vss__parse_set(nlh, FAMILY, &a, NULL);
	vss__parse_set(nlh, FAMILY, &a, &b);
	vss__parse_set_do(nlh, FAMILY, &res);
	vss__parse_changes(nlh, FAMILY, &chunk, extent_cb, &sum, &stop);
	vss__parse_event(nlh, FAMILY, &ev);
	return 0;
}

static int event_cb(void *arg, const struct vss_event *ev)
{
	(void)arg;
	return ev->type == 0xff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	struct vss_walk w = { .family = FAMILY, .cb = all_parsers };
	const struct nlmsghdr *nlh;
	struct vss_nlerr e;
	size_t left;
	void *buf;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (size < NLMSG_HDRLEN || !devnull)
		return 0;
	/* the kernel's datagrams are aligned; keep UBSan about real bugs */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	/* the reply stream of a request whose seq is the first message's */
	w.seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	vss__walk(&w, buf, size);

	/* the ACK/DONE decoders on every well-framed message */
	nlh = buf;
	left = size;
	while (left >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	       nlh->nlmsg_len <= left) {
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

		vss__parse_nlerr(nlh, &e);
		vss__parse_done(nlh, &e);
		if (step >= left)
			break;
		left -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}

	vss__events_feed(&ctx, buf, size, event_cb, NULL);
	free(buf);
	return 0;
}
