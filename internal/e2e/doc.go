// Package e2e runs agentswitch against a real FreeSWITCH started with
// pbx-config/: `agentswitch serve` (built with -race) drives it and serves
// its xml_curl, the scenarios use the service's HTTP API, and SIP test
// phones (internal/sipphone) are the agents, leads and callers. Switch-
// level tests beside them drive FreeSWITCH over the harness's own event
// socket. It is the opt-in tier: build tag e2e, and
// AGENTSWITCH_E2E_FREESWITCH naming a FreeSWITCH binary (or the host:port
// of a running one's event socket); without it every test skips.
//
//	AGENTSWITCH_E2E_FREESWITCH=/path/to/bin/freeswitch make e2e
//
// With a binary, each run starts FreeSWITCH in a temporary directory with
// pbx-config/, on free loopback ports, and stops it at the end
// (AGENTSWITCH_E2E_KEEP=1 keeps the directory and its log). With the
// address of a running FreeSWITCH started with pbx-config/ and
// AGENTSWITCH_FS_DOMAIN=pbx.agentswitch.test, also set
// AGENTSWITCH_E2E_ESL_PASSWORD, AGENTSWITCH_E2E_AGENTS_SIP and
// AGENTSWITCH_E2E_CARRIERS_SIP (host:port of its profiles),
// AGENTSWITCH_E2E_AGENTS_WSS and AGENTSWITCH_E2E_CERTS_DIR (host:port of
// the agents profile's WSS and the directory of its wss.pem, for the
// browser softphone; without them those tests skip),
// AGENTSWITCH_E2E_AGENTS_WS (host:port of its plain WS, used instead with
// AGENTSWITCH_E2E_WEBRTC=ws),
// AGENTSWITCH_E2E_RECORDINGS (its recordings directory),
// AGENTSWITCH_E2E_XML_CURL_SECRET and AGENTSWITCH_E2E_XML_CURL_ADDR (where
// its AGENTSWITCH_FS_XML_CURL_URL points; default 127.0.0.1:8080: the
// harness listens there and passes the requests on to the service).
//
// Other knobs: AGENTSWITCH_E2E_RACE=0 (build the service without the race
// detector, for timings), AGENTSWITCH_E2E_FS_LOG_LEVEL (debug for the whole SIP and
// state machine story), AGENTSWITCH_E2E_P2_CALLS and AGENTSWITCH_E2E_P2_OUT
// (the P2 measurement), AGENTSWITCH_E2E_P3_SECONDS and
// AGENTSWITCH_E2E_P3_AGENTS (TestP3CallsPerSecond, which runs only with
// AGENTSWITCH_E2E_RACE=0), AGENTSWITCH_E2E_CAPTURE (the TestCapture* tests write
// their ESL transcripts there; AGENTSWITCH_E2E_CAPTURE_TRIES bounds the calls
// TestCaptureLostBridge tries), AGENTSWITCH_E2E_XMLCURL_DUMP (write the
// xml_curl request bodies FreeSWITCH sends there), AGENTSWITCH_E2E_PROBE
// (run TestProbeHoldWindow; AGENTSWITCH_E2E_PROBE_DIR keeps its
// transcripts), AGENTSWITCH_E2E_SOFTPHONE_LOGINS and
// AGENTSWITCH_E2E_SOFTPHONE_CALLS (TestServiceBrowserSoftphone's figures;
// the browser softphone tests drive Chromium like tests/browser and skip
// without it), AGENTSWITCH_E2E_WEBRTC=ws (browsers register over the
// agents profile's plain WS instead of WSS; Chromium trusts FreeSWITCH's
// self-signed wss.pem by its key's hash, nothing else).
package e2e
