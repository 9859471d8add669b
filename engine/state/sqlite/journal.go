package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// The journal is the file beside the database that a commit writes to:
// a batch is durable once its record is in the journal and the journal
// is synced, which is one small sequential write. The records are folded
// into the database later, many batches to a transaction, and the last
// record folded is noted in the database in the same transaction. Writing
// each batch into the database directly cost two or three B-tree pages an
// event plus checkpoints, and that, not the disk, set the tail latency.
//
// The journal is two files, written in turn. A record is a 16-byte header
// (payload length, CRC-32C of sequence number and payload, sequence
// number) and the payload; numbers run on without gaps across both files.
// Once a file has grown past journalSwitch, the next records go to the
// start of the other file, over its old records, as soon as all of those
// have been folded. A reader of a file stops at the first record whose
// checksum fails or whose number does not follow the one before: that is
// where the newest records end. Each file is written from its start and
// only appended to, so its good records are the ones before that point.

const (
	journalHeader = 16
	// journalChunk is how much file is allocated at a time: a write that
	// stays inside allocated space changes no file metadata, so the sync
	// after it writes the data and nothing else.
	journalChunk = 4 << 20
	// journalSwitch is the size after which writing moves to the other
	// file: a few seconds of records at ten thousand events a second.
	journalSwitch = 16 << 20
	// journalMaxRecord bounds a record's length as read back, so a
	// corrupt header cannot ask for gigabytes.
	journalMaxRecord = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// journal is the open pair of journal files. It is used by the store's
// writer goroutine only, apart from close.
type journal struct {
	files [2]journalFile
	cur   int    // the file being written
	seq   uint64 // the last record's number
	buf   []byte
	// After an append failed (repair): dirty says it may have written
	// part of its records at the current file's end, need is the size
	// it could not allocate.
	dirty bool
	need  int64
	// fault, when set, is asked before each step that writes, by name
	// ("allocate", "write", "sync"): Store.InjectFaults.
	fault func(op string) error
}

type journalFile struct {
	f     *os.File
	off   int64  // where the next record goes
	alloc int64  // bytes allocated
	last  uint64 // the number of its last record, 0 when it has none
}

// journalRecord is one record read back.
type journalRecord struct {
	seq     uint64
	payload []byte
}

// journalPaths are the journal's files for the database at path.
func journalPaths(path string) [2]string {
	return [2]string{path + "-batches.0", path + "-batches.1"}
}

// errJournalLocked says another process has the journal open.
var errJournalLocked = errors.New("the journal is in use by another process")

// openJournal opens (or creates) the journal files for the database at
// path, locked against other processes, and returns the records numbered
// after folded (the last one the database holds), in order.
func openJournal(path string, folded uint64) (*journal, []journalRecord, error) {
	j := &journal{seq: folded}
	var all []journalRecord
	for i, p := range journalPaths(path) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			j.close()
			return nil, nil, err
		}
		j.files[i].f = f
		if i == 0 {
			// The first file's lock stands for the pair.
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
				j.close()
				if errors.Is(err, unix.EWOULDBLOCK) {
					return nil, nil, errJournalLocked
				}
				return nil, nil, fmt.Errorf("locking the journal: %w", err)
			}
		}
		info, err := f.Stat()
		if err != nil {
			j.close()
			return nil, nil, err
		}
		data, err := io.ReadAll(f)
		if err != nil {
			j.close()
			return nil, nil, fmt.Errorf("reading the journal: %w", err)
		}
		recs, end := readJournal(data)
		j.files[i].alloc = info.Size()
		j.files[i].off = end
		if len(recs) > 0 {
			j.files[i].last = recs[len(recs)-1].seq
		}
		all = append(all, recs...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].seq < all[b].seq })
	var out []journalRecord
	next := folded + 1
	for _, r := range all {
		if r.seq < next {
			continue
		}
		if r.seq != next {
			// Records after a gap were written before the gap's were
			// folded and the file started over: old, and folded.
			break
		}
		out = append(out, r)
		next++
	}
	if len(out) > 0 {
		j.seq = out[len(out)-1].seq
	}
	// Go on writing after the newest records, or in the emptier file.
	j.cur = 0
	if j.files[1].last > j.files[0].last {
		j.cur = 1
	}
	for i := range j.files {
		if j.files[i].last <= folded && i != j.cur {
			j.files[i].off, j.files[i].last = 0, 0
		}
	}
	if j.files[j.cur].last <= folded && j.files[j.cur].last != j.seq {
		// Everything in it was folded, but its number does not lead on
		// to the next record: start it over so its chain is unbroken.
		j.files[j.cur].off, j.files[j.cur].last = 0, 0
	}
	return j, out, nil
}

// readJournal returns a file's records from its start up to the first
// that is torn, corrupt or out of sequence, and the offset where they end.
func readJournal(data []byte) ([]journalRecord, int64) {
	var recs []journalRecord
	var prev uint64
	off := 0
	for len(data)-off >= journalHeader {
		n := binary.LittleEndian.Uint32(data[off:])
		sum := binary.LittleEndian.Uint32(data[off+4:])
		seq := binary.LittleEndian.Uint64(data[off+8:])
		if n > journalMaxRecord || int64(len(data)-off-journalHeader) < int64(n) || seq == 0 {
			break
		}
		payload := data[off+journalHeader : off+journalHeader+int(n)]
		if journalSum(seq, payload) != sum || (prev != 0 && seq != prev+1) {
			break
		}
		prev = seq
		recs = append(recs, journalRecord{seq: seq, payload: payload})
		off += journalHeader + int(n)
	}
	return recs, int64(off)
}

