package sim

import (
	"strconv"
	"strings"
)

// channelRow is one row of `show channels` (the core channels table).
func (s *Server) channelRow(ch *channel) []field {
	p := ch.prof
	app, appData := "", ""
	if run := ch.nested; run != nil {
		app, appData = run.name, run.arg
	} else if run := ch.cur; run != nil && !run.noComplete {
		app, appData = run.name, run.arg
	} else if ch.bridgeApp != nil {
		app, appData = ch.bridgeApp.name, ch.bridgeApp.arg
	}
	read, write := codecPCMU, codecPCMU
	if ch.read != nil {
		read = *ch.read
	}
	if ch.write != nil {
		write = *ch.write
	}
	rc, rr, rb, wc, wr, wb := read.name, strconv.Itoa(read.rate), strconv.Itoa(read.bitrate),
		write.name, strconv.Itoa(write.rate), strconv.Itoa(write.bitrate)
	if ch.read == nil {
		rc, rr, rb, wc, wr, wb = "", "", "", "", "", ""
	}
	ipAddr := ""
	if ch.direction == "inbound" {
		ipAddr = p.networkAddr
	}
	dialplan := p.dialplan
	calleeDir := ""
	sentName, sentNum := "", ""
	if ch.answered {
		calleeDir = "SEND"
		sentName, sentNum = p.calleeNum, p.calleeNum
		if v := varValue(ch, "last_sent_callee_id_name"); v != "" {
			sentName = v
		}
		if v := varValue(ch, "last_sent_callee_id_number"); v != "" {
			sentNum = v
		}
	}
	callUUID := varValue(ch, "call_uuid")
	if callUUID == "" {
		callUUID = ch.uuid
	}
	return []field{
		{Name: "uuid", Value: ch.uuid},
		{Name: "direction", Value: ch.direction},
		{Name: "created", Value: stampStr(ch.created)},
		{Name: "created_epoch", Value: strconv.FormatInt(ch.created.Unix(), 10)},
		{Name: "name", Value: ch.name},
		{Name: "state", Value: ch.running},
		{Name: "cid_name", Value: p.cidName},
		{Name: "cid_num", Value: p.cidNum},
		{Name: "ip_addr", Value: ipAddr},
		{Name: "dest", Value: p.dest},
		{Name: "application", Value: app},
		{Name: "application_data", Value: appData},
		{Name: "dialplan", Value: dialplan},
		{Name: "context", Value: p.context},
		{Name: "read_codec", Value: rc},
		{Name: "read_rate", Value: rr},
		{Name: "read_bit_rate", Value: rb},
		{Name: "write_codec", Value: wc},
		{Name: "write_rate", Value: wr},
		{Name: "write_bit_rate", Value: wb},
		{Name: "secure", Value: ""},
		{Name: "hostname", Value: s.cfg.Hostname},
		{Name: "presence_id", Value: varValue(ch, "presence_id")},
		{Name: "presence_data", Value: varValue(ch, "presence_data")},
		{Name: "accountcode", Value: varValue(ch, "accountcode")},
		{Name: "callstate", Value: ch.callState},
		{Name: "callee_name", Value: p.calleeName},
		{Name: "callee_num", Value: p.calleeNum},
		{Name: "callee_direction", Value: calleeDir},
		{Name: "call_uuid", Value: callUUID},
		{Name: "sent_callee_name", Value: sentName},
		{Name: "sent_callee_num", Value: sentNum},
		{Name: "initial_cid_name", Value: p.origCidName},
		{Name: "initial_cid_num", Value: p.origCidNum},
		{Name: "initial_ip_addr", Value: ipAddr},
		{Name: "initial_dest", Value: ch.initialDest()},
		{Name: "initial_dialplan", Value: dialplan},
		{Name: "initial_context", Value: "default"},
	}
}

func (ch *channel) initialDest() string {
	if ch.firstDest != "" {
		return ch.firstDest
	}
	return ch.prof.dest
}

// callFields are the columns of the calls view, per leg.
var callFields = []string{"uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
	"ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate", "callee_name", "callee_num",
	"callee_direction", "call_uuid", "hostname", "sent_callee_name", "sent_callee_num"}

var callBFields = []string{"uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
	"ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate", "callee_name", "callee_num",
	"callee_direction", "sent_callee_name", "sent_callee_num"}

func pick(row []field, name string) string {
	for _, f := range row {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func (s *Server) callRows() [][]field {
	var rows [][]field
	for _, ch := range s.order {
		if ch.down || ch.partner == nil || !ch.bridgeA {
			continue
		}
		a := s.channelRow(ch)
		b := s.channelRow(ch.partner)
		var row []field
		for _, n := range callFields {
			row = append(row, field{Name: n, Value: pick(a, n)})
		}
		for _, n := range callBFields {
			row = append(row, field{Name: "b_" + n, Value: pick(b, n)})
		}
		row = append(row, field{Name: "call_created_epoch", Value: strconv.FormatInt(ch.bridgedAt.Unix(), 10)})
		rows = append(rows, row)
	}
	return rows
}

func rowsJSON(rows [][]field) string {
	if len(rows) == 0 {
		return "{\"row_count\": 0}\n"
	}
	b := []byte(`{"row_count":` + strconv.Itoa(len(rows)) + `,"rows":[`)
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, f := range r {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			b = appendJSONString(b, f.Value)
		}
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	return string(b)
}

func rowsText(rows [][]field, header []string) string {
	if len(rows) == 0 {
		return "\n0 total.\n"
	}
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	for _, r := range rows {
		vals := make([]string, len(r))
		for i, f := range r {
			vals[i] = f.Value
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	b.WriteString("\n" + strconv.Itoa(len(rows)) + " total.\n")
	return b.String()
}

// apiShow implements `show channels|calls [as json]` and `show channels count`.
func (s *Server) apiShow(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(strings.ToLower(arg))
	if len(argv) == 0 {
		done("-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n")
		return
	}
	asJSON := len(argv) >= 3 && argv[len(argv)-2] == "as" && argv[len(argv)-1] == "json"
	var rows [][]field
	switch argv[0] {
	case "channels":
		for _, ch := range s.order {
			if !ch.gone {
				rows = append(rows, s.channelRow(ch))
			}
		}
		if len(argv) > 1 && argv[1] == "count" {
			done("\n" + strconv.Itoa(len(rows)) + " total.\n")
			return
		}
	case "calls", "bridged_calls":
		rows = s.callRows()
		if len(argv) > 1 && argv[1] == "count" {
			done("\n" + strconv.Itoa(len(rows)) + " total.\n")
			return
		}
	case "registrations":
		done("\n0 total.\n")
		return
	default:
		done("-ERR Invalid Show Command\n")
		return
	}
	if asJSON {
		done(rowsJSON(rows))
		return
	}
	var header []string
	if len(rows) > 0 {
		for _, f := range rows[0] {
			header = append(header, f.Name)
		}
	}
	done(rowsText(rows, header))
}
