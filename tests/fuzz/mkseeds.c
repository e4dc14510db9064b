// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes a seed corpus for fuzz_msg: well-formed datagrams of every kind
 * the kernel sends (replies, dumps, ACKs with extended ACK, events).
 *
 *   mkseeds DIR
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <linux/vss.h>

#define FAMILY 0x1c

static const char *dir;
static int nr;

static void save(const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02d", dir, nr++);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len) {
		perror(path);
		return;
	}
	fclose(f);
}

static struct nl_msg *genl(uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 7, FAMILY, 0, flags, cmd, 1);
	return m;
}

static void save_msg(struct nl_msg *m)
{
	save(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
}

static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void lun(struct nl_msg *m)
{
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put_string(m, VSS_A_LUN_BACKING, "ram0");
	nla_put_string(m, VSS_A_LUN_STORE, "ram1");
	nla_put_u32(m, VSS_A_LUN_CHUNK_SIZE, 65536);
	nla_put_u64(m, VSS_A_LUN_SIZE, 1 << 26);
	nla_put_u64(m, VSS_A_LUN_STORE_USED, 4096);
	nla_put_flag(m, VSS_A_LUN_BUSY);
	nla_put(m, VSS_A_LUN_SESSION_ID, 16, id);
}

static void snapshot(struct nl_msg *m)
{
	nla_put(m, VSS_A_SNAPSHOT_ID, 16, id);
	nla_put(m, VSS_A_SNAPSHOT_SET_ID, 16, id);
	nla_put_string(m, VSS_A_SNAPSHOT_LUN, "db");
	nla_put_string(m, VSS_A_SNAPSHOT_DEVICE, "vss-db-s1");
	nla_put_u32(m, VSS_A_SNAPSHOT_SEQ, 1);
	nla_put_u64(m, VSS_A_SNAPSHOT_CREATED, 1ULL << 60);
	nla_put_u32(m, VSS_A_SNAPSHOT_STATE, VSS_SNAPSHOT_STATE_READY);
	nla_put_u64(m, VSS_A_SNAPSHOT_COW_BYTES, 8192);
}

int main(int argc, char **argv)
{
	struct nl_msg *m;
	struct nlattr *n;
	uint8_t buf[8192];
	size_t len = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	dir = argv[1];

	m = genl(VSS_CMD_LUN_GET, 0);
	lun(m);
	save_msg(m);

	m = genl(VSS_CMD_SNAPSHOT_CREATED_NTF, 0);
	snapshot(m);
	nla_put(m, VSS_A_SNAPSHOT_SESSION_ID, 16, id);
	save_msg(m);

	m = genl(VSS_CMD_SESSION_GET, 0);
	nla_put(m, VSS_A_SESSION_ID, 16, id);
	nla_put_u32(m, VSS_A_SESSION_STATE, 2);
	nla_put(m, VSS_A_SESSION_SET_ID, 16, id);
	nla_put_u32(m, VSS_A_SESSION_SET_STATE, 12);
	save_msg(m);

	m = genl(VSS_CMD_SET_DO, 0);
	nla_put(m, VSS_A_SET_ID, 16, id);
	nla_put_u32(m, VSS_A_SET_STATE, VSS_SET_STATE_CREATED);
	nla_put_u64(m, VSS_A_SET_HOLD_US, 999);
	for (int i = 0; i < 3; i++) {
		n = nla_nest_start(m, VSS_A_SET_MEMBER);
		nla_put_string(m, VSS_A_MEMBER_LUN, "db");
		nla_put(m, VSS_A_MEMBER_SNAPSHOT_ID, 16, id);
		nla_put_string(m, VSS_A_MEMBER_DEVICE, "vss-db-s2");
		nla_put_u32(m, VSS_A_MEMBER_DEV_MAJOR, 252);
		nla_nest_end(m, n);
	}
	save_msg(m);

	m = genl(VSS_CMD_SNAPSHOT_CHANGES, NLM_F_MULTI);
	nla_put(m, VSS_A_SNAPSHOT_ID, 16, id);
	nla_put_u32(m, VSS_A_SNAPSHOT_CHUNK_SIZE, 4096);
	for (int i = 0; i < 4; i++) {
		n = nla_nest_start(m, VSS_A_SNAPSHOT_EXTENT);
		nla_put_u64(m, VSS_A_EXTENT_OFFSET, (uint64_t)i << 16);
		nla_put_u64(m, VSS_A_EXTENT_LENGTH, 4096);
		nla_nest_end(m, n);
	}
	save_msg(m);

	/* a dump datagram: two LUNs and DONE with an extack message */
	for (int i = 0; i < 2; i++) {
		m = genl(VSS_CMD_LUN_GET, NLM_F_MULTI);
		lun(m);
		memcpy(buf + len, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		len += NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
	}
	{
		struct nlmsghdr h = { .nlmsg_type = NLMSG_DONE, .nlmsg_seq = 7,
				      .nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS };
		int32_t st = -ENOENT;
		struct nlattr a = { .nla_len = NLA_HDRLEN + 8,
				    .nla_type = NLMSGERR_ATTR_MSG };

		h.nlmsg_len = NLMSG_HDRLEN + 4 + NLA_HDRLEN + 8;
		memcpy(buf + len, &h, sizeof(h));
		memcpy(buf + len + NLMSG_HDRLEN, &st, 4);
		memcpy(buf + len + NLMSG_HDRLEN + 4, &a, sizeof(a));
		memcpy(buf + len + NLMSG_HDRLEN + 4 + NLA_HDRLEN, "no such", 8);
		len += h.nlmsg_len;
	}
	save(buf, len);

	/* an error ACK echoing the request, with message, offset and cookie */
	{
		struct nl_msg *req = genl(VSS_CMD_LUN_ADD, NLM_F_REQUEST);
		struct nlmsghdr h = { .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = 7,
				      .nlmsg_flags = NLM_F_ACK_TLVS };
		struct nlmsgerr e = { .error = -EINVAL };
		uint32_t v;
		size_t o;

		nla_put_u32(req, VSS_A_LUN_CHUNK_SIZE, 3000);
		e.msg = *nlmsg_hdr(req);
		len = 0;
		memcpy(buf, &h, sizeof(h));
		len = NLMSG_HDRLEN;
		memcpy(buf + len, &e, sizeof(e));
		len += sizeof(e);
		memcpy(buf + len, (char *)nlmsg_hdr(req) + NLMSG_HDRLEN,
		       nlmsg_hdr(req)->nlmsg_len - NLMSG_HDRLEN);
		len = NLMSG_ALIGN(len + nlmsg_hdr(req)->nlmsg_len - NLMSG_HDRLEN);
		o = len;
		len += NLA_HDRLEN + 12;
		memcpy(buf + o, &(struct nlattr){ NLA_HDRLEN + 12, NLMSGERR_ATTR_MSG },
		       NLA_HDRLEN);
		memcpy(buf + o + NLA_HDRLEN, "Bad chunk..", 12);
		v = 20;
		memcpy(buf + len, &(struct nlattr){ NLA_HDRLEN + 4, NLMSGERR_ATTR_OFFS },
		       NLA_HDRLEN);
		memcpy(buf + len + NLA_HDRLEN, &v, 4);
		len += NLA_HDRLEN + 4;
		v = VSS_E_VOLUME_IN_USE;
		memcpy(buf + len, &(struct nlattr){ NLA_HDRLEN + 4, NLMSGERR_ATTR_COOKIE },
		       NLA_HDRLEN);
		memcpy(buf + len + NLA_HDRLEN, &v, 4);
		len += NLA_HDRLEN + 4;
		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
		save(buf, len);
		nlmsg_free(req);
	}
	printf("%d seeds in %s\n", nr, dir);
	return 0;
}
