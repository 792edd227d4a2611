/*
 * Copyright (c) 2020 Percipia
 *
 * This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/.
 *
 * Contributor(s):
 * Andrew Querol <aquerol@percipia.com>
 */
package eslgo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

const (
	TypeEventPlain  = `text/event-plain`
	TypeEventJSON   = `text/event-json`
	TypeEventXML    = `text/event-xml`
	TypeReply       = `command/reply`
	TypeAPIResponse = `api/response`
	TypeAuthRequest = `auth/request`
	TypeDisconnect  = `text/disconnect-notice`
)

// RawResponse This struct contains all response data from FreeSWITCH
type RawResponse struct {
	Headers textproto.MIMEHeader
	Body    []byte
}

// Limits on one message from the peer (agentswitch patch). They mirror the
// caps of agentswitch's own frame reader (esl.maxBody, esl.maxHeaderBlock),
// so a corrupt or hostile peer cannot make a command connection panic on a
// negative length or allocate without bound.
const (
	MaxContentLength = 64 << 20
	MaxHeaderBytes   = 1 << 20
)

// ErrMessageTooLarge reports a message over MaxContentLength or MaxHeaderBytes,
// or a Content-Length that is not a length at all; the connection is closed.
var ErrMessageTooLarge = errors.New("eslgo: message length out of range")

func (c *Conn) readResponse() (*RawResponse, error) {
	block, err := readHeaderBlock(c.reader, MaxHeaderBytes)
	if err != nil {
		return nil, err
	}
	// A reader the block's size: the default 4 KiB buffer, for every
	// message, was a tenth of a busy dialer's allocations.
	header, err := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(block), len(block))).ReadMIMEHeader()
	if err != nil {
		return nil, err
	}
	response := &RawResponse{
		Headers: header,
	}

	if contentLength := header.Get("Content-Length"); len(contentLength) > 0 {
		length, err := strconv.Atoi(contentLength)
		if err != nil {
			return response, err
		}
		if length < 0 || length > MaxContentLength {
			return response, fmt.Errorf("%w: Content-Length %d", ErrMessageTooLarge, length)
		}
		// Grow as bytes arrive rather than trust the announced length.
		response.Body, err = io.ReadAll(io.LimitReader(c.reader, int64(length)))
		if err == nil && len(response.Body) < length {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return response, err
		}
	}

	return response, nil
}

// readHeaderBlock returns the lines up to and including the first empty one,
// refusing a block longer than limit (textproto's reader has no limit).
func readHeaderBlock(r *bufio.Reader, limit int) ([]byte, error) {
	var block []byte
	lineStart := true // a line longer than r's buffer comes in pieces
	for {
		line, err := r.ReadSlice('\n')
		if len(block)+len(line) > limit {
			return nil, fmt.Errorf("%w: header block over %d bytes", ErrMessageTooLarge, limit)
		}
		block = append(block, line...)
		switch {
		case err == bufio.ErrBufferFull:
			lineStart = false
			continue
		case err == io.EOF && len(block) > 0:
			return nil, io.ErrUnexpectedEOF
		case err != nil:
			return nil, err
		}
		if lineStart && (len(line) == 1 || len(line) == 2 && line[0] == '\r') {
			return block, nil
		}
		lineStart = true
	}
}

// IsOk Helper to check response status, uses the Reply-Text header primarily. Calls GetReply internally
func (r RawResponse) IsOk() bool {
	return strings.HasPrefix(r.GetReply(), "+OK")
}

// GetReply Helper to get the Reply text from FreeSWITCH, uses the Reply-Text header primarily.
// Also will use the body if the Reply-Text header does not exist, this can be the case for TypeAPIResponse
func (r RawResponse) GetReply() string {
	if r.HasHeader("Reply-Text") {
		return r.GetHeader("Reply-Text")
	}
	return string(r.Body)
}

// ChannelUUID Helper to get the channel UUID. Calls GetHeader internally
func (r RawResponse) ChannelUUID() string {
	return r.GetHeader("Unique-ID")
}

// HasHeader Helper to check if the RawResponse has a header
func (r RawResponse) HasHeader(header string) bool {
	_, ok := r.Headers[textproto.CanonicalMIMEHeaderKey(header)]
	return ok
}

// GetVariable Helper function to get "Variable_" headers. Calls GetHeader internally
func (r RawResponse) GetVariable(variable string) string {
	return r.GetHeader(fmt.Sprintf("Variable_%s", variable))
}

// GetHeader Helper function that calls RawResponse.Headers.Get. Result gets passed through url.PathUnescape
func (r RawResponse) GetHeader(header string) string {
	value, _ := url.PathUnescape(r.Headers.Get(header))
	return value
}

// String Implement the Stringer interface for pretty printing
func (r RawResponse) String() string {
	var builder strings.Builder
	for key, values := range r.Headers {
		builder.WriteString(fmt.Sprintf("%s: %#v\n", key, values))
	}
	builder.Write(r.Body)
	return builder.String()
}

// GoString Implement the GoStringer interface for pretty printing (%#v)
func (r RawResponse) GoString() string {
	return r.String()
}
