package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorocket/gorocket/internal/message"
)

// FuzzRecoveryCommitLog writes arbitrary bytes as the only commit-log file
// and opens the store: recovery must not fail or panic, must stop at a
// record boundary, and everything below it must be whole records.
func FuzzRecoveryCommitLog(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, abnormal bool) {
		const fileSize = 4096
		if len(data) > fileSize {
			data = data[:fileSize]
		}
		cfg := testConfig(t.TempDir())
		cfg.MappedFileSizeCommitLog = fileSize
		dir := cfg.CommitLogDir()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		file := make([]byte, fileSize)
		copy(file, data)
		if err := os.WriteFile(filepath.Join(dir, fileName(0)), file, 0o644); err != nil {
			t.Fatal(err)
		}
		if abnormal {
			if err := os.WriteFile(filepath.Join(cfg.StorePathRootDir, "abort"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Open(cfg, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()
		end := s.MaxPhyOffset()
		for pos := int64(0); pos < end; {
			rec, err := message.ParseRecord(file[pos:], true)
			if err != nil {
				t.Fatalf("recovered end %d but record at %d is bad: %v", end, pos, err)
			}
			if rec.Blank {
				if end != fileSize {
					t.Fatalf("blank record at %d but end %d", pos, end)
				}
				break
			}
			pos += int64(rec.Size)
			if pos > end {
				t.Fatalf("record at %d runs past recovered end %d", pos-int64(rec.Size), end)
			}
		}
	})
}
