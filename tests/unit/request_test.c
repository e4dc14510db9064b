// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: libvssctl's request builder (struct vss_req).  A request
 * whose attributes do not fit is never sent; the request path frees it and
 * reports "request too large" (-EMSGSIZE) once, whatever the builder.
 * Links libvssctl.a to reach the internal vss__ functions.
 */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "internal.h"

#define FAMILY 0x1c

static struct vss_ctx *fake_ctx(void)
{
	static struct vss_ctx ctx;

	ctx.family = FAMILY;
	return &ctx;
}

/* Attributes put by the builder land in the message, in order. */
static void test_req_build(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct nlattr *tb[VSS_A_SNAPSHOT_MAX + 1];
	struct vss_req r = vss__req_new(ctx, VSS_CMD_SNAPSHOT_CHANGES,
					NLM_F_DUMP);
	struct nlmsghdr *nlh;
	vss_id_t id, got;
	uint64_t off;
	uint8_t cmd;

	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(0x30 + i);
	CHECK(r.msg != NULL);
	CHECK_EQ_INT(r.error, 0);
	vss__put_id(&r, VSS_A_SNAPSHOT_ID, &id);
	vss__put_u64(&r, VSS_A_SNAPSHOT_OFFSET, 1ULL << 40);
	CHECK_EQ_INT(r.error, 0);
	nlh = nlmsg_hdr(r.msg);
	CHECK(nlh->nlmsg_flags & NLM_F_DUMP);
	CHECK(nlh->nlmsg_flags & NLM_F_ACK);
	CHECK_EQ_INT(vss__genl_parse(nlh, FAMILY, tb, VSS_A_SNAPSHOT_MAX, &cmd),
		     0);
	CHECK_EQ_INT(cmd, VSS_CMD_SNAPSHOT_CHANGES);
	CHECK_EQ_INT(vss__attr_id(tb[VSS_A_SNAPSHOT_ID], &got), 0);
	CHECK(!memcmp(got.b, id.b, sizeof(id.b)));
	CHECK_EQ_INT(vss__attr_u64(tb[VSS_A_SNAPSHOT_OFFSET], &off), 0);
	CHECK_EQ_U64(off, 1ULL << 40);
	vss__req_free(&r);
	CHECK(r.msg == NULL);
}

/* An attribute that does not fit: later puts are ignored, nothing is sent. */
static void test_req_too_large(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_req r = vss__req_new(ctx, VSS_CMD_LUN_ADD, 0);
	size_t big = 1 << 20;
	char *s = malloc(big);
	int rc;

	CHECK(s != NULL);
	if (!s) {
		vss__req_free(&r);
		return;
	}
	memset(s, 'x', big - 1);
	s[big - 1] = '\0';
	vss__put_str(&r, VSS_A_LUN_NAME, "db");
	CHECK_EQ_INT(r.error, 0);
	vss__put_str(&r, VSS_A_LUN_BACKING, s);
	CHECK_EQ_INT(r.error, -EMSGSIZE);
	vss__put_str(&r, VSS_A_LUN_STORE, "ram1");
	vss__put_flag(&r, VSS_A_LUN_FORMAT);
	CHECK_EQ_INT(r.error, -EMSGSIZE);
	/* no socket: the request path must not get as far as sending */
	rc = vss__request_on(ctx, NULL, &r, NULL, NULL);
	CHECK_EQ_INT(rc, -EMSGSIZE);
	CHECK(r.msg == NULL);
	CHECK_STR(vss_ctx_last_error_msg(ctx), "request too large");
	free(s);
}

/* A request that could not be allocated reports -ENOMEM, without text. */
static void test_req_nomem(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_req r = { .msg = NULL, .error = -ENOMEM };
	int rc;

	vss__put_u32(&r, VSS_A_LUN_CHUNK_SIZE, 4096);
	vss__put_str(&r, VSS_A_LUN_NAME, "db");
	CHECK_EQ_INT(r.error, -ENOMEM);
	rc = vss__request_on(ctx, NULL, &r, NULL, NULL);
	CHECK_EQ_INT(rc, -ENOMEM);
	CHECK(vss_ctx_last_error_msg(ctx) == NULL);
}

int main(void)
{
	RUN(test_req_build);
	RUN(test_req_too_large);
	RUN(test_req_nomem);
	return tap_done();
}
