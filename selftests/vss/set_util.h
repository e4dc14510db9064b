/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the snapshot-set selftests: brd-backed LUNs, module knobs,
 * session/set queries, and a write that must (or must not) complete in time.
 */
#ifndef _VSS_SET_UTIL_H
#define _VSS_SET_UTIL_H

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "nl_raw.h"

static inline long long su_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline int su_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static inline bool su_wait_path(const char *path, int ms)
{
	struct stat st;
	long long end = su_now_ms() + ms;

	while (stat(path, &st)) {
		if (su_now_ms() > end)
			return false;
		usleep(20000);
	}
	return true;
}

/* (Re)create /dev/ram0..@nr-1 of @mb MiB each. */
static inline int su_ramdisks(int nr, int mb)
{
	char path[32];

	su_sh("lsmod | grep -q '^brd ' && rmmod brd");
	if (su_sh("modprobe brd rd_nr=%d rd_size=%d max_part=0", nr, mb * 1024))
		return -1;
	snprintf(path, sizeof(path), "/dev/ram%d", nr - 1);
	return su_wait_path(path, 5000) ? 0 : -1;
}

static inline int su_knob(const char *name, const char *val)
{
	char path[128];
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/sys/module/vss/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val));
	close(fd);
	return r < 0 ? -errno : 0;
}

static inline uint32_t su_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a)
		memcpy(&v, nlr_data(a), sizeof(v));
	return v;
}

/* State of session @sid (0 if it does not exist) and of its set. */
static inline uint32_t su_session_state(struct nlr *n,
					const unsigned char sid[16],
					uint32_t *set_state)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(n, &m, VSS_CMD_SESSION_GET, false);
	nlr_put(&m, VSS_A_SESSION_ID, sid, 16);
	if (nlr_xfer(n, &m, &a))
		return 0;
	if (set_state)
		*set_state = su_u32(nlr_reply_attr(&a, VSS_A_SESSION_SET_STATE));
	return su_u32(nlr_reply_attr(&a, VSS_A_SESSION_STATE));
}

/* Snapshots of the set @set_id (all snapshots if NULL). */
static inline int su_snapshot_count(struct nlr *n, const unsigned char *set_id)
{
	struct nlr_msg m;
	struct nlr_ack a;
	int ret;

	nlr_req(n, &m, VSS_CMD_SNAPSHOT_GET, true);
	if (set_id)
		nlr_put(&m, VSS_A_SNAPSHOT_SET_ID, set_id, 16);
	ret = nlr_xfer(n, &m, &a);
	return ret ? ret : a.replies;
}

static inline bool su_lun_busy(struct nlr *n, const char *name)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, name);
	if (nlr_xfer(n, &m, &a))
		return false;
	return nlr_reply_attr(&a, VSS_A_LUN_BUSY) != NULL;
}

/* Delete every snapshot (they keep a LUN from being removed cleanly). */
static inline void su_delete_all_snapshots(struct nlr *n)
{
	struct nlr_msg m;
	struct nlr_ack a;
	unsigned char id[16];

	for (;;) {
		nlr_req(n, &m, VSS_CMD_SNAPSHOT_GET, true);
		if (nlr_xfer(n, &m, &a) || !a.replies ||
		    !nlr_reply_attr(&a, VSS_A_SNAPSHOT_ID))
			return;
		memcpy(id, nlr_data(nlr_reply_attr(&a, VSS_A_SNAPSHOT_ID)), 16);
		nlr_req(n, &m, VSS_CMD_SNAPSHOT_DEL, false);
		nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
		if (nlr_xfer(n, &m, &a))
			return;
	}
}

/*
 * A 4 KiB O_DIRECT write to @dev at @off, run in a thread so that a held
 * LUN can be observed: su_write_start(), then su_write_wait(ms).
 */
struct su_write {
	pthread_t thr;
	const char *dev;
	off_t off;
	int ret;
	volatile bool done;
};

