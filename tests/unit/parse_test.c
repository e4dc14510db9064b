// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: libvssctl's decoding of what the kernel sends (ACKs with
 * extended-ACK attributes, dump streams, replies, notifications), built in
 * memory.  Links libvssctl.a to reach the internal vss__ functions.
 */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "internal.h"

#define FAMILY 0x1c

/* ---- builders ---- */

/* A vss family message with the given command; attributes added by caller. */
static struct nl_msg *genl(uint8_t cmd, uint32_t seq, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, seq, FAMILY, 0, flags, cmd, 1);
	return m;
}

static vss_id_t mkid(uint8_t seed)
{
	vss_id_t id;

	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(seed + i);
	return id;
}

static void put_full_lun(struct nl_msg *m)
{
	vss_id_t sid = mkid(0x40);

	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put_string(m, VSS_A_LUN_BACKING, "ram0");
	nla_put_string(m, VSS_A_LUN_STORE, "ram1");
	nla_put_u32(m, VSS_A_LUN_CHUNK_SIZE, 65536);
	nla_put_u32(m, VSS_A_LUN_DEV_MAJOR, 252);
	nla_put_u32(m, VSS_A_LUN_DEV_MINOR, 3);
	nla_put_u64(m, VSS_A_LUN_SIZE, 64ULL << 20);
	nla_put_u64(m, VSS_A_LUN_STORE_SIZE, 32ULL << 20);
	nla_put_u64(m, VSS_A_LUN_STORE_USED, 12345);
	nla_put_u32(m, VSS_A_LUN_SNAPSHOT_COUNT, 2);
	nla_put_flag(m, VSS_A_LUN_BUSY);
	nla_put(m, VSS_A_LUN_SESSION_ID, 16, sid.b);
}

static void put_full_snapshot(struct nl_msg *m, uint8_t seed)
{
	vss_id_t id = mkid(seed), set = mkid(0x80);

	nla_put(m, VSS_A_SNAPSHOT_ID, 16, id.b);
	nla_put(m, VSS_A_SNAPSHOT_SET_ID, 16, set.b);
	nla_put_string(m, VSS_A_SNAPSHOT_LUN, "db");
	nla_put_string(m, VSS_A_SNAPSHOT_DEVICE, "vss-db-s7");
	nla_put_u32(m, VSS_A_SNAPSHOT_DEV_MAJOR, 252);
	nla_put_u32(m, VSS_A_SNAPSHOT_DEV_MINOR, 9);
	nla_put_u32(m, VSS_A_SNAPSHOT_SEQ, 7);
	nla_put_u64(m, VSS_A_SNAPSHOT_CREATED, 1795311495123456789ULL);
	nla_put_u32(m, VSS_A_SNAPSHOT_STATE, VSS_SNAPSHOT_STATE_READY);
	nla_put_u64(m, VSS_A_SNAPSHOT_COW_BYTES, 4096);
}

/* A raw byte buffer for hand-made messages. */
struct buf {
	uint8_t d[4096];
	size_t len;
};

static void *bput(struct buf *b, const void *p, size_t n)
{
	void *at = b->d + b->len;

	memcpy(at, p, n);
	b->len += n;
	return at;
}

static void bpad(struct buf *b)
{
	while (b->len % 4)
		b->d[b->len++] = 0;
}

static void battr(struct buf *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };

	bput(b, &a, sizeof(a));
	bput(b, p, n);
	bpad(b);
}

/*
 * NLMSG_ERROR for a request @req: @capped leaves the request out; the
 * extack message @msg, offset @offs and a 4-byte cookie @hr are added when
 * non-zero/non-NULL.
 */
static struct nlmsghdr *errmsg(struct buf *b, int error,
			       const struct nlmsghdr *req, bool capped,
			       const char *msg, uint32_t offs, uint32_t hr)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr e = { .error = error, .msg = *req };
	bool tlvs = msg || offs || hr;

	b->len = 0;
	nlh = bput(b, &(struct nlmsghdr){ .nlmsg_type = NLMSG_ERROR,
					   .nlmsg_seq = req->nlmsg_seq },
		   NLMSG_HDRLEN);
	nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) |
			   (tlvs ? NLM_F_ACK_TLVS : 0);
	bput(b, &e, sizeof(e));
	if (!capped)
		bput(b, (const char *)req + NLMSG_HDRLEN,
		     req->nlmsg_len - NLMSG_HDRLEN);
	bpad(b);
	if (msg)
		battr(b, NLMSGERR_ATTR_MSG, msg, strlen(msg) + 1);
	if (offs)
		battr(b, NLMSGERR_ATTR_OFFS, &offs, 4);
	if (hr)
		battr(b, NLMSGERR_ATTR_COOKIE, &hr, 4);
	nlh = (struct nlmsghdr *)b->d;
	nlh->nlmsg_len = (uint32_t)b->len;
	return nlh;
}

