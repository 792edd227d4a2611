/* agentswitch callback widget: <script src="https://<service>/widget.js" data-widget-key="..." async></script>
 * No framework, no cookies, nothing stored in the browser. Runs under a strict CSP: no inline
 * styles (a stylesheet from the service, colours set through CSSOM), no eval, no innerHTML. */
(function () {
  'use strict';
  var script = document.currentScript;
  var key = script && script.getAttribute('data-widget-key');
  if (!key) return;
  var base = new URL(script.src, location.href).origin;
  var api = base + '/api/v1/widget/' + encodeURIComponent(key);
  if (document.querySelector('[data-agentswitch-widget="' + CSS.escape(key) + '"]')) return;

  // The few words the admin does not set, by language.
  var WORDS = {
    en: { country: 'Country', number: 'Your phone number', time: 'When should we call?', close: 'Close', open: 'Request a call back',
      scheduled: 'Thank you! We will call you {{time}}.', again: 'Try again', callback: 'Call back' },
    de: { country: 'Land', number: 'Ihre Telefonnummer', time: 'Wann dürfen wir anrufen?', close: 'Schließen', open: 'Rückruf anfordern',
      scheduled: 'Danke! Wir rufen Sie {{time}} an.', again: 'Erneut versuchen', callback: 'Rückruf' },
    fr: { country: 'Pays', number: 'Votre numéro de téléphone', time: 'Quand pouvons-nous appeler ?', close: 'Fermer', open: 'Être rappelé',
      scheduled: 'Merci ! Nous vous appellerons {{time}}.', again: 'Réessayer', callback: 'Rappel' },
    es: { country: 'País', number: 'Su número de teléfono', time: '¿Cuándo le llamamos?', close: 'Cerrar', open: 'Solicitar una llamada',
      scheduled: '¡Gracias! Le llamaremos {{time}}.', again: 'Intentar de nuevo', callback: 'Llamada' },
    it: { country: 'Paese', number: 'Il tuo numero di telefono', time: 'Quando possiamo chiamarti?', close: 'Chiudi', open: 'Richiedi una chiamata',
      scheduled: 'Grazie! Ti chiameremo {{time}}.', again: 'Riprova', callback: 'Richiamata' },
    pt: { country: 'País', number: 'O seu número de telefone', time: 'Quando podemos ligar?', close: 'Fechar', open: 'Pedir uma chamada',
      scheduled: 'Obrigado! Vamos ligar {{time}}.', again: 'Tentar de novo', callback: 'Chamada' },
    nl: { country: 'Land', number: 'Uw telefoonnummer', time: 'Wanneer mogen we bellen?', close: 'Sluiten', open: 'Terugbelverzoek',
      scheduled: 'Bedankt! We bellen u {{time}}.', again: 'Opnieuw', callback: 'Terugbellen' },
  };

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (attrs[k] === true) n.setAttribute(k, '');
      else if (attrs[k] != null && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { n.append(c); });
    return n;
  }
  function svg(paths, cls) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    if (cls) s.setAttribute('class', cls);
    paths.forEach(function (d) {
      var p = document.createElementNS(ns, 'path');
      p.setAttribute('d', d);
      s.append(p);
    });
    return s;
  }
  var PHONE = 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.46.57 3.58a1 1 0 0 1-.25 1z';
  var CLOSE = 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z';
  var CHECK = 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z';

  // onColor is black or white, whichever reads better on the colour hex
  // (WCAG relative luminance).
  function onColor(hex) {
    var lum = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? '#111418' : '#ffffff';
  }

  function fill(text, vars) {
    return String(text || '').replace(/\{\{\s*(\w+)\s*\}\}/g, function (m, k) { return k in vars ? vars[k] : m; });
  }

  fetch(api + '/config', { credentials: 'omit', cache: 'no-store' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (cfg) {
      if (!cfg) return;
      // A snippet placed in <head> may get its answer before <body> exists.
      if (document.body) mount(cfg);
      else document.addEventListener('DOMContentLoaded', function () { mount(cfg); });
    })
    .catch(function () { /* the service is unreachable: no widget rather than a broken one */ });

  function mount(cfg) {
    var d = cfg.design || {};
    var texts = d.texts || {};
    var lang = d.language || 'en';
    var words = WORDS[lang.slice(0, 2)] || WORDS.en;
    var secs = cfg.callback_seconds || 27;

    var host = el('div', { 'data-agentswitch-widget': key });
    // Colours and side through CSSOM (allowed by a CSP without 'unsafe-inline').
    host.style.setProperty('--aw-accent', d.button_color || '#1f7a4d');
    host.style.setProperty('--aw-on-accent', onColor(d.button_color || '#1f7a4d'));
    host.style.setProperty('--aw-bg', d.background_color || '#ffffff');
    host.style.setProperty('--aw-fg', d.text_color || '#1b1f24');
    var root = host.attachShadow({ mode: 'open' });
    var css = el('link', { rel: 'stylesheet', href: base + '/widget.css' });
    var wrap = el('div', { class: 'aw ' + (d.position === 'bottom-left' ? 'aw-left' : 'aw-right'), lang: lang, hidden: true });
    root.append(css, wrap);
    css.addEventListener('load', function () { wrap.hidden = false; });

    // The launcher.
    var launch = el('button', { type: 'button', class: 'aw-launch', 'aria-expanded': 'false', 'aria-controls': 'aw-panel',
      'aria-haspopup': 'dialog', 'aria-label': fill(texts.title, { seconds: secs }) || words.open, 'data-part': 'launcher' },
      [svg([PHONE], 'aw-icon'), el('span', { class: 'aw-launch-label', 'aria-hidden': 'true' }, [texts.button || words.callback])]);

    // The panel.
    var title = el('h2', { id: 'aw-title', class: 'aw-title' }, [fill(texts.title, { seconds: secs })]);
    var close = el('button', { type: 'button', class: 'aw-close', 'aria-label': words.close }, [svg([CLOSE])]);

    var country = el('select', { id: 'aw-country', name: 'country', autocomplete: 'tel-country-code', 'aria-describedby': 'aw-country-err' });
    var countryErr = el('p', { class: 'aw-err', id: 'aw-country-err' });
    var number = el('input', { id: 'aw-number', name: 'number', type: 'tel', inputmode: 'tel', autocomplete: 'tel-national',
      required: true, 'aria-describedby': 'aw-number-err', placeholder: '' });
    var numberErr = el('p', { class: 'aw-err', id: 'aw-number-err' });
    var prefix = el('span', { class: 'aw-prefix', 'aria-hidden': 'true' });
    var slot = el('select', { id: 'aw-slot', name: 'scheduled_at', 'aria-describedby': 'aw-slot-err' });
    var slotErr = el('p', { class: 'aw-err', id: 'aw-slot-err' });
    var slotField = el('div', { class: 'aw-field', hidden: true }, [el('label', { for: 'aw-slot' }, [words.time]), slot, slotErr]);
    // People never see or reach it; bots fill every field they find.
    var trap = el('div', { class: 'aw-hp', 'aria-hidden': 'true' },
      [el('label', { for: 'aw-website' }, ['Website']), el('input', { id: 'aw-website', name: 'website', type: 'text', tabindex: '-1', autocomplete: 'off' })]);
    var submit = el('button', { type: 'submit', class: 'aw-submit' }, [svg([PHONE], 'aw-icon'), el('span', {}, [texts.button || words.callback])]);
    var form = el('form', { class: 'aw-form', novalidate: true }, [
      el('div', { class: 'aw-field aw-country' }, [el('label', { for: 'aw-country' }, [words.country]), country, countryErr]),
      el('div', { class: 'aw-field aw-number' }, [el('label', { for: 'aw-number' }, [words.number]),
        el('div', { class: 'aw-tel' }, [prefix, number]), numberErr]),
      slotField, trap, submit,
    ]);

    // What happens next, read out by screen readers.
    var live = el('div', { class: 'aw-live', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    var ring = el('div', { class: 'aw-count', hidden: true, 'aria-hidden': 'true' },
      [el('div', { class: 'aw-dial' }, [el('span', { class: 'aw-count-n' })]), el('p', { class: 'aw-count-text' })]);
    var doneIcon = el('div', { class: 'aw-done', hidden: true, 'aria-hidden': 'true' }, [svg([CHECK])]);
    var again = el('button', { type: 'button', class: 'aw-again', hidden: true }, [words.again]);
    var panel = el('div', { id: 'aw-panel', class: 'aw-panel', role: 'dialog', 'aria-labelledby': 'aw-title', hidden: true },
      [el('div', { class: 'aw-head' }, [title, close]), form, ring, doneIcon, live, again]);
    wrap.append(panel, launch);
    document.body.append(host);

    // Countries: the admin's first ones on top, then the others by name.
    var names = null;
    try { names = new Intl.DisplayNames([lang], { type: 'region' }); } catch (e) { /* an old browser: codes */ }
    var nameOf = function (c) { return (names && names.of(c.code)) || c.code; };
    var firsts = cfg.countries.filter(function (c) { return c.first; });
    var rest = cfg.countries.filter(function (c) { return !c.first; })
      .sort(function (a, b) { return nameOf(a).localeCompare(nameOf(b), lang); });
    var option = function (c) { return el('option', { value: c.code }, [nameOf(c) + ' ' + c.dial_code]); };
    firsts.forEach(function (c) { country.append(option(c)); });
    if (firsts.length && rest.length) country.append(el('option', { disabled: true, value: '' }, ['──────────']));
    rest.forEach(function (c) { country.append(option(c)); });
    var guess = (navigator.language || '').split('-')[1];
    var codes = cfg.countries.map(function (c) { return c.code; });
    country.value = cfg.default_country || (guess && codes.indexOf(guess.toUpperCase()) >= 0 ? guess.toUpperCase() : codes[0]);
    if (codes.length === 1) country.disabled = true;
    // The dial code shows in the number field, as the visitor would say it.
    var showPrefix = function () {
      var c = cfg.countries.filter(function (x) { return x.code === country.value; })[0];
      prefix.textContent = c ? c.dial_code : '';
    };
    country.addEventListener('change', showPrefix);
    showPrefix();

    // Outside working hours: the times to pick, grouped by day in the
    // visitor's own time zone.
    if (!cfg.open) {
      title.textContent = texts.outside_hours || '';
      var day = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long' });
      // The closed list shows one option: it carries its day too.
      var hour = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
      var group = null, groupDay = '';
      (cfg.slots || []).forEach(function (s) {
        var t = new Date(s);
        var label = day.format(t);
        if (label !== groupDay) {
          group = el('optgroup', { label: label });
          slot.append(group);
          groupDay = label;
        }
        group.append(el('option', { value: s }, [hour.format(t)]));
      });
      slotField.hidden = !(cfg.slots || []).length;
      if (!(cfg.slots || []).length) submit.disabled = true;
    }
    wrap.classList.toggle('aw-closed-hours', !cfg.open);

    var opener = null;
    function setOpen(open) {
      panel.hidden = !open;
      launch.setAttribute('aria-expanded', String(open));
      wrap.classList.toggle('aw-is-open', open);
      if (open) {
        opener = root.activeElement || launch;
        (form.hidden ? (again.hidden ? close : again) : number).focus();
      } else {
        (opener && opener.isConnected ? opener : launch).focus();
      }
    }
    launch.addEventListener('click', function () { setOpen(panel.hidden); });
    close.addEventListener('click', function () { setOpen(false); });
    root.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && !panel.hidden) {
        e.stopPropagation();
        setOpen(false);
      }
    });

    function clearErrors() {
      [[country, countryErr], [number, numberErr], [slot, slotErr]].forEach(function (p) {
        p[0].removeAttribute('aria-invalid');
        p[1].textContent = '';
      });
    }
    function fieldError(field, msg) {
      var pair = { country: [country, countryErr], number: [number, numberErr], scheduled_at: [slot, slotErr] }[field];
      if (!pair) return false;
      pair[0].setAttribute('aria-invalid', 'true');
      pair[1].textContent = msg;
      pair[0].focus();
      return true;
    }
    // The server's reason without its "invalid number:" prefix.
    function reason(err) {
      var m = (err && err.message) || '';
      return m.replace(/^invalid [\w.]+: /, '');
    }
    function show(state, text) {
      wrap.setAttribute('data-state', state);
      form.hidden = state !== 'form';
      ring.hidden = state !== 'counting';
      doneIcon.hidden = state !== 'done' && state !== 'scheduled';
      again.hidden = state !== 'failed';
      // While counting, the dial shows the words; the region only speaks.
      live.classList.toggle('aw-sr', state === 'counting');
      live.textContent = text || '';
    }

    var timer = null;
    function countdown(n) {
      var num = ring.querySelector('.aw-count-n');
      var text = ring.querySelector('.aw-count-text');
      var tick = function () {
        num.textContent = String(n);
        text.textContent = fill(texts.countdown, { seconds: n });
        ring.style.setProperty('--aw-progress', String(n / secs));
        ring.setAttribute('data-seconds', String(n));
        // Spoken at the start and every ten seconds, not every second.
        if (n !== secs && n % 10 === 0) live.textContent = text.textContent;
        if (n <= 0) {
          clearInterval(timer);
          show('done', texts.success);
          return;
        }
        n--;
      };
      show('counting', fill(texts.countdown, { seconds: n }));
      tick();
      timer = setInterval(tick, 1000);
    }

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      clearErrors();
      var body = { number: number.value.trim(), country: country.value, page: location.href.slice(0, 2000),
        website: root.getElementById('aw-website').value };
      if (!cfg.open && slot.value) body.scheduled_at = slot.value;
      submit.disabled = true;
      wrap.setAttribute('data-state', 'sending');
      fetch(api + '/requests', {
        method: 'POST', credentials: 'omit', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'agentswitch' },
        body: JSON.stringify(body),
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
      }).then(function (res) {
        submit.disabled = false;
        if (res.status === 201) return countdown(secs);
        if (res.status === 202) {
          var at = new Date(res.body.scheduled_at);
          var when = new Intl.DateTimeFormat(lang, { weekday: 'long', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(at);
          return show('scheduled', fill(words.scheduled, { time: when }));
        }
        // A field's error sits under the field (focused, so it is read
        // out); anything else is the admin's failure text.
        var err = res.body.error || {};
        show('form', '');
        wrap.setAttribute('data-state', 'error');
        if (!fieldError(err.field, reason(err))) live.textContent = texts.failure;
      }).catch(function () {
        submit.disabled = false;
        show('failed', texts.failure);
      });
    });
    again.addEventListener('click', function () { show('form', ''); number.focus(); });
    show('form', '');
  }
})();
