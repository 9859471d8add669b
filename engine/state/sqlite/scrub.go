package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
)

// Zeroing the database's unused bytes in place, the erasure's cheaper
// stand-in for VACUUM.
//
// secure_delete overwrites a row when it is deleted, but SQLite leaves
// copies elsewhere that no setting reaches: when a split or merge
// rebuilds a B-tree page it writes the page's cells afresh and keeps the
// old bytes in the space left unused (among them, copies of rows since
// moved to another page, which a later delete does not find); and a page
// freed while secure_delete was off keeps its content, as a free page
// or, reused in the same transaction for another row's overflow, past
// the end of that row. scrubPages reads every page through the
// sqlite_dbpage virtual table and writes back, in the same transaction,
// those whose unused space holds anything but zeros: the room between a
// B-tree page's cell pointers and its cells, its free blocks, free
// pages, the unused part of a free-list trunk page and of the last page
// of an overflow chain. The file format defines those bytes as unused,
// so SQLite reads nothing there; the rows are not touched. It reads the
// whole database but writes only the pages it changes, where VACUUM
// writes a copy of everything (in memory, with temp_store) and then
// everything again.

// pageKind is what a page holds, for scrubPage.
type pageKind byte

const (
	pageOther    pageKind = iota // the lock-byte page, or one of no kind found: left as it is
	pageBtree                    // a table's or index's page
	pageOverflow                 // a page of a row too long for its B-tree page
	pageTrunk                    // a free-list trunk page: page numbers of free pages
	pageFree                     // a free page: nothing
)