/* ---- extended ACK ---- */

static void test_ack_ok(void)
{
	struct nl_msg *req = genl(VSS_CMD_LUN_DEL, 5, NLM_F_REQUEST);
	struct vss_nlerr e;
	struct buf b;

	nla_put_string(req, VSS_A_LUN_NAME, "db");
	CHECK_EQ_INT(vss__parse_nlerr(errmsg(&b, 0, nlmsg_hdr(req), true,
					     NULL, 0, 0), &e), 0);
	CHECK_EQ_INT(e.error, 0);
	CHECK_STR(e.msg, "");
	nlmsg_free(req);
}

static void test_ack_extack_capped(void)
{
	struct nl_msg *req = genl(VSS_CMD_LUN_ADD, 6, NLM_F_REQUEST);
	struct vss_nlerr e;
	struct buf b;

	nla_put_u32(req, VSS_A_LUN_CHUNK_SIZE, 3000);
	CHECK_EQ_INT(vss__parse_nlerr(errmsg(&b, -EINVAL, nlmsg_hdr(req), true,
					     "Chunk size must be a power of two",
					     20, VSS_E_VOLUME_IN_USE), &e), 0);
	CHECK_EQ_INT(e.error, -EINVAL);
	CHECK_STR(e.msg, "Chunk size must be a power of two");
	CHECK(e.has_offs);
	CHECK_EQ_INT(e.offs, 20);
	CHECK_EQ_INT(e.cookie_len, 4);
	nlmsg_free(req);
}

static void test_ack_extack_uncapped(void)
{
	struct nl_msg *req = genl(VSS_CMD_LUN_ADD, 7, NLM_F_REQUEST);
	struct vss_nlerr e;
	struct buf b;

	/* the echoed request is skipped to reach the TLVs */
	nla_put_string(req, VSS_A_LUN_NAME, "a-name-of-odd-size");
	nla_put_string(req, VSS_A_LUN_BACKING, "/dev/ram0");
	CHECK_EQ_INT(vss__parse_nlerr(errmsg(&b, -EEXIST, nlmsg_hdr(req), false,
					     "LUN exists", 0, 0), &e), 0);
	CHECK_EQ_INT(e.error, -EEXIST);
	CHECK_STR(e.msg, "LUN exists");
	CHECK(!e.has_offs);
	nlmsg_free(req);
}

static void test_ack_missing_attr(void)
{
	struct nl_msg *req = genl(VSS_CMD_LUN_DEL, 8, NLM_F_REQUEST);
	struct vss_nlerr e;
	struct buf b;
	uint32_t miss = VSS_A_LUN_NAME;
	struct nlmsghdr *nlh;

	errmsg(&b, -EINVAL, nlmsg_hdr(req), true, NULL, 0, 0);
	battr(&b, NLMSGERR_ATTR_MISS_TYPE, &miss, 4);
	nlh = (struct nlmsghdr *)b.d;
	nlh->nlmsg_len = (uint32_t)b.len;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	CHECK_EQ_INT(vss__parse_nlerr(nlh, &e), 0);
	CHECK(e.has_miss);
	CHECK_EQ_INT(e.miss_type, VSS_A_LUN_NAME);
	CHECK_STR(vss__attr_name(VSS_CMD_LUN_DEL, e.miss_type), "name");
	CHECK_STR(vss__attr_name(VSS_CMD_SET_ADD, VSS_A_SET_LUN), "lun");
	CHECK_STR(vss__attr_name(VSS_CMD_SET_ADD, 999), "unknown");
	/* every request's set, from the spec (names-gen.c) */
	CHECK_STR(vss__attr_name(VSS_CMD_SET_BREAK, VSS_A_SET_SNAPSHOT_COUNT), "snapshot-count");
	CHECK_STR(vss__attr_name(VSS_CMD_LUN_ADD, VSS_A_LUN_CHUNK_SIZE), "chunk-size");
	CHECK_STR(vss__attr_name(200, 1), "unknown");
	nlmsg_free(req);
}

