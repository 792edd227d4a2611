// Package pacing decides how many numbers a predictive campaign dials
// now. It is a pure function of what the dialer knows at this instant (a
// Snapshot) and the campaign's settings (a Config): no clock, no
// randomness, so the same snapshot always gives the same answer and the
// answer can be replayed and tested.
//
// # The question
//
// A predictive dialer dials more numbers than it has free agents, because
// most numbers do not answer a person. The risk is the opposite: more
// people answer than agents are free, and a person who answers and finds
// no agent within 2 seconds hears the abandon message: an abandoned call.
// Regulators cap abandoned calls at 3% of live-answered calls (the UK over
// any 24 hours, the US over a campaign's 30 days). The pacer dials the
// largest number of lines whose expected share of abandoned calls stays
// under the target, and it measures and corrects itself.
//
// # What it estimates
//
// From the recent attempts (the dialer keeps the last few hundred):
//
//	p   the live-answer rate: live answers / attempts. Machines, busy and
//	    no-answer are not live. The pacer uses the Wilson upper bound
//	    p+ = (p + z²/2n + z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.645,
//	    so with few attempts it assumes more answers than it has seen.
//
// From the durations seen so far (talk, wrap-up, and the ring time of
// calls answered live), each a lognormal distribution: μ and σ are the mean
// and standard deviation of the logarithm of the durations. For talk and
// wrap-up the pacer uses μ+ = μ + z·σ/sqrt(n): it assumes calls last a
// little longer than measured, so agents are free a little later.
//
// # Agents free within the next seconds
//
// For a horizon h (how far ahead the pacer looks) and the wait w (2 s):
//
//	a READY agent:                       free, probability 1
//	an agent in wrap-up for e seconds:   q = P(U ≤ e+h+w | U > e) for the
//	                                     wrap-up duration U (lognormal)
//	an agent talking for e seconds:      q = P(T ≤ e+(h+w)/2 | T > e) ×
//	                                     P(U ≤ (h+w)/2), a lower bound of
//	                                     talk plus wrap-up ending in time
//
// Supply S is the sum of these (mean Σq, variance Σq(1-q)).
//
// # Live answers within the next seconds
//
// A call ringing for e seconds answers live within h with probability
//
//	r = p+ · (F(e+h) - F(e)) / (p+ · (1 - F(e)) + 1 - p+)
//
// where F is the ring-time distribution of live answers (a call that has
// rung long is less likely to be answered). Each of n new calls answers
// live within h with probability p+·F(h). Demand A is the sum.
//
// # The decision
//
// With D = A - S approximated by a normal distribution (mean m, standard
// deviation s), the expected number of answered calls finding no agent is
//
//	E[D⁺] = s·φ(m/s) + m·Φ(m/s)
//
// and the estimated abandon rate of the decision is E[D⁺] / E[A]. The pacer
// checks horizons of 2, 5, 10, 20 and 40 seconds (a call answered soon
// needs an agent soon; one answered later can take an agent who frees
// later) and dials the largest n for which the worst horizon stays at or
// under the planning target t. Lines in flight never exceed
// MaxLinesPerAgent per staffed agent nor MaxLines.
//
// # The target and the feedback
//
// The planning target t depends on the campaign's mode, named as the
// dialers admins know name them:
//
//	strict   t = 0.6 × ceiling, never higher; it only tightens. Hard stop
//	         (progressive) when the 24 h rate reaches 85% of the ceiling.
//	tapered  t = ceiling × min(1, 2·(1 - r24/ceiling)): the full ceiling
//	         while the 24 h rate r24 is under half the ceiling, falling to
//	         0 as it nears it. Progressive from 95% of the ceiling.
//	average  t = ceiling × (2 - r30/ceiling), between 0.25 and 1.5 ×
//	         ceiling: aims the 30-day average at the ceiling, so a day
//	         under it allows a day above. Progressive from 95% of the
//	         ceiling over 30 days.
//
// Feedback corrects the model with what actually happened: when the last
// hour has at least 50 live answers, t is multiplied by t/r1h (bounded:
// strict 0.25-1, the others 0.25-1.5), so a model that abandons more than
// planned is reined in and one that abandons less is let out; when the
// last minute's abandon rate is over the ceiling (at least 10 answers), t
// is halved until it is not. A last hour at 1.5 × the ceiling or more
// switches to progressive in every mode.
//
// # Warming up and falling back
//
// A campaign starts progressive (LinesPerAgent lines per READY agent,
// "warming") until it has MinAttempts attempts, MinAnswers live answers
// and as many talk, wrap-up and ring durations: before that the estimates
// are not worth trusting. It is progressive ("fallback") whenever the
// ceiling is at risk as above or the campaign has fewer than MinAgents
// staffed agents: with few agents one extra answer is a large share of the
// free agents and the statistics do not hold. Progressive calls do not
// abandon, so the rates fall and the pacer comes back by itself.
package pacing
