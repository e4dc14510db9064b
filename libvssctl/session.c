// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - session queries (session-get).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DUMP_RETRIES 5

static int session_one_cb(const struct nlmsghdr *nlh, void *arg)
{
	return vss__parse_session(nlh, nlh->nlmsg_type, arg);
}

VSS_EXPORT int vss_session_get(struct vss_ctx *ctx, const vss_id_t *id,
			       struct vss_session_info *info)
{
	struct vss_session_info si;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, id);
	VSS_NEED(ctx, info);
	vss__clear_error(ctx);
	req = vss__req_new(ctx, VSS_CMD_SESSION_GET, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, id);
	memset(&si, 0, sizeof(si));
	rc = vss__request(ctx, &req, session_one_cb, &si);
	if (rc)
		return rc;
	if (!si.state)
		return vss__set_error(ctx, -EBADMSG, 0,
				      "the kernel did not reply with the session");
	*info = si;
	return 0;
}

struct session_list {
	struct vss_session_info *a;
	size_t nr, alloc;
};

static int session_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct session_list *l = arg;
	struct vss_session_info si;
	int rc;

	rc = vss__parse_session(nlh, nlh->nlmsg_type, &si);
	if (rc)
		return rc;
	return vss__array_push((void **)&l->a, &l->nr, &l->alloc, sizeof(si),
			       &si);
}

VSS_EXPORT int vss_session_list(struct vss_ctx *ctx,
				struct vss_session_info **sessions, size_t *nr)
{
	int rc = -EAGAIN;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, sessions);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	for (int i = 0; i < DUMP_RETRIES && rc == -EAGAIN; i++) {
		struct session_list l = { 0 };
		struct vss_req req = vss__req_new(ctx, VSS_CMD_SESSION_GET,
						  NLM_F_DUMP);

		rc = vss__request(ctx, &req, session_list_cb, &l);
		if (rc) {
			free(l.a);
			continue;
		}
		*sessions = l.a;
		*nr = l.nr;
	}
	return rc;
}