static inline void *su_write_fn(void *arg)
{
	struct su_write *w = arg;
	void *buf;
	int fd;

	w->ret = -1;
	if (posix_memalign(&buf, 4096, 4096))
		goto out;
	memset(buf, 0xa5, 4096);
	fd = open(w->dev, O_WRONLY | O_DIRECT);
	if (fd >= 0) {
		if (pwrite(fd, buf, 4096, w->off) == 4096 && !fsync(fd))
			w->ret = 0;
		close(fd);
	}
	free(buf);
out:
	w->done = true;
	return NULL;
}

static inline int su_write_start(struct su_write *w, const char *dev, off_t off)
{
	memset(w, 0, sizeof(*w));
	w->dev = dev;
	w->off = off;
	return pthread_create(&w->thr, NULL, su_write_fn, w);
}

/* Wait up to @ms; true (and joined) if the write completed. */
static inline bool su_write_wait(struct su_write *w, int ms)
{
	long long end = su_now_ms() + ms;

	while (!w->done && su_now_ms() < end)
		usleep(5000);
	if (!w->done)
		return false;
	pthread_join(w->thr, NULL);
	return true;
}

/* A write that completes within @ms, successfully. */
static inline bool su_write_ok(const char *dev, off_t off, int ms)
{
	struct su_write w;

	if (su_write_start(&w, dev, off))
		return false;
	if (!su_write_wait(&w, ms))
		return false;
	return w.ret == 0;
}

#ifdef LIBVSSCTL_VSSCTL_H
/*
 * The LUNs of the libvssctl selftests (writers_test, lib_backup_test,
 * lib_fidelity_test), set up through the library: vss loaded (a previous
 * test's teardown unloaded it), a context in *@ctxp, LUNs left by a
 * crashed run removed, brd re-created with 2 * @n ramdisks of @mb MiB,
 * LUN @luns[i] on /dev/ram<i> with its store on /dev/ram<i + n>.
 * Returns 0, or -1 with the reason in @why.
 */
static inline int su_lib_luns_up(struct vss_ctx **ctxp,
				 const char *const *luns, int n, int mb,
				 char *why, size_t len)
{
	struct vss_lun_params p = { .format = true };
	struct vss_ctx *ctx;
	char b[32], s[32];

	if (su_sh("lsmod | grep -q '^vss ' || modprobe vss")) {
		snprintf(why, len, "cannot load vss");
		return -1;
	}
	if (vss_ctx_new(ctxp)) {
		snprintf(why, len, "vss_ctx_new: %s",
			 vss_ctx_last_error_msg(NULL));
		return -1;
	}
	ctx = *ctxp;
	for (int i = 0; i < n; i++)
		vss_lun_remove(ctx, luns[i]);
	if (su_ramdisks(2 * n, mb)) {
		snprintf(why, len, "cannot create the brd ramdisks");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "/dev/ram%d", i);
		snprintf(s, sizeof(s), "/dev/ram%d", i + n);
		p.name = luns[i];
		p.backing = b;
		p.store = s;
		if (vss_lun_add(ctx, &p, NULL)) {
			snprintf(why, len, "lun add %s: %s", luns[i],
				 vss_ctx_last_error_msg(ctx));
			return -1;
		}
		snprintf(b, sizeof(b), "/dev/vss-%s", luns[i]);
		if (!su_wait_path(b, 5000)) {
			snprintf(why, len, "%s did not appear", b);
			return -1;
		}
	}
	return 0;
}

/*
 * Undo su_lib_luns_up(): every snapshot deleted, the LUNs removed, brd and
 * vss unloaded.
 */
static inline void su_lib_luns_down(struct vss_ctx *ctx,
				    const char *const *luns, int n)
{
	struct vss_snapshot_info *snaps;
	size_t nr;

	if (vss_snapshot_list(ctx, NULL, NULL, &snaps, &nr) == 0) {
		for (size_t i = 0; i < nr; i++)
			vss_snapshot_delete(ctx, &snaps[i].id);
		free(snaps);
	}
	for (int i = 0; i < n; i++)
		vss_lun_remove(ctx, luns[i]);
	su_sh("rmmod brd 2>/dev/null; rmmod vss 2>/dev/null");
}
#endif /* LIBVSSCTL_VSSCTL_H */

#endif /* _VSS_SET_UTIL_H */
