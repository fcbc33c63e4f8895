/*! cxhub chat widget loader — embed with:
 *  <script src="https://cxhub.example/static/widget/widget.js" data-site-key="…" async></script>
 * Queues window.Cxhub calls and loads widget-app.js (same origin and path) when it is needed: at once for a
 * visitor with a conversation, on open(), else when the browser is idle. See docs/widget.md.
 */
(function () {
  'use strict';
  var w = window, d = document;
  var api = w.Cxhub || w.CxHub || {};
  if (api._loaded || api._loader) return;
  var script = d.currentScript || d.querySelector('script[data-site-key]');
  if (!script) return;
  var q = api.q = Array.isArray(api.q) ? api.q : [];
  api._loader = true;
  w.Cxhub = w.CxHub = api;

  var requested = false;
  function load() {
    if (requested) return;
    requested = true;
    var s = d.createElement('script'), u = new URL(script.src, location.href), a, i;
    u.pathname = u.pathname.replace(/[^/]*$/, 'widget-app.js');
    for (i = 0; i < script.attributes.length; i++) {
      a = script.attributes[i];
      if (/^(data-|crossorigin$|referrerpolicy$)/.test(a.name)) s.setAttribute(a.name, a.value);
    }
    if (script.nonce) s.nonce = script.nonce;
    s.async = true;
    s.src = u.href;
    (d.head || d.documentElement).appendChild(s);
  }

  ['open', 'close', 'setLocale', 'identify', 'on'].forEach(function (m) {
    api[m] = function () {
      var app = w.Cxhub;
      if (app && app._loaded) return app[m].apply(app, arguments);  // a reference kept from before the load
      var call = [m].concat([].slice.call(arguments));
      q.push(call);
      if (m === 'open') load();
      // Until the app is there, unsubscribing takes the queued on() back.
      if (m === 'on') return function () { var k = q.indexOf(call); if (k >= 0) q.splice(k, 1); };
    };
  });

  var stored = false;
  try {
    var key = 'cxhub:' + (script.getAttribute('data-site-key') || '') + ':';
    stored = !!(localStorage.getItem(key + 'token') || localStorage.getItem(key + 'conv') ||
      (localStorage.getItem(key + 'pending') || '[]') !== '[]');
  } catch (e) { /* storage blocked: a new visitor */ }
  var opening = q.some(function (c) { return c && c[0] === 'open'; });

  function idle() {
    if (w.requestIdleCallback) w.requestIdleCallback(load, { timeout: 3000 }); else setTimeout(load, 1);
  }
  if (stored || opening) load();
  else if (d.readyState === 'complete') idle();
  else w.addEventListener('load', idle);
})();
