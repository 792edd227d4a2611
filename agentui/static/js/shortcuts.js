// Keyboard shortcuts. Plain keys act only when the focus is not in a
// field, so typing a name never holds a call; Alt combinations act
// everywhere.

const bindings = new Map(); // key -> {run, label}

function editable(el) {
  if (!el || el === document.body) return false;
  const tag = el.tagName;
  return el.isContentEditable || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

// keyName turns an event into "h", "alt+x", "escape", "?".
function keyName(e) {
  let k = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (e.altKey && e.code && e.code.startsWith('Key')) k = e.code.slice(3).toLowerCase();
  return (e.altKey ? 'alt+' : '') + k;
}

addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.defaultPrevented || e.repeat) return;
  const name = keyName(e);
  const b = bindings.get(name);
  if (!b) return;
  if (!e.altKey && name !== 'escape' && editable(e.target)) return;
  e.preventDefault();
  b.run(e);
});

// bind registers shortcuts for as long as a component is shown; it
// returns the function that removes them.
export function bind(map) {
  const keys = Object.keys(map);
  for (const k of keys) bindings.set(k, map[k]);
  return () => {
    for (const k of keys) if (bindings.get(k) === map[k]) bindings.delete(k);
  };
}

export function active() {
  return [...bindings.entries()].filter(([, b]) => b.label).map(([k, b]) => ({ key: k, label: b.label }));
}