func putHeader(h []byte, seq uint64, payload []byte) {
	binary.LittleEndian.PutUint32(h, uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], journalSum(seq, payload))
	binary.LittleEndian.PutUint64(h[8:], seq)
}

func journalSum(seq uint64, payload []byte) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	return crc32.Update(crc32.Checksum(b[:], castagnoli), castagnoli, payload)
}

// append writes one record per payload and syncs; it returns the last
// record's number. folded is the last number the database holds: a file
// is started over only when all its records are folded.
func (j *journal) append(payloads [][]byte, folded uint64) (uint64, error) {
	if cur := &j.files[j.cur]; cur.off >= journalSwitch {
		other := &j.files[1-j.cur]
		if other.last <= folded {
			other.off, other.last = 0, 0
			j.cur = 1 - j.cur
		}
	}
	fl := &j.files[j.cur]
	j.buf = j.buf[:0]
	seq := j.seq
	for _, p := range payloads {
		seq++
		var h [journalHeader]byte
		putHeader(h[:], seq, p)
		j.buf = append(append(j.buf, h[:]...), p...)
	}
	end := fl.off + int64(len(j.buf))
	if end > fl.alloc {
		size := (end/journalChunk + 1) * journalChunk
		if err := j.grow(fl, size); err != nil {
			j.need = size
			return 0, err
		}
	}
	// From here a failure may leave part of the records in the file,
	// readable by the next open unless repair unmakes them.
	j.dirty = true
	if err := j.step("write", func() error { _, err := fl.f.WriteAt(j.buf, fl.off); return err }); err != nil {
		return 0, err
	}
	if err := j.step("sync", func() error { return datasync(fl.f) }); err != nil {
		return 0, err
	}
	j.dirty = false
	fl.off, fl.last, j.seq = end, seq, seq
	return seq, nil
}

// grow allocates the file's space up to size.
func (j *journal) grow(fl *journalFile, size int64) error {
	if err := j.step("allocate", func() error { return allocate(fl.f, size) }); err != nil {
		return fmt.Errorf("allocating journal space: %w", err)
	}
	// The new size is file metadata: synced once here, so the writes
	// into the space sync their data only.
	if err := j.step("sync", fl.f.Sync); err != nil {
		return fmt.Errorf("allocating journal space: %w", err)
	}
	fl.alloc = size
	return nil
}

// step runs one write step, unless the injected fault fails it first.
func (j *journal) step(op string, fn func() error) error {
	if j.fault != nil {
		if err := j.fault(op); err != nil {
			return err
		}
	}
	return fn()
}

// repair readies the journal for the next append after one failed, and
// fails while the cause lasts (no space yet). Its records were answered
// as failed, so none of them may be folded by a later open: the header
// where they began is zeroed and synced, which is where a reader stops
// (a failed sync may still have put them on disk, or may later). The
// space it could not allocate is allocated, so a success means there is
// room again. The numbers go on from the last record written.
func (j *journal) repair() error {
	fl := &j.files[j.cur]
	if j.dirty {
		var zero [journalHeader]byte
		if err := j.step("write", func() error { _, err := fl.f.WriteAt(zero[:], fl.off); return err }); err != nil {
			return fmt.Errorf("unmaking the failed records: %w", err)
		}
		// A full sync: on a file system without fallocate the failed
		// write may have grown the file.
		if err := j.step("sync", fl.f.Sync); err != nil {
			return fmt.Errorf("unmaking the failed records: %w", err)
		}
		j.dirty = false
	}
	if j.need > fl.alloc {
		if err := j.grow(fl, j.need); err != nil {
			return err
		}
	}
	j.need = 0
	return nil
}

// empty truncates both files, once everything in them is folded.
func (j *journal) empty() error {
	for i := range j.files {
		fl := &j.files[i]
		if err := fl.f.Truncate(0); err != nil {
			return err
		}
		if err := fl.f.Sync(); err != nil {
			return err
		}
		fl.off, fl.alloc, fl.last = 0, 0, 0
	}
	return nil
}

// wipe overwrites both files with zeros, all they hold (older records
// lie past the newest ones), and truncates them, once everything in them
// is folded: an erased member's old documents are in them otherwise.
// Overwriting first keeps the bytes off the disk blocks a truncate only
// gives back, as SQLite's secure_delete does for the database.
func (j *journal) wipe() error {
	zeros := make([]byte, 1<<20)
	for i := range j.files {
		fl := &j.files[i]
		info, err := fl.f.Stat()
		if err != nil {
			return err
		}
		for off := int64(0); off < info.Size(); off += int64(len(zeros)) {
			n := min(int64(len(zeros)), info.Size()-off)
			if _, err := fl.f.WriteAt(zeros[:n], off); err != nil {
				return err
			}
		}
		if err := datasync(fl.f); err != nil {
			return err
		}
	}
	return j.empty()
}

// close closes the files, which also lets go of the lock.
func (j *journal) close() error {
	var first error
	for _, fl := range j.files {
		if fl.f != nil {
			if err := fl.f.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