static void test_ack_malformed(void)
{
	struct nl_msg *req = genl(VSS_CMD_LUN_ADD, 9, NLM_F_REQUEST);
	struct vss_nlerr e;
	struct nlmsghdr *nlh;
	struct buf b;

	/* too short for struct nlmsgerr */
	nlh = errmsg(&b, -EINVAL, nlmsg_hdr(req), true, NULL, 0, 0);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK_EQ_INT(vss__parse_nlerr(nlh, &e), -EBADMSG);
	/* echoed request claims more than the message holds */
	nlh = errmsg(&b, -EINVAL, nlmsg_hdr(req), false, "x", 0, 0);
	((struct nlmsgerr *)NLMSG_DATA(nlh))->msg.nlmsg_len = 60000;
	CHECK_EQ_INT(vss__parse_nlerr(nlh, &e), -EBADMSG);
	/* positive error code */
	nlh = errmsg(&b, 5, nlmsg_hdr(req), true, NULL, 0, 0);
	CHECK_EQ_INT(vss__parse_nlerr(nlh, &e), -EBADMSG);
	/* message without its NUL: taken up to the attribute's end */
	nlh = errmsg(&b, -EINVAL, nlmsg_hdr(req), true, NULL, 0, 0);
	battr(&b, NLMSGERR_ATTR_MSG, "abc", 3);
	nlh = (struct nlmsghdr *)b.d;
	nlh->nlmsg_len = (uint32_t)b.len;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	CHECK_EQ_INT(vss__parse_nlerr(nlh, &e), 0);
	CHECK_STR(e.msg, "abc");
	nlmsg_free(req);
}

static void test_done(void)
{
	struct buf b = { .len = 0 };
	struct nlmsghdr *nlh;
	struct vss_nlerr e;
	int32_t status = -ENOENT;

	nlh = bput(&b, &(struct nlmsghdr){ .nlmsg_type = NLMSG_DONE,
					    .nlmsg_flags = NLM_F_MULTI |
							   NLM_F_ACK_TLVS },
		   NLMSG_HDRLEN);
	bput(&b, &status, 4);
	battr(&b, NLMSGERR_ATTR_MSG, "The snapshot's LUN is gone", 27);
	nlh = (struct nlmsghdr *)b.d;
	nlh->nlmsg_len = (uint32_t)b.len;
	CHECK_EQ_INT(vss__parse_done(nlh, &e), 0);
	CHECK_EQ_INT(e.error, -ENOENT);
	CHECK_STR(e.msg, "The snapshot's LUN is gone");
	/* an old-style empty DONE */
	nlh->nlmsg_len = NLMSG_HDRLEN;
	CHECK_EQ_INT(vss__parse_done(nlh, &e), 0);
	CHECK_EQ_INT(e.error, 0);
}

/* ---- reply streams ---- */

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct vss_lun_info li;

	if (vss__parse_lun(nlh, FAMILY, &li))
		return -EBADMSG;
	(*(int *)arg)++;
	return 0;
}

static void append_msg(struct buf *b, struct nl_msg *m)
{
	bput(b, nlmsg_hdr(m), NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len));
	nlmsg_free(m);
}

static void test_walk_dump(void)
{
	struct vss_walk w = { .seq = 42, .family = FAMILY, .cb = count_cb };
	struct buf b = { .len = 0 };
	struct nl_msg *m;
	int n = 0;
	int32_t zero = 0;

	w.arg = &n;
	for (int i = 0; i < 3; i++) {
		m = genl(VSS_CMD_LUN_GET, i == 1 ? 41 : 42, NLM_F_MULTI);
		put_full_lun(m);
		append_msg(&b, m);
	}
	bput(&b, &(struct nlmsghdr){ .nlmsg_len = NLMSG_HDRLEN + 4,
				      .nlmsg_type = NLMSG_DONE,
				      .nlmsg_seq = 42 }, NLMSG_HDRLEN);
	bput(&b, &zero, 4);
	CHECK_EQ_INT(vss__walk(&w, b.d, b.len), 0);
	CHECK(w.done);
	CHECK_EQ_INT(n, 2);		/* the stale seq 41 is skipped */
	CHECK_EQ_INT(w.nlerr.error, 0);
	CHECK(!w.intr);
}

