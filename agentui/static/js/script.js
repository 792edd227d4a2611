// Campaign scripts: {{first_name}}, {{custom.plan}}, {{agent_name}} are
// replaced by the lead's values. The result is a list of text pieces that
// the page renders as text nodes, so lead data can never become markup.

const TOKEN = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)\s*\}\}/g;

export function fillScript(script, lead, extra = {}) {
  const out = [];
  if (!script) return out;
  let last = 0;
  for (const m of script.matchAll(TOKEN)) {
    if (m.index > last) out.push({ text: script.slice(last, m.index) });
    const key = m[1];
    const value = lookup(key, lead || {}, extra);
    out.push({ field: key, text: value || key.replace(/^custom\./, '').replace(/_/g, ' '), missing: !value });
    last = m.index + m[0].length;
  }
  if (last < script.length) out.push({ text: script.slice(last) });
  return out;
}

function lookup(key, lead, extra) {
  if (key.startsWith('custom.')) {
    const v = (lead.custom || {})[key.slice(7)];
    return typeof v === 'string' ? v : '';
  }
  if (key in extra) return String(extra[key] ?? '');
  const v = lead[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}
