/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss store on-disk format (versions 1 and 2).
 * Documentation/ondisk-format.rst describes every byte; keep both in sync.
 *
 * Version 2 is version 1 plus the resync records (types 6-10).  A store
 * is written as version 1 until the first resync record is written: its
 * superblock is raised to version 2 first (vss_store_upgrade()), so a
 * module that knows only version 1 refuses it as newer instead of
 * misreading its log.
 *
 * All integers are little-endian.  The store is addressed in "chunks" of
 * chunk_size bytes (4 KiB .. 1 MiB, power of two); metadata is written in
 * 4 KiB blocks.
 *
 *   byte 0      superblock slot 0 (4 KiB)
 *   byte 4096   superblock slot 1 (4 KiB)
 *   ...         the rest of the first max(8 KiB, chunk_size) bytes: unused
 *   chunks      data chunks (preserved copies) and log units, allocated
 *               from one bitmap that is rebuilt at open
 *
 * The metadata log is a chain of "units" (max(16 KiB, chunk_size) bytes:
 * one chunk, or 2 or 4 chunks when chunks are 8 or 4 KiB), so a unit always
 * holds at least two positions.  Each position has two 4 KiB slots
 * (ping-pong), so the open
 * block is never overwritten in place: a commit writes the slot that does
 * not hold the newest valid copy, and replay takes the valid slot with the
 * higher commit sequence.
 */
#ifndef _VSS_STORE_FORMAT_H
#define _VSS_STORE_FORMAT_H

#include <linux/types.h>
#include <linux/build_bug.h>

#define VSS_SB_MAGIC		0x45524f5453535356ULL	/* "VSSSTORE" */
#define VSS_SB_VERSION		3	/* the highest this module reads */
#define VSS_SB_VERSION_BASE	1	/* records 1-5 */
#define VSS_SB_VERSION_RESYNC	2	/* adds records 6-10 */
#define VSS_SB_VERSION_COPY	3	/* adds record 11 (copies onto the LUN) */
#define VSS_LOG_MAGIC		0x4c535356U		/* "VSSL" */

#define VSS_MD_BLOCK		4096	/* superblock and log block size */
#define VSS_SB_SLOTS		2
#define VSS_SB_AREA		(VSS_SB_SLOTS * VSS_MD_BLOCK)
#define VSS_LOG_UNIT_MIN	(4 * VSS_MD_BLOCK)	/* two ping-pong pairs */
#define VSS_UNIT_CHUNKS_MAX	(VSS_LOG_UNIT_MIN / 4096)
#define VSS_LUN_NAME_LEN	32	/* on disk, NUL padded */
#define VSS_NO_CHUNK		(~0ULL)	/* unused entry of a chunk pair */

/**
 * struct vss_sb_disk - superblock, at byte 0 and byte 4096 of the store
 * @magic: VSS_SB_MAGIC
 * @version: VSS_SB_VERSION_BASE, VSS_SB_VERSION_RESYNC once the log may
 *	hold resync records, VSS_SB_VERSION_COPY once it may hold a copy's;
 *	0 and versions above VSS_SB_VERSION are refused
 * @crc: crc32c (seed ~0) of the whole 4 KiB block with this field zero
 * @sb_seq: incremented at every superblock write; the valid slot with the
 *	highest value wins
 * @uuid: store UUID, repeated in every log block
 * @chunk_size: bytes
 * @flags: must be 0
 * @nr_chunks: store size in chunks (including the superblock area)
 * @lun_size: size of the LUN in bytes, checked on re-open
 * @lun_name: name of the LUN, NUL padded, checked on re-open
 * @created_ns: format time, CLOCK_REALTIME
 * @log_epoch: epoch of the current log; every log block repeats it
 * @log_head: chunk(s) of the first log unit (entries past @unit_chunks are
 *	VSS_NO_CHUNK)
 * @log_head_nonce: random nonce of the first unit
 * @log_seq: commit sequence numbers of this log are greater than this
 * @last_snap_seq: highest snapshot sequence number ever created
 * @unit_chunks: chunks per log unit (1, 2 or 4)
 * @log_end_seq: commit sequence of the last block of the log written by
 *	the checkpoint that made it (0: none, or written by a module that did
 *	not know this field).  Those blocks were durable before this
 *	superblock, so a replay that ends before it lost committed records
 *	to damage, not to a crash: the store is refused.
 * @cp_snap_seq: @last_snap_seq as of that checkpoint (0: no checkpoint,
 *	or written by a module that did not know this field).  The create
 *	records of the checkpoint's blocks carry sequence numbers up to it,
 *	every later create record a higher one (replay refuses a lie).
 * @log_end_count: records in that last block (0: none, or unknown).  The
 *	live log goes on appending to it, so its later copies hold these
 *	records first, then records written after the checkpoint.
 * @pad: zero
 */