static void test_walk_split_and_intr(void)
{
	struct vss_walk w = { .seq = 7, .family = FAMILY, .cb = count_cb };
	struct buf b1 = { .len = 0 }, b2 = { .len = 0 };
	struct nl_msg *m;
	int32_t zero = 0;
	int n = 0;

	w.arg = &n;
	m = genl(VSS_CMD_LUN_GET, 7, NLM_F_MULTI | NLM_F_DUMP_INTR);
	put_full_lun(m);
	append_msg(&b1, m);
	CHECK_EQ_INT(vss__walk(&w, b1.d, b1.len), 0);
	CHECK(!w.done);
	bput(&b2, &(struct nlmsghdr){ .nlmsg_len = NLMSG_HDRLEN + 4,
				       .nlmsg_type = NLMSG_DONE,
				       .nlmsg_seq = 7 }, NLMSG_HDRLEN);
	bput(&b2, &zero, 4);
	CHECK_EQ_INT(vss__walk(&w, b2.d, b2.len), 0);
	CHECK(w.done);
	CHECK(w.intr);
	CHECK_EQ_INT(n, 1);
}

static void test_walk_malformed(void)
{
	struct vss_walk w = { .seq = 1, .family = FAMILY };
	struct buf b = { .len = 0 };
	struct nl_msg *m = genl(VSS_CMD_LUN_GET, 1, 0);

	put_full_lun(m);
	append_msg(&b, m);
	/* message longer than the datagram */
	CHECK_EQ_INT(vss__walk(&w, b.d, b.len - 8), -EBADMSG);
	/* length below the header */
	((struct nlmsghdr *)b.d)->nlmsg_len = 4;
	CHECK_EQ_INT(vss__walk(&w, b.d, b.len), -EBADMSG);
	/* overrun */
	((struct nlmsghdr *)b.d)->nlmsg_len = NLMSG_HDRLEN;
	((struct nlmsghdr *)b.d)->nlmsg_type = NLMSG_OVERRUN;
	CHECK_EQ_INT(vss__walk(&w, b.d, NLMSG_HDRLEN), -EBADMSG);
}

static void test_walk_callback_error(void)
{
	struct vss_walk w = { .seq = 3, .family = FAMILY, .cb = count_cb };
	struct buf b = { .len = 0 };
	struct nl_msg *m;
	int n = 0;

	w.arg = &n;
	m = genl(VSS_CMD_LUN_GET, 3, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "no-device");	/* device missing */
	append_msg(&b, m);
	m = genl(VSS_CMD_LUN_GET, 3, 0);
	put_full_lun(m);
	append_msg(&b, m);
	CHECK_EQ_INT(vss__walk(&w, b.d, b.len), 0);
	CHECK_EQ_INT(w.cb_error, -EBADMSG);
	CHECK_EQ_INT(n, 0);		/* no callbacks after the first error */
}

/* ---- objects ---- */

static void test_parse_lun(void)
{
	struct nl_msg *m = genl(VSS_CMD_LUN_GET, 1, 0);
	struct vss_lun_info li;
	vss_id_t sid = mkid(0x40);

	put_full_lun(m);
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), 0);
	CHECK_STR(li.name, "db");
	CHECK_STR(li.device, "/dev/vss-db");
	CHECK_STR(li.backing, "ram0");
	CHECK_STR(li.store, "ram1");
	CHECK_EQ_INT(li.chunk_size, 65536);
	CHECK_EQ_INT(li.dev_major, 252);
	CHECK_EQ_INT(li.dev_minor, 3);
	CHECK_EQ_U64(li.size, 64ULL << 20);
	CHECK_EQ_U64(li.store_size, 32ULL << 20);
	CHECK_EQ_U64(li.store_used, 12345);
	CHECK_EQ_INT(li.snapshot_count, 2);
	CHECK(li.busy);
	CHECK(li.has_session_id);
	CHECK(vss_id_equal(&li.session_id, &sid));
	/* wrong family */
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY + 1, &li), -EBADMSG);
	nlmsg_free(m);
}

