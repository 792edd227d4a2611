package metrics

import "testing"

func TestNotifyObserverCounts(t *testing.T) {
	m := New()
	observe := m.NotifyObserver()
	observe("mail", "sent")
	observe("mail", "sent")
	observe("sms", "dropped")
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "agentswitch_notify_messages_total" {
			for _, s := range mf.GetMetric() {
				got[labels(s)] = s.GetCounter().GetValue()
			}
		}
	}
	if got["kind=mail,result=sent"] != 2 || got["kind=sms,result=dropped"] != 1 || len(got) != 2 {
		t.Errorf("series %v", got)
	}
}
