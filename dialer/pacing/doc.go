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
// From the recent attempts (the dialer keeps the last few hundred, or
// the last minute's when there are more: a campaign of thousands of
// agents has more lines ringing at once than a few hundred):
//
//	p   the live-answer rate: live answers / exposure. Machines, busy and
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
// The attempts are the last calls dialed, those still ringing included,
// and the exposure counts a call dialed e seconds ago as F(e) of an
// attempt (F the ring-time distribution of live answers, below): the
// share of live answers that come by that age, whether the call has ended
// or not. Counting only the calls that have ended would be biased (after
// a burst of dials, the live answers end first and the no-answers all
// together at the ring timeout) or late; counting an ended young call as
// a whole attempt would be biased too (a call that failed in 3 seconds is
// known not live, but had it been live it would most likely still ring:
// in a burst, the fast failures would pull the rate down and the pacer
// would dial too many).
//
// A rise in the answer rate is the dangerous change: more people answer
// than agents are free. The dialer also counts the calls of the last
// half-minute; when their Wilson lower bound (z = -1.645) is above p+,
// the pacer plans with their upper bound instead, without waiting for the
// few hundred to fill with the new rate.
//
// # Agents free within the next seconds
//
// The pacer looks 40 seconds ahead in slices (0-2, 2-4, 4-6, 6-8, 8-11,
// 11-15, 15-20, 20-30, 30-40 s). An answered call may wait w = 2 s, so an
// agent free by t+w can take a call answered at t. For each agent, the
// probability of being free by a time t from now:
//
//	READY:                            1
//	in wrap-up for e seconds:         P(U ≤ e+t | U > e), U the wrap-up
//	                                  time (lognormal)
//	talking for e seconds:            P(T ≤ e+t-ū | T > e), T the talk
//	                                  time and ū the mean wrap-up (the
//	                                  rest of the call, then a wrap-up)
//
// The differences between consecutive slice edges give each agent's
// chance of freeing in each slice; summed over agents they are the supply
// of the slice, S_k (mean Σq, variance Σq(1-q)).
//
// # Live answers within the next seconds
//
// A call ringing for e seconds answers live in a slice (a, b] with
// probability
//
//	r = p+ · (F(e+b) - F(e+a)) / (p+ · (1 - F(e)) + 1 - p+)
//
// where F is the ring-time distribution of live answers (a call that has
// rung long is less likely to be a person). Each of n new calls answers
// live in the slice with probability p+ · (F(b) - F(a)). Demand A_k is
// the sum.
//
// # The decision
//
// Slice by slice, the agents free at its start (C_k, carried over) and
// those freed in it meet the live answers in it. Answers beyond them are
// abandoned (they cannot wait for an agent freed later); agents beyond
// them carry over to the next slice:
//
//	Y_k      = C_k + S_k - A_k
//	lost_k   = E[max(-Y_k, 0)]
//	C_{k+1}  = max(Y_k, 0)
//
// with C_0 the READY agents plus those free within w, and the live
// answers already waiting for an agent counted, certain, in A_0 (the next
// agents freed are theirs). Each quantity is a
// normal distribution by its mean m and deviation s; for X normal
// E[max(X,0)] = s·φ(m/s) + m·Φ(m/s), and the carried agents keep the mean
// and variance of max(Y_k, 0). The estimated abandon rate of the decision
// is Σ lost_k / Σ E[A_k], and the pacer dials the largest n for which it
// is at most the target t. Lines in flight never exceed MaxLinesPerAgent
// per staffed agent nor MaxLines.
//
// New lines are also bounded per second: at most 10% of the staffed
// agents plus 2, less the lines dialed in the last second (the calls of
// Snapshot.Ringing younger than a second), and never fewer than
// progressive would dial. The estimate is an estimate: leaving warming
// with hundreds of agents READY, it would dial thousands of lines at once,
// whose answers would all come before any of them could correct it.
// Spread over seconds, the first answers come while the rest are still to
// be dialed. Steady dialing needs far less (agents freed per second over
// p), so the bound costs nothing once the campaign runs.
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
// hour has at least 50 live answers and its abandon rate r1h is over t, t
// is multiplied by t/r1h (at least 0.25): a model that abandons more than
// planned is reined in. When r1h is under t and the hour has at least 5
// abandons (evidence, not an hour spent progressive), t is let out the
// same way, up to 1.5 × (strict: never above its 60%). When the
// last minute's abandon rate is over the ceiling (at least 10 answers), t
// is halved until it is not. A last hour at 1.5 × the ceiling or more
// switches to progressive in every mode. Until the last hour has 5
// abandons (just out of warming or fallback, there is no evidence yet of
// how the model fares on this campaign), t is at most half the ceiling.
//
// # Warming up and falling back
//
// A campaign starts progressive (LinesPerAgent lines per READY agent,
// "warming") until it has MinAttempts attempts, MinAnswers live answers
// and as many wrap-up and ring durations, and three ended talks per
// staffed agent: before that the estimates are not worth trusting (the first
// talks to end are the short ones). It is progressive ("fallback") whenever the
// ceiling is at risk as above or the campaign has fewer than MinAgents
// staffed agents: with few agents one extra answer is a large share of the
// free agents and the statistics do not hold. Progressive calls do not
// abandon, so the rates fall and the pacer comes back by itself.
//
// # What the dialer supplies
//
// Per campaign, at least every second and on the agent and call events
// that change the answer: the READY count; the elapsed times of its agents
// talking and in wrap-up, and of its calls ringing; the live answers
// waiting for an agent; Recent (the last few hundred calls dialed, or the
// last minute's when more) and Latest (those of the last 30 s), each with
// its live answers so far, and Dialed, the ages of the youngest of those
// calls (at least the last minute's); a LogStats each of talk,
// wrap-up and dial-to-live-answer times (Add on every talk end, wrap-up end
// and live answer); and the live answers and abandons of the last minute,
// hour, 24 hours and 30 days. Decide reads nothing else and keeps nothing:
// the same snapshot gives the same decision.
package pacing