static void test_parse_lun_bad(void)
{
	struct vss_lun_info li;
	struct nl_msg *m;

	/* a device name with a slash would escape /dev */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "../etc");
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	/* string without NUL */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put(m, VSS_A_LUN_NAME, 2, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	/* name longer than the limit */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "abcdefghijklmnopqrstuvwxyz");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	/* u32 of the wrong size */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put_u16(m, VSS_A_LUN_CHUNK_SIZE, 4096);
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	/* flag with a payload, id of the wrong size */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put_u32(m, VSS_A_LUN_BUSY, 1);
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put(m, VSS_A_LUN_SESSION_ID, 15, "0123456789abcde");
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), -EBADMSG);
	nlmsg_free(m);
	/* unknown attributes (a newer kernel) are ignored */
	m = genl(VSS_CMD_LUN_GET, 1, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nla_put_u32(m, VSS_A_LUN_MAX + 5, 1);
	CHECK_EQ_INT(vss__parse_lun(nlmsg_hdr(m), FAMILY, &li), 0);
	nlmsg_free(m);
}

static void test_parse_snapshot(void)
{
	struct nl_msg *m = genl(VSS_CMD_SNAPSHOT_GET, 1, 0);
	struct vss_snapshot_info si;
	vss_id_t id = mkid(1), set = mkid(0x80);

	put_full_snapshot(m, 1);
	CHECK_EQ_INT(vss__parse_snapshot(nlmsg_hdr(m), FAMILY, &si), 0);
	CHECK(vss_id_equal(&si.id, &id));
	CHECK(vss_id_equal(&si.set_id, &set));
	CHECK_STR(si.lun, "db");
	CHECK_STR(si.device, "/dev/vss-db-s7");
	CHECK_EQ_INT(si.seq, 7);
	CHECK_EQ_U64(si.created_ns, 1795311495123456789ULL);
	CHECK_EQ_INT(si.state, VSS_SNAPSHOT_STATE_READY);
	CHECK_EQ_U64(si.cow_bytes, 4096);
	CHECK(!si.has_session_id);
	nlmsg_free(m);

	m = genl(VSS_CMD_SNAPSHOT_GET, 1, 0);
	nla_put_string(m, VSS_A_SNAPSHOT_LUN, "db");
	nla_put_string(m, VSS_A_SNAPSHOT_DEVICE, "vss-db-s1");
	CHECK_EQ_INT(vss__parse_snapshot(nlmsg_hdr(m), FAMILY, &si), -EBADMSG);
	nlmsg_free(m);
}

static void test_parse_session(void)
{
	struct nl_msg *m = genl(VSS_CMD_SESSION_NEW, 1, 0);
	struct vss_session_info si;
	vss_id_t id = mkid(9);

	nla_put(m, VSS_A_SESSION_ID, 16, id.b);
	nla_put_u32(m, VSS_A_SESSION_STATE, VSS_SESSION_STATE_INITIALIZED);
	nla_put_u32(m, VSS_A_SESSION_PORTID, 1234);
	CHECK_EQ_INT(vss__parse_session(nlmsg_hdr(m), FAMILY, &si), 0);
	CHECK(vss_id_equal(&si.id, &id));
	CHECK_EQ_INT(si.state, VSS_SESSION_STATE_INITIALIZED);
	CHECK_EQ_INT(si.portid, 1234);
	CHECK(!si.has_set);
	nlmsg_free(m);

	m = genl(VSS_CMD_SESSION_NEW, 1, 0);
	nla_put(m, VSS_A_SESSION_ID, 16, id.b);
	CHECK_EQ_INT(vss__parse_session(nlmsg_hdr(m), FAMILY, &si), -EBADMSG);
	nlmsg_free(m);
}

static void put_member(struct nl_msg *m, int i)
{
	struct nlattr *nest = nla_nest_start(m, VSS_A_SET_MEMBER);
	vss_id_t id = mkid((uint8_t)i);
	char name[16], dev[32];

	snprintf(name, sizeof(name), "lun%d", i);
	snprintf(dev, sizeof(dev), "vss-lun%d-s1", i);
	nla_put_string(m, VSS_A_MEMBER_LUN, name);
	nla_put(m, VSS_A_MEMBER_SNAPSHOT_ID, 16, id.b);
	nla_put_string(m, VSS_A_MEMBER_DEVICE, dev);
	nla_put_u32(m, VSS_A_MEMBER_DEV_MAJOR, 252);
	nla_put_u32(m, VSS_A_MEMBER_DEV_MINOR, (uint32_t)i);
	nla_nest_end(m, nest);
}