struct vss_sb_disk {
	__le64 magic;
	__le32 version;
	__le32 crc;
	__le64 sb_seq;
	u8 uuid[16];
	__le32 chunk_size;
	__le32 flags;
	__le64 nr_chunks;
	__le64 lun_size;
	char lun_name[VSS_LUN_NAME_LEN];
	__le64 created_ns;
	__le64 log_epoch;
	__le64 log_head[VSS_UNIT_CHUNKS_MAX];
	__le64 log_head_nonce;
	__le64 log_seq;
	__le32 last_snap_seq;
	__le32 unit_chunks;
	__le64 log_end_seq;
	__le32 cp_snap_seq;
	__le16 log_end_count;
	u8 pad[2];
} __packed;
static_assert(sizeof(struct vss_sb_disk) == 184);

/**
 * struct vss_log_hdr - header of every 4 KiB log block
 * @magic: VSS_LOG_MAGIC
 * @crc: crc32c (seed ~0) of the whole 4 KiB block with this field zero
 * @uuid: store UUID
 * @epoch: log epoch (superblock @log_epoch)
 * @position: index of this block in the log (0 = first)
 * @commit_seq: increases with every block write of the log
 * @prev_seq: @commit_seq of the final copy of the previous position (0 for
 *	position 0): a lost or damaged full block is detected, not mistaken
 *	for the end of the log
 * @nonce: nonce of the unit holding this block (given by the previous unit
 *	or the superblock): stale or crafted blocks in reused chunks fail it
 * @next: chunk(s) of the next log unit, VSS_NO_CHUNK past the unit size;
 *	the same in every block of a unit
 * @next_nonce: nonce of the next unit
 * @count: number of records
 * @bytes: bytes of records after the header
 * @pad: zero
 */
struct vss_log_hdr {
	__le32 magic;
	__le32 crc;
	u8 uuid[16];
	__le64 epoch;
	__le64 position;
	__le64 commit_seq;
	__le64 prev_seq;
	__le64 nonce;
	__le64 next[VSS_UNIT_CHUNKS_MAX];
	__le64 next_nonce;
	__le16 count;
	__le16 bytes;
	__le32 pad;
} __packed;
static_assert(sizeof(struct vss_log_hdr) == 112);

#define VSS_LOG_PAYLOAD		(VSS_MD_BLOCK - sizeof(struct vss_log_hdr))

enum vss_rec_type {
	VSS_REC_EXCEPTION = 1,
	VSS_REC_CREATE = 2,
	VSS_REC_DELETE = 3,
	VSS_REC_INVALIDATE = 4,
	VSS_REC_BREAK = 5,
	VSS_REC_RESYNC_TODO = 6,
	VSS_REC_RESYNC_START = 7,
	VSS_REC_RESYNC_DONE = 8,
	VSS_REC_RESYNC_STATE = 9,
	VSS_REC_RESYNC_ABORT = 10,
	VSS_REC_RESYNC_SOURCE = 11,
};

/*
 * Resync records of an online copy onto this LUN from a snapshot of
 * another LUN carry this slot instead of a slot of this store: the
 * snapshot is named by the SOURCE record before the copy's TODO runs.
 */
#define VSS_RS_COPY_SLOT	0xffff

/**
 * struct vss_rec_hdr - first bytes of every record
 * @type: enum vss_rec_type (the type implies the record size)
 * @pad: zero
 * @slot: snapshot slot, < VSS_MAX_SNAPSHOTS; VSS_RS_COPY_SLOT in the resync
 *	records of a copy onto the LUN
 */
struct vss_rec_hdr {
	u8 type;
	u8 pad;
	__le16 slot;
} __packed;
static_assert(sizeof(struct vss_rec_hdr) == 4);

/**
 * struct vss_rec_exception - chunk @lun_chunk of the LUN, as it was when
 * snapshot @hdr.slot was the newest, is preserved in @store_chunk
 * @hdr: type VSS_REC_EXCEPTION
 * @lun_chunk: chunk index on the LUN
 * @store_chunk: chunk index in the store
 */
