// Package metrics exposes the service's figures to Prometheus. What is
// already in memory (node connections, live calls, agents, the record
// queue) is read at scrape time by a collector rather than kept up to
// date on every event; only latencies are observed as they happen.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
)

const namespace = "agentswitch"

// Sources are what the collector reads at scrape time; a nil one is
// left out of the scrape.
type Sources struct {
	// Nodes reports each switch node's connection.
	Nodes func() []esl.NodeStatus
	// Events counts the switch events received.
	Events func() uint64
	// Engine holds the live calls, the agents and the record queue.
	Engine Engine
}

// Engine is what the collector reads of the engine.
type Engine interface {
	LiveCalls(ctx context.Context) []dialer.CallView
	LiveAgents() []dialer.AgentView
	CDRQueueLen() int
}

// Metrics holds the service's registry and the observers wired into the
// switch client, the live store and the HTTP server.
type Metrics struct {
	reg         *prometheus.Registry
	command     *prometheus.HistogramVec
	reservation *prometheus.HistogramVec
	request     *prometheus.HistogramVec
}

// New builds a registry with the Go runtime's and the process's
// collectors and the latency histograms; Watch adds the state.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		command: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "esl", Name: "command_duration_seconds",
			Help:    "Time for a switch node to answer an api or bgapi command, by node, command and result.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"node", "command", "result"}),
		reservation: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "agent", Name: "reservation_duration_seconds",
			Help:    "Time to reserve an agent in the live store, by kind (pool: any matching agent; named: one agent) and result.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"kind", "result"}),
		request: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.command, m.reservation, m.request,
	)
	return m
}

// Watch reads src at every scrape. The observers exist before the
// switch client and the engine they watch, hence a second step.
func (m *Metrics) Watch(src Sources) {
	m.reg.MustRegister(&collector{src: src})
}

// Registry is where further collectors may be registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCommand records a switch command's round trip (esl.Config's
// ObserveCommand).
func (m *Metrics) ObserveCommand(node, command string, took time.Duration, err error) {
	m.command.WithLabelValues(node, command, result(err, "ok")).Observe(took.Seconds())
}

// ObserveRequest records an HTTP request (api.Options' ObserveRequest).
// Requests no route matched share one label so that probes of random
// paths cannot grow the series without bound.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if route == "" || status == http.StatusNotFound && route == "/*" {
		route = "unmatched"
	}
	m.request.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}

func result(err error, ok string) string {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, dialer.ErrNoAgent):
		return "no_agent"
	}
	return "error"
}

// TimedLive wraps a live store to time its reservations.
func (m *Metrics) TimedLive(l dialer.LiveStore) dialer.LiveStore {
	return &timedLive{LiveStore: l, h: m.reservation}
}

type timedLive struct {
	dialer.LiveStore
	h *prometheus.HistogramVec
}

func (l *timedLive) Reserve(ctx context.Context, r dialer.ReserveRequest) (dialer.Reservation, error) {
	start := time.Now()
	res, err := l.LiveStore.Reserve(ctx, r)
	l.h.WithLabelValues("pool", result(err, "reserved")).Observe(time.Since(start).Seconds())
	return res, err
}

func (l *timedLive) ReserveAgent(ctx context.Context, id dialer.AgentID, r dialer.ReserveRequest) (dialer.Reservation, error) {
	start := time.Now()
	res, err := l.LiveStore.ReserveAgent(ctx, id, r)
	l.h.WithLabelValues("named", result(err, "reserved")).Observe(time.Since(start).Seconds())
	return res, err
}

var (
	nodeUpDesc = prometheus.NewDesc(namespace+"_esl_node_up",
		"Whether the service's event connection to a switch node is up (1) or not (0).", []string{"node"}, nil)
	eventsDesc = prometheus.NewDesc(namespace+"_esl_events_received_total",
		"Switch events received and handed to the engine.", nil, nil)
	callsDesc = prometheus.NewDesc(namespace+"_calls",
		"Live calls by state.", []string{"state"}, nil)
	agentsDesc = prometheus.NewDesc(namespace+"_agents",
		"Logged-in agents by state.", []string{"state"}, nil)
	cdrQueueDesc = prometheus.NewDesc(namespace+"_cdr_write_queue_length",
		"Call-record writes waiting to be committed to the database.", nil, nil)
)

// liveCallStates are the states a live call is counted in, every one
// reported (0 included) so that a rate or an alert sees the series.
var liveCallStates = []dialer.LiveCallState{dialer.LiveDialing, dialer.LiveRinging, dialer.LiveWaiting,
	dialer.LiveConnected, dialer.LiveConference, dialer.LiveEnding}

// collector reads the in-memory state at scrape time.
type collector struct{ src Sources }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- nodeUpDesc
	ch <- eventsDesc
	ch <- callsDesc
	ch <- agentsDesc
	ch <- cdrQueueDesc
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Nodes != nil {
		for _, n := range c.src.Nodes() {
			up := 0.0
			if n.Up {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(nodeUpDesc, prometheus.GaugeValue, up, n.Name)
		}
	}
	if c.src.Events != nil {
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(c.src.Events()))
	}
	e := c.src.Engine
	if e == nil {
		return
	}
	calls := make(map[dialer.LiveCallState]int, len(liveCallStates))
	for _, v := range e.LiveCalls(context.Background()) {
		calls[v.State]++
	}
	for _, st := range liveCallStates {
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.GaugeValue, float64(calls[st]), string(st))
	}
	agents := make(map[dialer.AgentState]int, len(dialer.AgentStates))
	for _, a := range e.LiveAgents() {
		agents[a.State]++
	}
	for _, st := range dialer.AgentStates {
		// The engine keeps the logged-in agents in memory; counting the
		// others would take the directory's database on every scrape.
		if st == dialer.AgentLoggedOut {
			continue
		}
		ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(agents[st]), st.String())
	}
	ch <- prometheus.MustNewConstMetric(cdrQueueDesc, prometheus.GaugeValue, float64(e.CDRQueueLen()))
}