static void test_parse_set_do(void)
{
	struct vss_set_result *res = malloc(sizeof(*res));
	vss_id_t set = mkid(0x80), id2 = mkid(2);
	struct nl_msg *m = genl(VSS_CMD_SET_DO, 1, 0);

	nla_put(m, VSS_A_SET_ID, 16, set.b);
	nla_put_u32(m, VSS_A_SET_STATE, VSS_SET_STATE_CREATED);
	nla_put_u64(m, VSS_A_SET_HOLD_US, 1234);
	for (int i = 0; i < 3; i++)
		put_member(m, i);
	CHECK_EQ_INT(vss__parse_set_do(nlmsg_hdr(m), FAMILY, res), 0);
	CHECK(vss_id_equal(&res->set_id, &set));
	CHECK_EQ_INT(res->state, VSS_SET_STATE_CREATED);
	CHECK_EQ_U64(res->hold_us, 1234);
	CHECK_EQ_INT(res->nr_members, 3);
	CHECK_STR(res->members[2].lun, "lun2");
	CHECK_STR(res->members[2].device, "/dev/vss-lun2-s1");
	CHECK(vss_id_equal(&res->members[2].snapshot_id, &id2));
	CHECK_EQ_INT(res->members[2].dev_minor, 2);
	nlmsg_free(m);

	/* more members than a set can have */
	m = nlmsg_alloc_size(65536);
	genlmsg_put(m, 0, 1, FAMILY, 0, 0, VSS_CMD_SET_DO, 1);
	nla_put(m, VSS_A_SET_ID, 16, set.b);
	nla_put_u32(m, VSS_A_SET_STATE, VSS_SET_STATE_CREATED);
	nla_put_u64(m, VSS_A_SET_HOLD_US, 1);
	for (int i = 0; i < VSS_SET_MAX_LUNS + 1; i++)
		put_member(m, i);
	CHECK_EQ_INT(vss__parse_set_do(nlmsg_hdr(m), FAMILY, res), -EBADMSG);
	nlmsg_free(m);

	/* a member without its snapshot id */
	m = genl(VSS_CMD_SET_DO, 1, 0);
	nla_put(m, VSS_A_SET_ID, 16, set.b);
	nla_put_u32(m, VSS_A_SET_STATE, VSS_SET_STATE_CREATED);
	nla_put_u64(m, VSS_A_SET_HOLD_US, 1);
	{
		struct nlattr *nest = nla_nest_start(m, VSS_A_SET_MEMBER);

		nla_put_string(m, VSS_A_MEMBER_LUN, "x");
		nla_put_string(m, VSS_A_MEMBER_DEVICE, "vss-x-s1");
		nla_nest_end(m, nest);
	}
	CHECK_EQ_INT(vss__parse_set_do(nlmsg_hdr(m), FAMILY, res), -EBADMSG);
	nlmsg_free(m);
	free(res);
}

static void test_parse_set(void)
{
	vss_id_t set = mkid(0x80), snap = mkid(3), a, b;
	struct nl_msg *m = genl(VSS_CMD_SET_ADD, 1, 0);

	nla_put(m, VSS_A_SET_ID, 16, set.b);
	CHECK_EQ_INT(vss__parse_set(nlmsg_hdr(m), FAMILY, &a, NULL), 0);
	CHECK(vss_id_equal(&a, &set));
	CHECK_EQ_INT(vss__parse_set(nlmsg_hdr(m), FAMILY, &a, &b), -EBADMSG);
	nla_put(m, VSS_A_SET_SNAPSHOT_ID, 16, snap.b);
	CHECK_EQ_INT(vss__parse_set(nlmsg_hdr(m), FAMILY, &a, &b), 0);
	CHECK(vss_id_equal(&b, &snap));
	nlmsg_free(m);
}

struct extents {
	uint64_t off[8], len[8];
	int n;
	int stop_at;
};

