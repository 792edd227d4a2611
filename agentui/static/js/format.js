// Formatting for timers, numbers and times.

const pad = (n) => String(n).padStart(2, '0');

// duration: 75 -> "1:15", 3725 -> "1:02:05".
export function duration(sec) {
  sec = Math.max(0, Math.floor(sec || 0));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

// phone: North American numbers grouped, others as E.164.
export function phone(n) {
  if (!n) return '';
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(n);
  return m ? `+1 (${m[1]}) ${m[2]}-${m[3]}` : n;
}

export function clock(t) {
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// when: "14:05" today, "Yesterday 14:05", "Mon 3 Nov, 14:05" before.
export function when(t) {
  const d = new Date(t);
  const now = new Date();
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(now) - day(d)) / 86400000);
  if (diff === 0) return clock(d);
  if (diff === 1) return `Yesterday ${clock(d)}`;
  return `${d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })}, ${clock(d)}`;
}

// inZone shows an instant on a zone's wall clock: "Tue 24 Nov, 14:30 EST".
export function inZone(t, zone) {
  try {
    return new Date(t).toLocaleString([], {
      timeZone: zone || undefined,
      weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    });
  } catch {
    return new Date(t).toLocaleString();
  }
}

// relative: "in 2 h", "5 min ago".
export function relative(t, now = Date.now()) {
  const d = (new Date(t).getTime() - now) / 1000;
  const a = Math.abs(d);
  let s;
  if (a < 60) s = 'less than a minute';
  else if (a < 3600) s = `${Math.round(a / 60)} min`;
  else if (a < 86400) s = `${Math.round(a / 3600)} h`;
  else s = `${Math.round(a / 86400)} d`;
  if (a < 60) return d >= 0 ? 'in ' + s : 'just now';
  return d >= 0 ? `in ${s}` : `${s} ago`;
}

export function fullName(l) {
  if (!l) return '';
  return [l.first_name, l.last_name].filter(Boolean).join(' ');
}

// zoneParts gives the date and time an instant has in a zone, for the
// callback form's defaults.
export function zoneParts(t, zone) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

let zoneNames = null;
export function zones() {
  if (!zoneNames) {
    try {
      zoneNames = Intl.supportedValuesOf('timeZone');
    } catch {
      zoneNames = ['UTC'];
    }
  }
  return zoneNames;
}

export function localZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// percent shows a rate (0.0123) as a percentage to a tenth (1.2%).
export function percent(r) {
  return (Math.round(r * 1000) / 10).toLocaleString('en-US') + '%';
}