// scrubPages zeroes the unused bytes of every page of the main database
// in tx, and returns how many pages it read and wrote.
func scrubPages(ctx context.Context, tx *sql.Tx) (read, written int, err error) {
	var pageSize, pages int
	if err := tx.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, 0, err
	}
	page := func(n int) ([]byte, error) {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM sqlite_dbpage WHERE pgno = ?`, n).Scan(&data); err != nil {
			return nil, fmt.Errorf("reading page %d: %w", n, err)
		}
		if len(data) != pageSize {
			return nil, fmt.Errorf("page %d has %d bytes, not %d", n, len(data), pageSize)
		}
		return data, nil
	}
	first, err := page(1)
	if err != nil {
		return 0, 0, err
	}
	// Bytes at the end of each page kept for extensions (the header's
	// byte 20) are not SQLite's to give: they are left alone.
	usable := pageSize - int(first[20])
	kinds := make([]pageKind, pages+1)
	tails := map[int]int{} // overflow page: unused bytes at its end

	// dbstat walks every table and index: their pages, and the overflow
	// pages of their rows with what the last page of each chain leaves
	// unused.
	rows, err := tx.QueryContext(ctx, `SELECT pageno, pagetype, unused FROM dbstat`)
	if err != nil {
		return 0, 0, fmt.Errorf("listing pages: %w", err)
	}
	for rows.Next() {
		var n, unused int
		var typ string
		if err := rows.Scan(&n, &typ, &unused); err != nil {
			rows.Close()
			return 0, 0, err
		}
		if n < 1 || n > pages {
			rows.Close()
			return 0, 0, fmt.Errorf("dbstat lists page %d of %d", n, pages)
		}
		switch typ {
		case "internal", "leaf":
			kinds[n] = pageBtree
		case "overflow":
			kinds[n] = pageOverflow
			if unused > 0 {
				tails[n] = unused
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("listing pages: %w", err)
	}

	// The free list: trunk pages from the header on, each naming free
	// pages.
	freeCount := int(binary.BigEndian.Uint32(first[36:]))
	seen := 0
	for n := int(binary.BigEndian.Uint32(first[32:])); n != 0; {
		if n > pages || kinds[n] != pageOther || seen > freeCount {
			return 0, 0, fmt.Errorf("the free list is damaged at page %d", n)
		}
		data, err := page(n)
		if err != nil {
			return 0, 0, err
		}
		kinds[n] = pageTrunk
		seen++
		leaves := int(binary.BigEndian.Uint32(data[4:]))
		if 8+4*leaves > usable {
			return 0, 0, fmt.Errorf("free-list trunk page %d names %d pages", n, leaves)
		}
		for i := range leaves {
			leaf := int(binary.BigEndian.Uint32(data[8+4*i:]))
			if leaf < 1 || leaf > pages || kinds[leaf] != pageOther {
				return 0, 0, fmt.Errorf("free-list trunk page %d names page %d", n, leaf)
			}
			kinds[leaf] = pageFree
			seen++
		}
		n = int(binary.BigEndian.Uint32(data))
	}
	if seen != freeCount {
		return 0, 0, fmt.Errorf("the free list holds %d pages, the header says %d", seen, freeCount)
	}

	// Each page is read, zeroed in a buffer of its own and, when that
	// changed anything, written back. sqlite_dbpage reads each page as
	// the cursor reaches it, so pages written behind it do not disturb
	// it.
	write, err := tx.PrepareContext(ctx, `UPDATE sqlite_dbpage SET data = ? WHERE pgno = ?`)
	if err != nil {
		return 0, 0, err
	}
	defer write.Close()
	rows, err = tx.QueryContext(ctx, `SELECT pgno, data FROM sqlite_dbpage`)
	if err != nil {
		return 0, 0, fmt.Errorf("reading pages: %w", err)
	}
	defer rows.Close()
	buf := make([]byte, pageSize)
	for rows.Next() {
		var n int
		var data sql.RawBytes
		if err := rows.Scan(&n, &data); err != nil {
			return read, written, err
		}
		read++
		if n < 1 || n > pages || len(data) != pageSize {
			return read, written, fmt.Errorf("page %d of %d has %d bytes", n, pages, len(data))
		}
		copy(buf, data)
		changed, err := scrubPage(buf, n, kinds[n], usable, tails[n])
		if err != nil {
			return read, written, err
		}
		if changed {
			if _, err := write.ExecContext(ctx, buf, n); err != nil {
				return read, written, fmt.Errorf("writing page %d: %w", n, err)
			}
			written++
		}
	}
	if err := rows.Err(); err != nil {
		return read, written, fmt.Errorf("reading pages: %w", err)
	}
	return read, written, nil
}

// scrubPage zeroes the bytes of page n (data, of which the first usable
// bytes are SQLite's) that its kind leaves unused, and reports whether
// any was not zero. tail is an overflow page's unused bytes at its end.
// A page whose header does not add up is an error, and is not changed.
func scrubPage(data []byte, n int, kind pageKind, usable, tail int) (bool, error) {
	switch kind {
	case pageFree:
		return zero(data[:usable]), nil
	case pageTrunk:
		leaves := int(binary.BigEndian.Uint32(data[4:]))
		return zero(data[8+4*leaves : usable]), nil
	case pageOverflow:
		if tail > usable-4 {
			return false, fmt.Errorf("overflow page %d: %d bytes unused of %d", n, tail, usable)
		}
		return zero(data[usable-tail : usable]), nil
	case pageBtree:
		return scrubBtreePage(data, n, usable)
	}
	return false, nil
}

// scrubBtreePage zeroes a B-tree page's unallocated space (between the
// cell pointer array and the cell content area) and the bodies of its
// free blocks (all but each one's 4-byte link and size). The scattered
// fragments of under 4 bytes each are left: they are not listed, and
// hold too little to matter.
func scrubBtreePage(data []byte, n, usable int) (bool, error) {
	hdr := 0
	if n == 1 {
		hdr = 100 // after the database header
	}
	bad := func(what string) (bool, error) {
		return false, fmt.Errorf("page %d looks damaged (%s), so it was left as it is", n, what)
	}
	head := 8
	switch data[hdr] {
	case 2, 5: // interior pages: 4 more bytes, the right-most child
		head = 12
	case 10, 13:
	default:
		return bad(fmt.Sprintf("type %d", data[hdr]))
	}
	cells := int(binary.BigEndian.Uint16(data[hdr+3:]))
	content := int(binary.BigEndian.Uint16(data[hdr+5:]))
	if content == 0 {
		content = 65536
	}
	pointers := hdr + head + 2*cells
	if pointers > content || content > usable {
		return bad(fmt.Sprintf("%d cells, content from %d", cells, content))
	}
	// Free blocks lie in the content area, in increasing order, apart.
	// All are checked before any byte is zeroed.
	var blocks [][2]int
	prev := content
	for fb := int(binary.BigEndian.Uint16(data[hdr+1:])); fb != 0; fb = int(binary.BigEndian.Uint16(data[fb:])) {
		if fb < prev || fb+4 > usable {
			return bad(fmt.Sprintf("free block at %d", fb))
		}
		size := int(binary.BigEndian.Uint16(data[fb+2:]))
		if size < 4 || fb+size > usable {
			return bad(fmt.Sprintf("free block of %d bytes at %d", size, fb))
		}
		blocks = append(blocks, [2]int{fb + 4, fb + size})
		prev = fb + size
	}
	changed := zero(data[pointers:content])
	for _, b := range blocks {
		if zero(data[b[0]:b[1]]) {
			changed = true
		}
	}
	return changed, nil
}

// zero sets b to zeros and reports whether any byte was not.
func zero(b []byte) bool {
	changed := false
	for i := range b {
		if b[i] != 0 {
			b[i] = 0
			changed = true
		}
	}
	return changed
}