static int extent_cb(void *arg, uint64_t off, uint64_t len)
{
	struct extents *e = arg;

	e->off[e->n] = off;
	e->len[e->n] = len;
	e->n++;
	return e->n == e->stop_at ? 77 : 0;
}

static void put_extent(struct nl_msg *m, uint64_t off, uint64_t len)
{
	struct nlattr *nest = nla_nest_start(m, VSS_A_SNAPSHOT_EXTENT);

	nla_put_u64(m, VSS_A_EXTENT_OFFSET, off);
	nla_put_u64(m, VSS_A_EXTENT_LENGTH, len);
	nla_nest_end(m, nest);
}

static void test_parse_changes(void)
{
	struct nl_msg *m = genl(VSS_CMD_SNAPSHOT_CHANGES, 1, NLM_F_MULTI);
	struct extents e = { .n = 0 };
	vss_id_t id = mkid(1);
	uint32_t chunk;
	int stop;

	nla_put(m, VSS_A_SNAPSHOT_ID, 16, id.b);
	nla_put_u32(m, VSS_A_SNAPSHOT_CHUNK_SIZE, 4096);
	put_extent(m, 0, 4096);
	put_extent(m, 65536, 8192);
	put_extent(m, 1 << 20, 4096);
	CHECK_EQ_INT(vss__parse_changes(nlmsg_hdr(m), FAMILY, &chunk, extent_cb,
					&e, &stop), 0);
	CHECK_EQ_INT(chunk, 4096);
	CHECK_EQ_INT(stop, 0);
	CHECK_EQ_INT(e.n, 3);
	CHECK_EQ_U64(e.off[1], 65536);
	CHECK_EQ_U64(e.len[1], 8192);

	e.n = 0;
	e.stop_at = 2;
	CHECK_EQ_INT(vss__parse_changes(nlmsg_hdr(m), FAMILY, &chunk, extent_cb,
					&e, &stop), 0);
	CHECK_EQ_INT(stop, 77);
	CHECK_EQ_INT(e.n, 2);
	nlmsg_free(m);

	/* zero length, and an extent that wraps around */
	m = genl(VSS_CMD_SNAPSHOT_CHANGES, 1, NLM_F_MULTI);
	nla_put_u32(m, VSS_A_SNAPSHOT_CHUNK_SIZE, 4096);
	put_extent(m, 0, 0);
	e.n = 0;
	e.stop_at = 0;
	CHECK_EQ_INT(vss__parse_changes(nlmsg_hdr(m), FAMILY, &chunk, extent_cb,
					&e, &stop), -EBADMSG);
	nlmsg_free(m);
	m = genl(VSS_CMD_SNAPSHOT_CHANGES, 1, NLM_F_MULTI);
	nla_put_u32(m, VSS_A_SNAPSHOT_CHUNK_SIZE, 4096);
	put_extent(m, UINT64_MAX - 10, 4096);
	CHECK_EQ_INT(vss__parse_changes(nlmsg_hdr(m), FAMILY, &chunk, extent_cb,
					&e, &stop), -EBADMSG);
	nlmsg_free(m);
}

/* ---- events ---- */

static int event_cb(void *arg, const struct vss_event *ev)
{
	struct vss_event *out = arg;

	out[0] = *ev;
	return 0;
}

static void test_events(void)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	struct buf b = { .len = 0 };
	struct vss_event ev;
	vss_id_t sid = mkid(0x40);
	struct nl_msg *m;

	m = genl(VSS_CMD_LUN_REMOVED_NTF, 0, 0);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	CHECK_EQ_INT(vss__parse_event(nlmsg_hdr(m), FAMILY, &ev), 0);
	CHECK_EQ_INT(ev.type, VSS_CMD_LUN_REMOVED_NTF);
	CHECK(ev.has_lun && !ev.has_snapshot);
	CHECK_STR(ev.lun.name, "db");
	CHECK_STR(vss_event_name(ev.type), "lun-removed");
	append_msg(&b, m);

	m = genl(VSS_CMD_SNAPSHOT_CREATED_NTF, 0, 0);
	put_full_snapshot(m, 5);
	nla_put(m, VSS_A_SNAPSHOT_SESSION_ID, 16, sid.b);
	CHECK_EQ_INT(vss__parse_event(nlmsg_hdr(m), FAMILY, &ev), 0);
	CHECK(ev.has_snapshot && !ev.has_lun);
	CHECK(ev.snapshot.has_session_id);
	CHECK(vss_id_equal(&ev.snapshot.session_id, &sid));
	append_msg(&b, m);

	/* a notification this library does not know is skipped */
	m = genl(120, 0, 0);
	CHECK_EQ_INT(vss__parse_event(nlmsg_hdr(m), FAMILY, &ev), -ENOMSG);
	append_msg(&b, m);

	/* all three in one datagram: two are delivered */
	CHECK_EQ_INT(vss__events_feed(&ctx, b.d, b.len, event_cb, &ev), 2);
	CHECK_EQ_INT(ev.type, VSS_CMD_SNAPSHOT_CREATED_NTF);
	/* a truncated datagram is refused */
	CHECK_EQ_INT(vss__events_feed(&ctx, b.d, b.len - 4, event_cb, &ev),
		     -EBADMSG);
}

