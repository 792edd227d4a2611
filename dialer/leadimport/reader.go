package leadimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
)

// record is one CSV record as the reader found it: either its fields or
// the reason it was refused before mapping.
type record struct {
	line   int64 // first physical line, from 1
	fields []string
	reason Reason
	detail string
	raw    []byte // the bytes, for an unparsable record's error row
}

// reader cuts the input into records without ever holding more than
// maxLine bytes of one: a physical line longer than that is skipped in
// chunks, so a 500 MB line costs a buffer, not 500 MB. Each complete
// record is then handed to encoding/csv alone, which does the parsing.
type reader struct {
	in      *bufio.Reader
	maxLine int
	line    int64
	buf     []byte
	feed    feeder
	csv     *csv.Reader
	eof     bool
}

func newReader(r io.Reader, maxLine int) *reader {
	rd := &reader{in: bufio.NewReaderSize(r, maxLine+1), maxLine: maxLine}
	rd.csv = csv.NewReader(&rd.feed)
	rd.csv.ReuseRecord = true
	rd.csv.FieldsPerRecord = -1
	rd.csv.LazyQuotes = false
	return rd
}

// feeder gives csv.Reader one record at a time, then io.EOF until the
// next; csv.Reader keeps no state between records, so it reads on.
type feeder struct{ b []byte }

func (f *feeder) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// quote states of the scan that finds where a record ends: a newline
// inside a quoted field does not end it.
const (
	fieldStart = iota
	unquoted
	quoted
	quoteInQuoted // a '"' inside a quoted field: an escape or the end
)

func scanQuotes(b []byte, st int) int {
	for _, c := range b {
		switch st {
		case fieldStart:
			switch c {
			case '"':
				st = quoted
			case ',', '\n':
			default:
				st = unquoted
			}
		case unquoted:
			if c == ',' || c == '\n' {
				st = fieldStart
			}
		case quoted:
			if c == '"' {
				st = quoteInQuoted
			}
		case quoteInQuoted:
			switch c {
			case '"':
				st = quoted
			case ',', '\n':
				st = fieldStart
			default:
				st = unquoted
			}
		}
	}
	return st
}

// next returns the next non-blank record, or io.EOF, or the input's error.
func (r *reader) next() (record, error) {
	for {
		if r.eof {
			return record{}, io.EOF
		}
		rec, blank, err := r.read()
		if err != nil || !blank {
			return rec, err
		}
	}
}

func (r *reader) read() (rec record, blank bool, err error) {
	r.buf = r.buf[:0]
	rec.line = r.line + 1
	st := fieldStart
	tooLong := false
	for {
		chunk, err := r.in.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// Still scanned, so the record ends where csv would end it.
			tooLong = true
			st = scanQuotes(chunk, st)
			continue
		case errors.Is(err, io.EOF):
			r.eof = true
		case err != nil:
			return rec, false, err
		}
		if len(chunk) > 0 {
			r.line++
		}
		st = scanQuotes(chunk, st)
		if !tooLong && len(r.buf)+len(chunk) > r.maxLine {
			tooLong = true
		}
		if !tooLong {
			r.buf = append(r.buf, chunk...)
		}
		if st != quoted || r.eof {
			break
		}
	}
	switch {
	case tooLong:
		rec.reason, rec.detail = LineTooLong, "a record longer than the line limit"
		return rec, false, nil
	case len(bytes.TrimRight(r.buf, "\r\n")) == 0:
		return rec, true, nil
	case !utf8.Valid(r.buf):
		rec.reason, rec.detail, rec.raw = InvalidUTF8, "the record is not UTF-8 text", r.buf
		return rec, false, nil
	}
	r.feed.b = r.buf
	fields, perr := r.csv.Read()
	r.feed.b = nil
	if perr != nil {
		var pe *csv.ParseError
		detail := perr.Error()
		if errors.As(perr, &pe) {
			detail = pe.Err.Error()
		}
		rec.reason, rec.detail, rec.raw = Malformed, detail, r.buf
		// Drain whatever csv.Reader left of the refused record.
		for {
			if _, err := r.csv.Read(); errors.Is(err, io.EOF) {
				break
			}
		}
		return rec, false, nil
	}
	rec.fields = fields
	return rec, false, nil
}