struct vss_rec_exception {
	struct vss_rec_hdr hdr;
	__le64 lun_chunk;
	__le64 store_chunk;
} __packed;
static_assert(sizeof(struct vss_rec_exception) == 20);

/**
 * struct vss_rec_create - snapshot created in @hdr.slot
 * @hdr: type VSS_REC_CREATE
 * @seq: per-LUN creation sequence number
 * @id: snapshot id
 * @set_id: snapshot-set id
 * @created_ns: CLOCK_REALTIME of the snapshot
 */
struct vss_rec_create {
	struct vss_rec_hdr hdr;
	__le32 seq;
	u8 id[16];
	u8 set_id[16];
	__le64 created_ns;
} __packed;
static_assert(sizeof(struct vss_rec_create) == 48);

/*
 * VSS_REC_DELETE, VSS_REC_INVALIDATE and VSS_REC_BREAK (the snapshot left
 * its set: its set id is all zeros from then on) are a bare
 * struct vss_rec_hdr.
 */

/*
 * Resync (online revert) records.  @hdr.slot is always the target
 * snapshot's slot.  A new work set is written as its TODO runs followed by
 * one START record, which replaces the previous work set only when it is
 * durable and its counts match the TODO runs read since the last START:
 * a crash in the middle leaves the previous work set in force.  A group
 * that failed after some of its TODO runs were written is closed by an
 * ABORT record (a bare struct vss_rec_hdr): its runs are dropped.
 */

/**
 * struct vss_rec_resync_run - a run of LUN chunks
 * @hdr: type VSS_REC_RESYNC_TODO (in the work set being written) or
 *	VSS_REC_RESYNC_DONE (copied, or overwritten, and flushed: left the
 *	work set)
 * @first: first LUN chunk
 * @nr: chunks, at least 1; @first + @nr <= LUN chunks
 */
struct vss_rec_resync_run {
	struct vss_rec_hdr hdr;
	__le64 first;
	__le64 nr;
} __packed;
static_assert(sizeof(struct vss_rec_resync_run) == 20);

/**
 * struct vss_rec_resync_start - the TODO runs just before form the work
 * set of a revert to snapshot @hdr.slot (state: running)
 * @hdr: type VSS_REC_RESYNC_START
 * @flags: RecoverSet flags (0x100, 0x200)
 * @runs: TODO records since the previous START record
 * @chunks: chunks in them (runs do not overlap)
 * @total_bytes: bytes of the work set (the last chunk may be partial)
 * @started_ns: CLOCK_REALTIME of RecoverSet
 * @speed_min: guaranteed rate, bytes/s
 * @speed_max: rate ceiling, bytes/s, 0 = none
 */
struct vss_rec_resync_start {
	struct vss_rec_hdr hdr;
	__le32 flags;
	__le64 runs;
	__le64 chunks;
	__le64 total_bytes;
	__le64 started_ns;
	__le64 speed_min;
	__le64 speed_max;
} __packed;
static_assert(sizeof(struct vss_rec_resync_start) == 56);

/**
 * struct vss_rec_resync_source - the TODO runs and START that follow are
 * an online copy of another LUN's snapshot @id onto this LUN
 * @hdr: type VSS_REC_RESYNC_SOURCE, slot VSS_RS_COPY_SLOT
 * @id: the snapshot's id (it lives in the other LUN's store)
 */
struct vss_rec_resync_source {
	struct vss_rec_hdr hdr;
	u8 id[16];
} __packed;
static_assert(sizeof(struct vss_rec_resync_source) == 20);

/* revert states on disk: the values of the uAPI's enum vss_resync_state */
#define VSS_RS_RUNNING		1
#define VSS_RS_DONE		2
#define VSS_RS_FAILED		3
#define VSS_RS_CANCELLED	4

/**
 * struct vss_rec_resync_state - the revert stopped or ended
 * @hdr: type VSS_REC_RESYNC_STATE
 * @state: 2 done (the work set must be empty), 3 failed, 4 cancelled
 *	(enum vss_resync_state); a failed or cancelled revert keeps its work
 *	set: the LUN still reads its chunks from the snapshot
 * @error: errno of a failure, else 0
 */
struct vss_rec_resync_state {
	struct vss_rec_hdr hdr;
	__le32 state;
	__le32 error;
} __packed;
static_assert(sizeof(struct vss_rec_resync_state) == 12);

#endif /* _VSS_STORE_FORMAT_H */
