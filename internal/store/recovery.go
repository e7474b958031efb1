package store

// Recovery on open (DefaultMessageStore.load/recover, CommitLog.
// recoverNormally/recoverAbnormally):
//
//  1. the consume queues recover themselves while loading (valid units up
//     to the first invalid one);
//  2. the commit log is scanned record by record — magic, every length
//     against TOTALSIZE, body CRC when checkCRCOnRecover — from the
//     third-last file after a clean exit, or, after a crash, from the
//     newest file whose first message is older than the checkpoint;
//     the end of the last valid record is processOffset;
//  3. files past processOffset are deleted, the file holding it is reset
//     to it, and consume-queue units pointing at or past it are dropped;
//  4. dispatch runs from the consume queues' end (after a crash from the
//     scan's start, so the index is rebuilt too) up to processOffset,
//     rebuilding whatever consume-queue units and index entries are
//     missing — all of them when consumequeue/ or index/ was deleted;
//  5. the topic-queue offset table is rebuilt from the consume queues.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorocket/gorocket/internal/message"
	"go.uber.org/zap"
)

func (s *Store) recover(abnormal bool) error {
	cl := s.commitLog
	files := cl.q.snapshot()
	var process, scanStart int64
	if len(files) > 0 {
		start := max(len(files)-3, 0)
		if abnormal {
			start = s.abnormalStartFile(files)
		}
		scanStart = files[start].start
		process = s.scanValid(files[start:])
	}
	if err := cl.q.truncateDirty(process); err != nil {
		return fmt.Errorf("recover commit log: %w", err)
	}
	cl.q.setFlushedWhere(process)
	if len(files) > 0 {
		// A crash can leave the newest file's flushed mark past the scan
		// start; from here on only what recovery found counts.
		for _, f := range cl.q.snapshot() {
			f.flushed.Store(f.wrote.Load())
		}
	}
	var cqErr error
	minPhy := cl.MinOffset()
	reput := int64(-1)
	s.cqs.each(func(cq *consumeQueue) {
		if len(files) == 0 && cq.maxOffset() > 0 {
			// No commit log: nothing a consume queue points at exists.
			if err := cq.truncateDirty(0); err != nil && cqErr == nil {
				cqErr = err
			}
		} else if cq.lastPhyOffset() > process {
			if err := cq.truncateDirty(process); err != nil && cqErr == nil {
				cqErr = err
			}
		}
		cq.correctMinOffset(minPhy)
		reput = max(reput, cq.lastPhyOffset())
	})
	if cqErr != nil {
		return fmt.Errorf("recover consume queues: %w", cqErr)
	}
	reput = min(max(reput, minPhy, 0), process)
	if abnormal && len(files) > 0 {
		reput = max(min(reput, scanStart), minPhy)
	}
	s.dispatcher.reputFrom.Store(reput)
	s.lg.Info("commit log recovered", zap.Bool("abnormal", abnormal), zap.Int64("processOffset", process),
		zap.Int64("reputFromOffset", reput))
	s.dispatcher.reput(false)
	if behind := s.dispatcher.behind(); behind > 0 {
		return fmt.Errorf("recover: %d commit-log bytes could not be dispatched from %d", behind, s.dispatcher.reputFrom.Load())
	}
	s.rebuildQueueTable()
	return nil
}

// abnormalStartFile is the newest file whose first message was stored
// before the checkpoint says everything was durable; the first file when
// none qualifies.
func (s *Store) abnormalStartFile(files []*mappedFile) int {
	minTs := s.checkpoint.minTimestamp()
	if s.cfg.MessageIndexEnable && s.cfg.MessageIndexSafe {
		minTs = s.checkpoint.minTimestampIndex()
	}
	for i := len(files) - 1; i >= 0; i-- {
		var ts int64 = -1
		_ = s.commitLog.q.view(files[i].start, func(b []byte) error {
			if len(b) < message.PosSysFlag+4 {
				return nil
			}
			if int32(binary.BigEndian.Uint32(b[message.PosMagic:])) != message.MagicMessage {
				return nil
			}
			p := message.PosStoreTimestamp(int32(binary.BigEndian.Uint32(b[message.PosSysFlag:])))
			if len(b) >= p+8 {
				ts = int64(binary.BigEndian.Uint64(b[p:]))
			}
			return nil
		})
		if ts > 0 && ts <= minTs {
			return i
		}
	}
	return 0
}

// scanValid walks records from the first of files and returns the offset
// after the last valid one.
func (s *Store) scanValid(files []*mappedFile) int64 {
	process := files[0].start
	for _, f := range files {
		pos := 0
		blank := false
		err := s.commitLog.q.view(f.start, func(b []byte) error {
			for pos < len(b) {
				rec, err := message.ParseRecord(b[pos:], s.cfg.CheckCRCOnRecover)
				if err != nil {
					return err
				}
				if rec.Blank {
					blank = true
					return nil
				}
				pos += int(rec.Size)
			}
			return nil
		})
		process = f.start + int64(pos)
		if err != nil {
			if !errors.Is(err, message.ErrCorrupt) || pos > 0 || f != files[len(files)-1] {
				s.lg.Info("commit log recovery stopped at an invalid record", zap.Int64("phyOffset", process), zap.Error(err))
			}
			return process
		}
		if !blank {
			return process
		}
		process = f.end()
	}
	return process
}

// rebuildQueueTable sets the next queue offset of every queue from its
// consume queue (recoverTopicQueueTable).
func (s *Store) rebuildQueueTable() {
	t := make(map[topicQueueKey]int64)
	s.cqs.each(func(cq *consumeQueue) {
		t[topicQueueKey{cq.topic, cq.queueID}] = cq.maxOffset()
	})
	s.commitLog.setQueueTable(t)
}

// removeTornIndexFiles deletes, after an abnormal exit, index files whose
// size is not the configured one. New files are sized before they get
// their name, so this only meets files cut short some other way (or left
// by a store from before that change); recovery's dispatch rebuilds their
// entries, while the index loader would refuse them.
func removeTornIndexFiles(dir string, slotNum, indexNum int, lg *zap.Logger) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("list index files: %w", err)
	}
	want := indexFileSize(slotNum, indexNum)
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() == want {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("remove torn index file: %w", err)
		}
		lg.Warn("index file cut short by a crash removed", zap.String("file", p), zap.Int64("size", info.Size()))
	}
	return nil
}