/* ---- ids and names ---- */

static void test_ids(void)
{
	vss_id_t id = mkid(0xf0), back;
	char s[VSS_ID_STRLEN];

	CHECK_STR(vss_id_to_string(&id, s),
		  "f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff");
	CHECK_EQ_INT(vss_id_from_string(s, &back), 0);
	CHECK(vss_id_equal(&id, &back));
	CHECK_EQ_INT(vss_id_from_string("F0F1F2F3-F4F5-F6F7-F8F9-FAFBFCFDFEFF",
					&back), 0);
	CHECK(vss_id_equal(&id, &back));
	CHECK_EQ_INT(vss_id_from_string("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
					&back), -EINVAL);
	CHECK_EQ_INT(vss_id_from_string("f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfef",
					&back), -EINVAL);
	CHECK_EQ_INT(vss_id_from_string("g0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff",
					&back), -EINVAL);
	CHECK_EQ_INT(vss_id_from_string("f0f1f2f3-f4f5-f6f7-f8f9+fafbfcfdfeff",
					&back), -EINVAL);
	CHECK_EQ_INT(vss_id_from_string(NULL, &back), -EINVAL);
}

static void test_names(void)
{
	CHECK_STR(vss_hresult_name(0x80042301U), "VSS_E_BAD_STATE");
	CHECK_STR(vss_hresult_name(VSS_E_VOLUME_IN_USE), "VSS_E_VOLUME_IN_USE");
	CHECK_STR(vss_hresult_name(0x00042309U), "VSS_S_ASYNC_PENDING");
	CHECK_STR(vss_hresult_name(0x0004230AU), "VSS_S_ASYNC_FINISHED");
	CHECK_STR(vss_hresult_name(0x0004230BU), "VSS_S_ASYNC_CANCELLED");
	CHECK_STR(vss_hresult_name(0x800423F2U), "VSS_E_WRITERERROR_TIMEOUT");
	CHECK(vss_hresult_name(0x12345678U) == NULL);
	CHECK_STR(vss_snapshot_state_name(VSS_SNAPSHOT_STATE_READY), "ready");
	CHECK_STR(vss_snapshot_state_name(99), "unknown");
	CHECK_STR(vss_session_state_name(VSS_SESSION_STATE_ABORTED), "aborted");
	CHECK_STR(vss_set_state_name(VSS_SET_STATE_CREATED), "created");
	CHECK_STR(vss_set_state_name(12), "created");	/* VSS numbering */
	CHECK_STR(vss_event_name(VSS_EVENT_OVERRUN), "overrun");
}

int main(void)
{
	RUN(test_ack_ok);
	RUN(test_ack_extack_capped);
	RUN(test_ack_extack_uncapped);
	RUN(test_ack_missing_attr);
	RUN(test_ack_malformed);
	RUN(test_done);
	RUN(test_walk_dump);
	RUN(test_walk_split_and_intr);
	RUN(test_walk_malformed);
	RUN(test_walk_callback_error);
	RUN(test_parse_lun);
	RUN(test_parse_lun_bad);
	RUN(test_parse_snapshot);
	RUN(test_parse_session);
	RUN(test_parse_set_do);
	RUN(test_parse_set);
	RUN(test_parse_changes);
	RUN(test_events);
	RUN(test_ids);
	RUN(test_names);
	return tap_done();
}
