/*! cxhub chat widget app — plain JS, no build step. Not embedded directly: widget.js (the loader) injects it
 * with the same data-* attributes, so document.currentScript here is this script. Embed with:
 *  <script src="https://cxhub.example/static/widget/widget.js" data-site-key="…" async></script>
 * Everything renders inside an open Shadow DOM; server text is only ever set with textContent.
 */
(function () {
  'use strict';
  // Calls made before the script loaded wait in window.Cxhub.q (see docs/widget.md).
  var early = window.Cxhub || window.CxHub;
  if (early && early._loaded) return;
  var earlyCalls = early && Array.isArray(early.q) ? early.q : [];

  // The injected app script (currentScript), else the app or loader tag: both are on the API origin.
  var script = document.currentScript || document.querySelector('script[src*="widget-app"][data-site-key]') || document.querySelector('script[data-site-key]');
  if (!script) return;
  var siteKey = script.getAttribute('data-site-key') || '';
  var base = new URL(script.src, location.href).origin;
  var wsBase = base.replace(/^http/, 'ws');
  var KEY = 'cxhub:' + siteKey + ':';

  // ---------------------------------------------------------------- strings
  var LEVELS = ['self_service', 'ai_only', 'ai_with_approval', 'human_with_ai', 'human_only'];
  var STRINGS = {
    en: {
      title: 'Customer support',
      openChat: 'Open chat',
      closeChat: 'Close chat',
      unread: '{n} unread',
      partnerAi: 'AI assistant',
      partnerSelf: 'Help articles',
      partnerQueue: 'Waiting for a person',
      talk: 'Talk to a person',
      levelLabel: 'Who helps you',
      self_service: 'Find it myself',
      ai_only: 'Chat with AI',
      ai_with_approval: 'AI, checked by a person',
      human_with_ai: 'A person, helped by AI',
      human_only: 'Only a person',
      stConnecting: 'Connecting…',
      stAi: 'AI assistant — a person is one click away',
      stSelf: 'Find answers yourself — a person is one click away',
      stQueue: 'Connecting you with a person…',
      stQueuePos: 'Connecting you with a person… You are number {n} in the queue.',
      stAgent: 'You are talking with {name}',
      stClosed: 'This conversation is closed.',
      newConv: 'Start a new conversation',
      cnConnecting: 'Connecting…',
      cnOpen: 'Connected',
      cnReconnecting: 'Reconnecting…',
      cnOffline: 'Offline',
      cnPolling: 'Connected (limited mode)',
      messagesLabel: 'Conversation',
      you: 'You',
      ai: 'AI assistant',
      aiBadge: 'AI',
      personBadge: 'Person',
      assisted: '{name}, with AI assistance',
      approved: 'AI, reviewed by a person',
      agent: 'Support agent',
      notice: 'Notice',
      source: 'Source: {title}',
      sending: 'Sending…',
      failed: 'Not sent: {reason}',
      typing: '{name} is typing…',
      someone: 'Someone',
      placeholder: 'Write your message…',
      composerLabel: 'Your message',
      counter: '{n} of {max} characters',
      send: 'Send',
      errOrigin: 'Chat is not available on this website.',
      errGeneric: 'Something went wrong. Please try again.',
      unavailable: 'unavailable',
      reviewed: 'A person reviews the assistant’s replies before you see them.',
      waitSoon: 'Less than a minute.',
      waitOne: 'About 1 minute.',
      waitMany: 'About {n} minutes.',
      nobody: 'No one is available right now. Leave your email and a person will reply by email.',
      emailLabel: 'Your email address',
      emailSend: 'Leave my email',
      emailInvalid: 'Please enter a valid email address.',
      emailSaved: 'Thank you. A person will reply to {email}.',
      searchPlaceholder: 'Search our help articles…',
      searchLabel: 'Search our help articles',
      searchBtn: 'Search',
      searchHint: 'Type a few words to find an answer in our help articles.',
      searching: 'Searching…',
      searchFound: 'Articles for “{q}”:',
      searchNone: 'No article matches “{q}”. Try other words, or ask for help below.',
      moreHelp: 'Still need help?',
      prechatIntro: 'Before we start, please tell us:',
      fName: 'Your name',
      fEmail: 'Your email address',
      fTopic: 'What is it about?',
      prechatSend: 'Start chatting',
      name_invalid: 'Please enter your name.',
      topic_invalid: 'Please say what it is about.',
      tooLong: 'This is too long.',
      endConv: 'End conversation',
      csatQ: 'How was this conversation?',
      csatScore: '{n} out of 5',
      csatComment: 'Comment (optional)',
      csatTranscript: 'Email me the transcript',
      csatSend: 'Send my rating',
      score_invalid: 'Please choose a score from 1 to 5.',
      csatThanks: 'Thank you for your feedback!',
      transcriptSent: 'The transcript is on its way to {email}.',
      read: 'Read'
    },
    fr: {
      title: 'Service client',
      openChat: 'Ouvrir le chat',
      closeChat: 'Fermer le chat',
      unread: '{n} non lu(s)',
      partnerAi: 'Assistant IA',
      partnerSelf: 'Articles d’aide',
      partnerQueue: 'En attente d’une personne',
      talk: 'Parler à une personne',
      levelLabel: 'Qui vous aide',
      self_service: 'Chercher moi-même',
      ai_only: 'Discuter avec l’IA',
      ai_with_approval: 'IA, vérifiée par une personne',
      human_with_ai: 'Une personne, aidée par l’IA',
      human_only: 'Seulement une personne',
      stConnecting: 'Connexion…',
      stAi: 'Assistant IA — une personne est à portée d’un clic',
      stSelf: 'Trouvez la réponse vous-même — une personne est à portée d’un clic',
      stQueue: 'Nous vous mettons en relation avec une personne…',
      stQueuePos: 'Nous vous mettons en relation avec une personne… Vous êtes numéro {n} dans la file.',
      stAgent: 'Vous discutez avec {name}',
      stClosed: 'Cette conversation est terminée.',
      newConv: 'Nouvelle conversation',
      cnConnecting: 'Connexion…',
      cnOpen: 'Connecté',
      cnReconnecting: 'Reconnexion…',
      cnOffline: 'Hors ligne',
      cnPolling: 'Connecté (mode limité)',
      messagesLabel: 'Conversation',
      you: 'Vous',
      ai: 'Assistant IA',
      aiBadge: 'IA',
      personBadge: 'Personne',
      assisted: '{name}, avec l’aide de l’IA',
      approved: 'IA, relue par une personne',
      agent: 'Conseiller',
      notice: 'Information',
      source: 'Source : {title}',
      sending: 'Envoi…',
      failed: 'Non envoyé : {reason}',
      typing: '{name} est en train d’écrire…',
      someone: 'Quelqu’un',
      placeholder: 'Écrivez votre message…',
      composerLabel: 'Votre message',
      counter: '{n} caractères sur {max}',
      send: 'Envoyer',
      errOrigin: 'Le chat n’est pas disponible sur ce site.',
      errGeneric: 'Une erreur est survenue. Veuillez réessayer.',
      unavailable: 'indisponible',
      reviewed: 'Une personne relit les réponses de l’assistant avant que vous ne les voyiez.',
      waitSoon: 'Moins d’une minute.',
      waitOne: 'Environ 1 minute.',
      waitMany: 'Environ {n} minutes.',
      nobody: 'Personne n’est disponible pour le moment. Laissez votre adresse e-mail et une personne vous répondra par e-mail.',
      emailLabel: 'Votre adresse e-mail',
      emailSend: 'Laisser mon e-mail',
      emailInvalid: 'Veuillez saisir une adresse e-mail valide.',
      emailSaved: 'Merci. Une personne vous répondra à l’adresse {email}.',
      searchPlaceholder: 'Rechercher dans nos articles d’aide…',
      searchLabel: 'Rechercher dans nos articles d’aide',
      searchBtn: 'Rechercher',
      searchHint: 'Tapez quelques mots pour trouver une réponse dans nos articles d’aide.',
      searching: 'Recherche…',
      searchFound: 'Articles pour « {q} » :',
      searchNone: 'Aucun article ne correspond à « {q} ». Essayez d’autres mots, ou demandez de l’aide ci-dessous.',
      moreHelp: 'Besoin d’aide ?',
      prechatIntro: 'Avant de commencer, dites-nous :',
      fName: 'Votre nom',
      fEmail: 'Votre adresse e-mail',
      fTopic: 'De quoi s’agit-il ?',
      prechatSend: 'Commencer la discussion',
      name_invalid: 'Veuillez saisir votre nom.',
      topic_invalid: 'Veuillez indiquer le sujet.',
      tooLong: 'C’est trop long.',
      endConv: 'Terminer la conversation',
      csatQ: 'Comment s’est passée cette conversation ?',
      csatScore: '{n} sur 5',
      csatComment: 'Commentaire (facultatif)',
      csatTranscript: 'M’envoyer la transcription par e-mail',
      csatSend: 'Envoyer ma note',
      score_invalid: 'Veuillez choisir une note de 1 à 5.',
      csatThanks: 'Merci pour votre avis !',
      transcriptSent: 'La transcription est envoyée à {email}.',
      read: 'Lu'
    }
  };
  function pickLocale(l) { return /^fr/i.test(l || '') ? 'fr' : 'en'; }
  var locale = pickLocale(document.documentElement.lang || navigator.language);
  function t(key, vars) {
    var s = STRINGS[locale][key] || STRINGS.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] != null ? String(vars[k]) : ''; });
  }

  // ---------------------------------------------------------------- storage (may throw: private mode, sandbox)
  function load(k, fallback) {
    try { var v = localStorage.getItem(KEY + k); return v == null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function save(k, v) {
    try { if (v == null) localStorage.removeItem(KEY + k); else localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* ignore */ }
  }
  function loadToken() {
    try { return localStorage.getItem(KEY + 'token') || ''; } catch (e) { return ''; }
  }
  function saveToken(v) {
    try { if (v) localStorage.setItem(KEY + 'token', v); else localStorage.removeItem(KEY + 'token'); } catch (e) { /* ignore */ }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // ---------------------------------------------------------------- state
  var token = loadToken();
  var convId = load('conv', null);
  var seenSeq = load('seq', 0) || 0;   // last seq the visitor has seen with the panel open
  var pending = load('pending', []);   // unacked outgoing messages [{client_id, text}]
  if (!Array.isArray(pending)) pending = [];
  var lastSeq = 0;                     // highest seq rendered on this page (history is replayed from 0 on load)
  var readSent = 0;                    // highest seq this page told the server the visitor has read
  var state = null;
  var maxChars = 2000;
  var isOpen = false;
  var started = false;
  var fatal = '';
  var conn = 'connecting';
  var ws = null, wsOpened = false, wsFails = 0, attempt = 0, reconnectTimer = 0;
  var polling = false, pollOk = false, pollTimer = 0, pollBusy = false, pollFails = 0;
  var sessionBusy = false, sessionTimer = 0;
  var queuedActions = {};              // actions asked for while disconnected: {handoff: {}, autonomy: {level}}
  var restartAfterClose = false;
  var SEARCH_MAX = 300;
  var kb = { q: '', articles: null, busy: false }; // self-service search: latest query and its results
  var contact = load('contact', null);             // {conv, email} once the visitor left an email
  var bySeq = {}, byClient = {}, items = [];
  var unread = 0;
  var listeners = {};
  var profile = { prechat_fields: [], prechat_done: true, email_known: false };
  var rated = load('csat', null);      // {conv, email?} once the visitor rated that conversation
  var identity = null, readyFired = false, formBusy = '';

  function emit(name, data) {
    (listeners[name] || []).forEach(function (fn) { try { fn(data); } catch (e) { setTimeout(function () { throw e; }); } });
  }

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'cls') n.className = attrs[k];
      else if (attrs[k] != null && attrs[k] !== false) n.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function tid(id, attrs) { attrs = attrs || {}; attrs['data-testid'] = id; return attrs; }

  var CSS = [
    ':host{all:initial}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.root{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1d23;text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased}',
    'button,select,textarea,input{font:inherit;color:inherit;margin:0}',
    'button{cursor:pointer}',
    ':focus{outline:none}',
    ':focus-visible{outline:3px solid #1d4ed8;outline-offset:2px;box-shadow:0 0 0 5px #fff}',
    '.head :focus-visible{outline-color:#fbbf24;box-shadow:none}',
    '.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;background:#1f3a5f;color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(15,23,42,.3);transition:transform .15s ease}',
    '.launcher:hover{transform:scale(1.05);background:#16304f}',
    '.launcher svg{width:28px;height:28px}',
    '.badge-count{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#b91c1c;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}',
    '.panel{position:fixed;right:20px;bottom:92px;z-index:2147483001;width:400px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 112px);background:#fff;border-radius:16px;box-shadow:0 12px 40px rgba(15,23,42,.28);display:flex;flex-direction:column;overflow:hidden;border:1px solid #d5dae1;animation:cx-in .18s ease-out}',
    '@keyframes cx-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}',
    '.head{background:#1f3a5f;color:#fff;padding:12px 12px 10px 16px}',
    '.head-row{display:flex;align-items:center;gap:8px}',
    '.titles{flex:1;min-width:0}',
    '.title{margin:0;font-size:16px;font-weight:700;line-height:1.25}',
    '.partner{font-size:13px;color:#dbe4f0;display:flex;align-items:center;gap:6px}',
    '.dot{width:9px;height:9px;border-radius:50%;background:#f59e0b;flex:none;display:inline-block}',
    '.conn[data-ok=true] .dot{background:#4ade80}',
    '.conn{display:inline-flex;align-items:center;gap:6px;color:#fde68a}',
    '.conn[data-ok=false]::after{content:"·";color:#dbe4f0}',
    '.conn[data-ok=true] .conn-text{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}',
    '.icon-btn{background:transparent;border:0;color:#fff;width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center;flex:none}',
    '.icon-btn:hover{background:rgba(255,255,255,.15)}',
    '.icon-btn svg{width:20px;height:20px}',
    '.controls{display:flex;gap:8px;margin-top:10px;align-items:stretch;flex-wrap:wrap}',
    '.talk{background:#fff;color:#1f3a5f;border:0;border-radius:8px;padding:7px 12px;font-weight:600;font-size:14px;flex:none}',
    '.talk:hover{background:#e8eef7}',
    '.level{flex:1 1 150px;min-width:0;display:flex}',
    '.level select{width:100%;min-height:36px;border-radius:8px;border:1px solid #9fb3cc;background:#16304f;color:#fff;padding:6px 4px;font-size:14px}',
    '.cap{margin:8px 0 0;font-size:12.5px;color:#fde68a}',
    '.reviewed{background:#eef2ff;color:#1e3a8a;font-size:13px;padding:6px 16px;border-bottom:1px solid #d5dae1}',
    '.kb{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}',
    '.kb-sum{margin:0;font-size:13px;color:#374151}',
    '.kb-list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}',
    '.card{border:1px solid #d5dae1;border-radius:10px;padding:10px 12px}',
    '.card h3{margin:0 0 4px;font-size:14.5px}',
    '.card p{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.more{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:13px;margin-top:auto;padding-top:6px}',
    '.btn{background:#1f3a5f;color:#fff;border:1px solid #1f3a5f;border-radius:8px;padding:6px 12px;font-weight:600;font-size:14px}',
    '.btn2{background:#fff;color:#1f3a5f}',
    '.btn:disabled,.talk:disabled{opacity:.5;cursor:not-allowed}',
    '.contact{border-top:1px solid #d5dae1;background:#fff7e6;color:#5c3b00;padding:10px 12px;margin:0;display:flex;flex-direction:column;gap:6px;font-size:13.5px}',
    '.contact p{margin:0}',
    '.contact input{flex:1;min-width:0;border:1px solid #8b97a8;border-radius:8px;padding:7px 10px;background:#fff;color:#1a1d23}',
    '.err{color:#b91c1c}',
    '.status{background:#eef2f7;color:#243247;font-size:13px;padding:8px 16px;border-bottom:1px solid #d5dae1}',
    '.status[data-owner=queue]{background:#fff7e6;color:#5c3b00}',
    '.status[data-owner=agent]{background:#ecfdf3;color:#14532d}',
    '.new-conv{margin-left:8px;background:transparent;border:0;padding:0;color:#1d4ed8;text-decoration:underline;font-size:13px}',
    '.alert{background:#fdecec;color:#7f1d1d;font-size:13px;padding:8px 16px}',
    '.list{list-style:none;margin:0;padding:12px 12px 4px;flex:1;overflow-y:auto;overscroll-behavior:contain;display:flex;flex-direction:column;gap:10px}',
    '.msg{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}',
    '.msg-customer{align-self:flex-end;align-items:flex-end}',
    '.meta{display:flex;align-items:center;gap:6px;font-size:12px;color:#4b5563;margin:0 4px 3px}',
    '.author{font-weight:600;color:#374151}',
    '.tag{font-size:11px;font-weight:700;padding:0 6px;border-radius:6px;line-height:18px}',
    '.tag-ai{background:#e0e7ff;color:#1e3a8a}',
    '.tag-person{background:#dcfce7;color:#14532d}',
    '.bubble{padding:9px 12px;border-radius:14px;background:#f1f3f6;color:#1a1d23;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}',
    '.msg-customer .bubble{background:#1f3a5f;color:#fff;border-bottom-right-radius:4px}',
    '.msg-ai .bubble{border-bottom-left-radius:4px}',
    '.msg-human .bubble{background:#fff;border:1px solid #b7dfc5;border-bottom-left-radius:4px}',
    '.text{margin:0}',
    '.src{margin:6px 0 0;padding-top:6px;border-top:1px solid #d5dae1;font-size:12.5px;color:#374151}',
    '.msg-sending .bubble{opacity:.75}',
    '.note{font-size:12px;color:#4b5563;margin:3px 4px 0}',
    '.msg-failed .note{color:#b91c1c}',
    '.msg-system{align-self:center;align-items:center;max-width:92%;text-align:center}',
    '.msg-system .meta{justify-content:center}',
    '.msg-system .bubble{background:transparent;border:1px dashed #c3cad4;color:#374151;font-size:13px;border-radius:10px}',
    '.typing{font-size:12.5px;color:#4b5563;padding:0 16px 4px;min-height:1em}',
    '.composer{border-top:1px solid #d5dae1;padding:10px 12px 12px;display:flex;flex-direction:column;gap:4px}',
    '.compose-row{display:flex;gap:8px;align-items:flex-end}',
    'textarea{flex:1;resize:none;border:1px solid #8b97a8;border-radius:10px;padding:9px 11px;min-height:42px;max-height:140px;line-height:1.4;background:#fff;color:#1a1d23}',
    'textarea::placeholder{color:#6b7280}',
    'textarea:disabled{background:#f3f4f6}',
    '.send{background:#1f3a5f;color:#fff;border:0;border-radius:10px;padding:0 16px;height:42px;font-weight:600}',
    '.send:hover{background:#16304f}',
    '.send:disabled{background:#6b7a8f;cursor:not-allowed}',
    '.counter{font-size:11.5px;color:#4b5563;text-align:right}',
    '.counter.near{color:#b91c1c}',
    '.form{border-top:1px solid #d5dae1;padding:10px 12px;display:flex;flex-direction:column;gap:6px;font-size:13.5px}',
    '.form p{margin:0}',
    '.form input,.form textarea{border:1px solid #8b97a8;border-radius:8px;padding:7px 10px;background:#fff;color:#1a1d23;min-height:0}',
    '.scores{display:flex;gap:6px}',
    '.scores button{flex:1;border:1px solid #8b97a8;border-radius:8px;background:#fff;padding:6px 0;font-weight:700}',
    '.scores button[aria-pressed=true]{background:#1f3a5f;color:#fff;border-color:#1f3a5f}',
    '.bubble a{color:inherit;text-decoration:underline}',
    '.av{flex:none;width:24px;height:24px;border-radius:50%;background:#dcfce7;color:#14532d;font-size:11px;font-weight:700;line-height:24px;text-align:center;text-transform:uppercase}',
    '.head .av{width:36px;height:36px;line-height:36px;font-size:14px;background:#fff;color:#1f3a5f}',
    '.read{font-size:12px;color:#4b5563;margin:3px 4px 0}',
    // Phones: the panel is the whole (dynamic) viewport inside the safe area; the launcher, now the close
    // button, sits in the header's top corner so it stays reachable above the panel.
    '@media (max-width:479.98px){.panel{top:0;left:0;right:0;bottom:0;width:100%;max-width:none;height:100vh;height:100dvh;max-height:none;border-radius:0;border:0;padding:0 env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left);background:#fff}' +
      '.head{padding-top:calc(10px + env(safe-area-inset-top))}.launcher{right:calc(14px + env(safe-area-inset-right));bottom:calc(14px + env(safe-area-inset-bottom))}' +
      '.root[data-open=true] .launcher{z-index:2147483002;top:calc(10px + env(safe-area-inset-top));bottom:auto;right:calc(12px + env(safe-area-inset-right));width:36px;height:36px;box-shadow:none;background:transparent}' +
      '.root[data-open=true] .launcher svg{width:20px;height:20px}.head .icon-btn{visibility:hidden}}',
    '@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;animation-duration:0s!important;transition:none!important;transition-duration:0s!important}}',
    '@media (forced-colors:active){.bubble,.panel,.launcher{border:1px solid CanvasText}}'
  ].join('\n');

  var ICON_CHAT = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18"/></svg>';

  // ---------------------------------------------------------------- build UI
  var host = document.createElement('cxhub-widget');
  host.id = 'cxhub-widget-host';
  // Styles go through the CSSOM (a property set, a constructable stylesheet), never a style attribute or a
  // <style> element: a host page's CSP without 'unsafe-inline' in style-src blocks those two.
  host.style.setProperty('all', 'initial', 'important');
  host.style.setProperty('display', 'block', 'important');
  host.style.setProperty('position', 'static', 'important');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) { // no constructable stylesheets (old browsers)
    var style = document.createElement('style');
    style.textContent = CSS;
    root.appendChild(style);
  }

  var ui = {};
  ui.launcherIcon = el('span', { cls: 'lic' });
  ui.launcherIcon.innerHTML = ICON_CHAT; // constant markup, never server data
  ui.unread = el('span', { cls: 'badge-count', hidden: true });
  ui.launcher = el('button', tid('launcher', { type: 'button', cls: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'cx-panel' }), [ui.launcherIcon, ui.unread]);

  ui.title = el('h2', { cls: 'title', id: 'cx-title' });
  ui.partner = el('span', tid('partner'));
  ui.connText = el('span', { cls: 'conn-text' });
  ui.conn = el('span', tid('connection', { cls: 'conn', 'data-state': 'connecting', role: 'status' }), [el('span', { cls: 'dot', 'aria-hidden': 'true' }), ui.connText]);
  ui.close = el('button', { type: 'button', cls: 'icon-btn' });
  ui.close.innerHTML = ICON_CLOSE; // constant markup
  ui.talk = el('button', tid('talk-to-person', { type: 'button', cls: 'talk' }));
  ui.levelLabel = el('label', { cls: 'sr', for: 'cx-level' });
  ui.level = el('select', tid('autonomy', { id: 'cx-level', 'aria-describedby': 'cx-cap' }));
  LEVELS.forEach(function (l) { ui.level.appendChild(el('option', { value: l })); });
  ui.level.value = 'ai_only';
  ui.headAvatar = el('span', tid('agent-avatar', { cls: 'av', 'aria-hidden': 'true', hidden: true }));
  var head = el('div', { cls: 'head' }, [
    el('div', { cls: 'head-row' }, [
      ui.headAvatar,
      el('div', { cls: 'titles' }, [ui.title, el('div', { cls: 'partner' }, [ui.conn, ui.partner])]),
      ui.close
    ]),
    el('div', { cls: 'controls' }, [ui.talk, el('div', { cls: 'level' }, [ui.levelLabel, ui.level])]),
    ui.cap = el('p', tid('cap-reason', { cls: 'cap', id: 'cx-cap', hidden: true }))
  ]);
  ui.statusText = el('span');
  ui.newConv = el('button', { type: 'button', cls: 'new-conv', hidden: true });
  ui.endConv = el('button', tid('end-conversation', { type: 'button', cls: 'new-conv', hidden: true }));
  ui.wait = el('span', tid('wait'));
  ui.status = el('div', tid('status', { cls: 'status', role: 'status' }), [ui.statusText, ui.wait, ui.newConv, ui.endConv]);
  ui.reviewed = el('div', tid('replies-reviewed', { cls: 'reviewed', hidden: true }));
  // Self-service: the composer searches, and articles show here instead of the transcript.
  ui.kbSum = el('p', tid('kb-summary', { cls: 'kb-sum', role: 'status' }));
  ui.kbList = el('ul', tid('kb-results', { cls: 'kb-list' }));
  ui.moreText = el('span');
  ui.toAi = el('button', tid('to-ai', { type: 'button', cls: 'btn' }));
  ui.toPerson = el('button', tid('to-person', { type: 'button', cls: 'btn btn2' }));
  ui.kb = el('div', tid('kb', { cls: 'kb', hidden: true }), [ui.kbSum, ui.kbList, el('div', { cls: 'more' }, [ui.moreText, ui.toAi, ui.toPerson])]);
  // No one can chat now: an email for a person to reply to.
  ui.contactText = el('p');
  ui.emailLabel = el('label', { cls: 'sr', for: 'cx-email' });
  ui.email = el('input', tid('contact-email', { type: 'email', id: 'cx-email', autocomplete: 'email', maxlength: '254' }));
  ui.emailSend = el('button', tid('contact-send', { type: 'submit', cls: 'btn' }));
  ui.emailErr = el('p', tid('contact-error', { cls: 'err', role: 'alert', hidden: true }));
  ui.contact = el('form', tid('contact-form', { cls: 'contact', novalidate: true, hidden: true }),
    [ui.contactText, ui.emailLabel, el('div', { cls: 'compose-row' }, [ui.email, ui.emailSend]), ui.emailErr]);
  ui.contactDone = el('p', tid('contact-saved', { cls: 'contact', role: 'status', hidden: true }));
  // The site's pre-chat form, before the first message.
  ui.pre = {};
  ui.prechatIntro = el('p');
  ui.prechatErr = el('p', tid('prechat-error', { cls: 'err', role: 'alert', hidden: true }));
  ui.prechatSend = el('button', tid('prechat-send', { type: 'submit', cls: 'btn' }));
  ui.prechat = el('form', tid('prechat', { cls: 'form', novalidate: true, hidden: true }), [ui.prechatIntro]);
  [['name', 'text', 'name', 200], ['email', 'email', 'email', 254], ['topic', 'text', 'off', 200]].forEach(function (f) {
    var input = el('input', tid('prechat-' + f[0], { id: 'cx-pre-' + f[0], type: f[1], autocomplete: f[2], maxlength: String(f[3]) }));
    var label = el('label', { for: 'cx-pre-' + f[0] });
    ui.pre[f[0]] = { input: input, label: label, row: el('div', { cls: 'form' }, [label, input]) };
    ui.pre[f[0]].row.style.cssText = 'border:0;padding:0;gap:2px';
    ui.prechat.appendChild(ui.pre[f[0]].row);
  });
  ui.prechat.appendChild(ui.prechatErr);
  ui.prechat.appendChild(ui.prechatSend);
  // Satisfaction, once the conversation is closed.
  ui.csatQ = el('p', { id: 'cx-csat-q' });
  ui.scores = el('div', { cls: 'scores', role: 'group', 'aria-labelledby': 'cx-csat-q' });
  for (var sc = 1; sc <= 5; sc++) ui.scores.appendChild(el('button', tid('csat-score', { type: 'button', 'data-score': String(sc), 'aria-pressed': 'false', text: String(sc) })));
  ui.csatCommentLabel = el('label', { for: 'cx-csat-comment' });
  ui.csatComment = el('textarea', tid('csat-comment', { id: 'cx-csat-comment', rows: '2', maxlength: '1000' }));
  ui.csatTranscript = el('input', tid('csat-transcript', { type: 'checkbox', id: 'cx-csat-tr' }));
  ui.csatTranscriptLabel = el('label', { for: 'cx-csat-tr' });
  ui.csatEmail = el('input', tid('csat-email', { type: 'email', autocomplete: 'email', maxlength: '254', hidden: true }));
  ui.csatErr = el('p', tid('csat-error', { cls: 'err', role: 'alert', hidden: true }));
  ui.csatSend = el('button', tid('csat-send', { type: 'submit', cls: 'btn' }));
  ui.csat = el('form', tid('csat', { cls: 'form', novalidate: true, hidden: true }), [ui.csatQ, ui.scores, ui.csatCommentLabel, ui.csatComment,
    el('div', {}, [ui.csatTranscript, document.createTextNode(' '), ui.csatTranscriptLabel]), ui.csatEmail, ui.csatErr, ui.csatSend]);
  ui.csatDone = el('p', tid('csat-thanks', { cls: 'form', role: 'status', hidden: true }));
  ui.alert = el('div', tid('alert', { cls: 'alert', role: 'alert', hidden: true }));
  ui.list = el('ol', tid('messages', { cls: 'list', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' }));
  ui.typing = el('div', tid('typing', { cls: 'typing', 'aria-live': 'polite' }));
  ui.composer = el('textarea', tid('composer', { rows: '1', maxlength: String(maxChars), 'aria-describedby': 'cx-counter', id: 'cx-composer' }));
  ui.composerLabel = el('label', { cls: 'sr', for: 'cx-composer' });
  ui.send = el('button', tid('send', { type: 'submit', cls: 'send' }));
  ui.counter = el('div', { cls: 'counter', id: 'cx-counter' });
  ui.form = el('form', { cls: 'composer', novalidate: true }, [
    ui.composerLabel,
    el('div', { cls: 'compose-row' }, [ui.composer, ui.send]),
    ui.counter
  ]);
  ui.panel = el('div', tid('panel', { cls: 'panel', id: 'cx-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'cx-title', hidden: true }),
    [head, ui.status, ui.reviewed, ui.alert, ui.list, ui.kb, ui.typing, ui.contact, ui.contactDone, ui.prechat, ui.csat, ui.csatDone, ui.form]);
  ui.read = el('p', tid('read-receipt', { cls: 'read' }));
  ui.root = el('div', { cls: 'root', 'data-open': 'false' }, [ui.panel, ui.launcher]);
  root.appendChild(ui.root);

  // ---------------------------------------------------------------- rendering
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hhmm(iso) {
    var d = iso ? new Date(iso) : new Date();
    return isNaN(d) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function authorOf(m) {
    var name = m.author_name || t('agent');
    if (m.provenance === 'ai_approved') return { label: t('approved'), tag: 'ai' };
    switch (m.author_kind) {
      case 'customer': return { label: t('you') };
      case 'ai': return { label: t('ai'), tag: 'ai' };
      case 'human': return { label: m.provenance === 'human_ai_assisted' ? t('assisted', { name: name }) : name, tag: 'person' };
      default: return { label: t('notice') };
    }
  }

  function fill(item) {
    var m = item.m, node = item.node;
    var kind = ['customer', 'ai', 'human', 'system'].indexOf(m.author_kind) >= 0 ? m.author_kind : 'system';
    node.className = 'msg msg-' + kind + (item.sending ? ' msg-sending' : '') + (item.failed ? ' msg-failed' : '');
    node.setAttribute('data-author-kind', kind);
    node.setAttribute('data-seq', m.seq ? String(m.seq) : '');
    node.setAttribute('data-provenance', m.provenance || kind);
    if (m.client_id) node.setAttribute('data-client-id', m.client_id);
    var a = authorOf(m);
    // A person's initials in a round avatar: decorative (aria-hidden), their name is in the text beside it.
    var meta = el('div', { cls: 'meta' }, [kind === 'human' ? avatar(m.author_name) : null, el('span', tid('author', { cls: 'author', text: a.label }))]);
    if (a.tag) meta.appendChild(el('span', { cls: 'tag tag-' + a.tag, text: t(a.tag === 'ai' ? 'aiBadge' : 'personBadge') }));
    if (kind !== 'system' || m.created_at) meta.appendChild(el('time', { datetime: m.created_at || null, text: hhmm(m.created_at) }));
    var bubble = el('div', { cls: 'bubble' }, [linkify(el('p', tid('text', { cls: 'text' })), String(m.text || ''))]);
    (Array.isArray(m.sources) ? m.sources : []).forEach(function (s) {
      if (s && s.title) bubble.appendChild(el('p', tid('source', { cls: 'src', text: t('source', { title: s.title }) })));
    });
    var kids = [meta, bubble];
    if (item.sending) kids.push(el('p', { cls: 'note', text: t('sending') }));
    if (item.failed) kids.push(el('p', { cls: 'note', text: t('failed', { reason: item.failed }) }));
    node.textContent = '';
    kids.forEach(function (k) { node.appendChild(k); });
  }

  function initials(name) {
    var words = String(name || '').replace(/^\s+|\s+$/g, '').split(/\s+/).filter(Boolean);
    if (!words.length) return '';
    var first = Array.from(words[0])[0], last = words.length > 1 ? Array.from(words[words.length - 1])[0] : '';
    return (first + last).toUpperCase();
  }
  function avatar(name) {
    var i = initials(name);
    return i ? el('span', tid('avatar', { cls: 'av', 'aria-hidden': 'true', text: i })) : null;
  }

  // "Read" under the customer's last message once the person holding the conversation has seen it.
  function renderRead() {
    var s = state, last = null;
    items.forEach(function (i) { if (i.m.author_kind === 'customer' && i.m.seq && (!last || i.m.seq > last.m.seq)) last = i; });
    ui.read.textContent = t('read');
    if (last && s && s.owner === 'agent' && typeof s.agent_read_seq === 'number' && s.agent_read_seq >= last.m.seq) {
      if (ui.read.parentNode !== last.node) last.node.appendChild(ui.read);
    } else if (ui.read.parentNode) ui.read.parentNode.removeChild(ui.read);
  }

  // Web addresses become links built with the DOM: only http(s), opened apart from the page; all else stays text.
  function linkify(p, text) {
    var re = /https?:\/\/[^\s<>"']+/gi, last = 0, m;
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, ''), href = '';
      try { var u = new URL(url); if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href; } catch (e) { /* text */ }
      if (!href) continue;
      p.appendChild(document.createTextNode(text.slice(last, m.index)));
      p.appendChild(el('a', tid('link', { href: href, target: '_blank', rel: 'noopener noreferrer', text: url })));
      last = m.index + url.length;
      re.lastIndex = last;
    }
    p.appendChild(document.createTextNode(text.slice(last)));
    return p;
  }

  // Keep the list ordered by seq; messages still sending stay at the end.
  function place(item) {
    var seq = item.m.seq, before = null;
    for (var c = ui.list.firstChild; c; c = c.nextSibling) {
      if (c === item.node) continue;
      var s = +c.getAttribute('data-seq');
      if (!s || (seq && s > seq)) { before = c; break; }
    }
    if (!seq) before = null;
    var stick = ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 80;
    ui.list.insertBefore(item.node, before);
    if (stick || item.m.author_kind === 'customer') ui.list.scrollTop = ui.list.scrollHeight;
  }

  var atBottom = true;
  ui.list.addEventListener('scroll', function () {
    atBottom = ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 40;
  });
  if (window.ResizeObserver) new ResizeObserver(function () { if (atBottom) ui.list.scrollTop = ui.list.scrollHeight; }).observe(ui.list);

  function addPendingItem(p) {
    var item = { m: { client_id: p.client_id, text: p.text, author_kind: 'customer', provenance: 'customer', seq: null, created_at: null }, sending: true, node: el('li', tid('message')) };
    items.push(item);
    byClient[p.client_id] = item;
    fill(item);
    place(item);
    return item;
  }

  function onMessage(m) {
    if (!m || typeof m.seq !== 'number') return;
    if (m.seq > lastSeq) lastSeq = m.seq;
    var existing = bySeq[m.seq];
    var mine = m.client_id && byClient[m.client_id];
    if (existing && existing !== mine) return; // never render a seq twice
    if (mine) dropPending(m.client_id);
    var item = mine || existing;
    if (item) {
      item.m = m; item.sending = false; item.failed = '';
    } else {
      item = { m: m, node: el('li', tid('message')) };
      items.push(item);
      if (m.client_id) byClient[m.client_id] = item;
    }
    bySeq[m.seq] = item;
    fill(item);
    place(item);
    renderRead();
    if (m.author_kind !== 'customer') hideTyping();
    if (isOpen && document.visibilityState !== 'hidden') markSeen();
    else if (m.seq > seenSeq && m.author_kind !== 'customer' && m.author_kind !== 'system') { unread++; renderUnread(); }
    emit('message', m);
  }

  function onAck(a) {
    if (!a || !a.client_id) return;
    dropPending(a.client_id);
    var item = byClient[a.client_id];
    if (!item || !a.seq) return;
    var other = bySeq[a.seq];
    if (other && other !== item) { // the message itself already arrived: drop the placeholder
      if (item.node.parentNode) item.node.parentNode.removeChild(item.node);
      items = items.filter(function (i) { return i !== item; });
      byClient[a.client_id] = other;
      return;
    }
    if (!item.m.seq) { item.m.seq = a.seq; item.sending = false; bySeq[a.seq] = item; fill(item); place(item); }
  }

  function failPending(clientId, reason) {
    dropPending(clientId);
    var item = byClient[clientId];
    if (item && !item.m.seq) { item.sending = false; item.failed = reason || t('errGeneric'); fill(item); }
  }

  function dropPending(clientId) {
    var n = pending.length;
    pending = pending.filter(function (p) { return p.client_id !== clientId; });
    if (pending.length !== n) save('pending', pending.length ? pending : null);
  }

  function clearTranscript() {
    ui.list.textContent = '';
    bySeq = {}; byClient = {}; items = []; lastSeq = 0; seenSeq = 0; unread = 0; readSent = 0;
    save('seq', null);
    renderUnread();
    pending.forEach(addPendingItem);
  }

  function markSeen() {
    if (lastSeq > seenSeq) { seenSeq = lastSeq; save('seq', seenSeq); }
    // Read receipts: the server keeps the highest seq, so a repeat after a reconnect changes nothing.
    if (lastSeq > readSent && wsSend({ type: 'read', seq: lastSeq })) readSent = lastSeq;
    unread = 0; renderUnread();
  }

  function renderUnread() {
    ui.unread.hidden = !unread || isOpen;
    ui.unread.textContent = unread > 9 ? '9+' : String(unread);
    ui.launcher.setAttribute('aria-label', t(isOpen ? 'closeChat' : 'openChat') + (unread && !isOpen ? ' (' + t('unread', { n: unread }) + ')' : ''));
  }

  var typingTimer = 0;
  function showTyping(f) {
    if (!f.active || f.author_kind === 'customer') return hideTyping();
    var name = f.author_kind === 'ai' ? t('ai') : (f.name || (state && state.agent_name) || t('someone'));
    ui.typing.textContent = t('typing', { name: name });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 8000);
  }
  function hideTyping() { clearTimeout(typingTimer); ui.typing.textContent = ''; }

  // data-state is the mode; in polling mode data-ok tells whether the last poll got through.
  function renderConn() {
    var ok = conn === 'open' || (conn === 'polling' && pollOk);
    ui.conn.setAttribute('data-state', conn);
    ui.conn.setAttribute('data-ok', String(ok));
    var key = ok ? (conn === 'open' ? 'cnOpen' : 'cnPolling') : conn === 'connecting' ? 'cnConnecting' : 'cnReconnecting';
    ui.connText.textContent = t(!ok && navigator.onLine === false ? 'cnOffline' : key);
  }
  function setConn(c) { if (conn !== c) { conn = c; renderConn(); } }

  function renderState() {
    var s = state;
    var closed = s && s.status === 'closed';
    var owner = s ? s.owner : '';
    ui.partner.textContent = owner === 'agent' ? (s.agent_name || t('agent')) : owner === 'queue' ? t('partnerQueue') : t(searchMode() ? 'partnerSelf' : 'partnerAi');
    ui.headAvatar.textContent = owner === 'agent' && !closed ? initials(s.agent_name) : '';
    ui.headAvatar.hidden = !ui.headAvatar.textContent;
    renderRead();
    // A rule may keep people out of reach: then no text promises one.
    var personOk = allowed('human_with_ai') || allowed('human_only');
    var text;
    if (!s) text = t('stConnecting');
    else if (closed) text = t('stClosed');
    else if (owner === 'queue' && s.nobody_available) text = t('partnerQueue') + '.';
    else if (owner === 'queue') text = s.queue_position ? t('stQueuePos', { n: s.queue_position }) : t('stQueue');
    else if (owner === 'agent') text = t('stAgent', { name: s.agent_name || t('agent') });
    else if (s.autonomy_level === 'self_service') text = personOk ? t('stSelf') : t('partnerSelf') + '.';
    else text = personOk ? t('stAi') : t('partnerAi') + '.';
    ui.statusText.textContent = text;
    var wait = owner === 'queue' && !closed && !s.nobody_available ? s.estimated_wait_seconds : null;
    ui.wait.textContent = typeof wait !== 'number' ? '' : ' ' + (wait < 60 ? t('waitSoon') : Math.round(wait / 60) < 2 ? t('waitOne') : t('waitMany', { n: Math.round(wait / 60) }));
    ui.status.setAttribute('data-owner', closed ? 'closed' : owner);
    ui.newConv.hidden = !closed;

    // Levels a site's rule puts out of reach stay listed, disabled, with the reason next to the control.
    Array.prototype.forEach.call(ui.level.options, function (o) {
      var ok = allowed(o.value);
      o.disabled = !ok;
      o.textContent = t(o.value) + (ok ? '' : ' (' + t('unavailable') + ')');
    });
    if (s && LEVELS.indexOf(s.autonomy_level) >= 0) ui.level.value = s.autonomy_level;
    ui.cap.textContent = (s && s.autonomy_cap_reason) || '';
    ui.cap.hidden = !ui.cap.textContent || closed;
    ui.reviewed.textContent = t('reviewed');
    ui.reviewed.hidden = !(s && s.replies_reviewed) || closed;
    ui.talk.disabled = !!fatal || !personOk;
    ui.toPerson.disabled = !!fatal || !personOk;
    ui.toAi.disabled = !!fatal || !allowed('ai_only');

    var search = searchMode();
    ui.list.hidden = ui.counter.hidden = search;
    ui.kb.hidden = !search;
    ui.composer.placeholder = t(search ? 'searchPlaceholder' : 'placeholder');
    ui.composerLabel.textContent = t(search ? 'searchLabel' : 'composerLabel');
    ui.send.textContent = t(search ? 'searchBtn' : 'send');
    ui.composer.setAttribute('maxlength', String(search ? SEARCH_MAX : maxChars));
    ui.kbSum.textContent = kb.busy ? t('searching') : !kb.articles ? t('searchHint') : t(kb.articles.length ? 'searchFound' : 'searchNone', { q: kb.q });
    ui.moreText.textContent = t('moreHelp');
    ui.toAi.textContent = t('ai_only');
    ui.toPerson.textContent = t('talk');

    var saved = contact && contact.conv === convId && !closed && owner !== 'agent';
    ui.contact.hidden = saved || !(s && s.nobody_available && owner === 'queue' && !closed);
    ui.contactDone.hidden = !saved;
    ui.contactDone.textContent = saved ? t('emailSaved', { email: contact.email }) : '';
    ui.contactText.textContent = t('nobody');
    ui.emailLabel.textContent = t('emailLabel');
    ui.emailSend.textContent = t('emailSend');

    // Pre-chat form before the first message, if the site asks for one; the composer waits behind it.
    var asked = profile.prechat_fields || [];
    var spoke = items.some(function (i) { return i.m.author_kind === 'customer'; });
    ui.prechat.hidden = !(s && !closed && asked.length && !profile.prechat_done && !spoke && !search);
    ui.form.hidden = !ui.prechat.hidden;
    ui.prechatIntro.textContent = t('prechatIntro');
    ui.prechatSend.textContent = t('prechatSend');
    ['name', 'email', 'topic'].forEach(function (f) {
      ui.pre[f].row.hidden = asked.indexOf(f) < 0;
      ui.pre[f].label.textContent = t('f' + f.charAt(0).toUpperCase() + f.slice(1));
    });
    // Satisfaction once closed, until this conversation is rated.
    var done = rated && rated.conv === convId;
    ui.csat.hidden = !closed || !!done;
    ui.csatDone.hidden = !closed || !done;
    ui.csatDone.textContent = done ? t('csatThanks') + (rated.email ? ' ' + t('transcriptSent', { email: rated.email }) : '') : '';
    ui.csatQ.textContent = t('csatQ');
    Array.prototype.forEach.call(ui.scores.children, function (b) { b.setAttribute('aria-label', t('csatScore', { n: b.getAttribute('data-score') })); });
    ui.csatCommentLabel.textContent = t('csatComment');
    ui.csatTranscriptLabel.textContent = t('csatTranscript');
    ui.csatEmail.hidden = !ui.csatTranscript.checked || profile.email_known;
    ui.csatEmail.setAttribute('aria-label', t('fEmail'));
    ui.csatSend.textContent = t('csatSend');
    ui.endConv.hidden = !s || closed || !lastSeq;
    ui.endConv.textContent = t('endConv');
  }

  function allowed(level) {
    var s = state || {}, i = LEVELS.indexOf(level), lo = LEVELS.indexOf(s.autonomy_min), hi = LEVELS.indexOf(s.autonomy_max);
    return (lo < 0 || i >= lo) && (hi < 0 || i <= hi);
  }

  function searchMode() {
    return !!state && state.status === 'open' && state.owner === 'ai' && state.autonomy_level === 'self_service';
  }

  function renderChrome() {
    ui.title.textContent = t('title');
    ui.close.setAttribute('aria-label', t('closeChat'));
    ui.talk.textContent = t('talk');
    ui.levelLabel.textContent = t('levelLabel');
    ui.list.setAttribute('aria-label', t('messagesLabel'));
    ui.newConv.textContent = t('newConv');
    if (fatal) ui.alert.textContent = t(fatal);
    renderCounter(); renderUnread(); renderConn();
    items.forEach(fill);
    renderState();
  }

  function renderCounter() {
    var n = ui.composer.value.length;
    ui.counter.textContent = '';
    ui.counter.appendChild(el('span', { 'aria-hidden': 'true', text: n + ' / ' + maxChars }));
    ui.counter.appendChild(el('span', { cls: 'sr', text: t('counter', { n: n, max: maxChars }) }));
    ui.counter.className = 'counter' + (n > maxChars * 0.9 ? ' near' : '');
    ui.counter.style.visibility = n >= maxChars - 200 ? '' : 'hidden'; // shown only near the limit
  }

  function showError(key, message) {
    ui.alert.textContent = message || t(key);
    ui.alert.hidden = false;
    clearTimeout(showError.timer);
    if (!fatal) showError.timer = setTimeout(function () { ui.alert.hidden = true; }, 6000);
  }

  function applyState(s) {
    if (!s) return;
    if (s.conversation_id && s.conversation_id !== convId) {
      var changed = convId != null;
      convId = s.conversation_id;
      save('conv', convId);
      if (changed) {
        clearTranscript();
        if (wsReady()) wsSend({ type: 'resume', after_seq: 0 });
      }
    }
    var before = state;
    state = s;
    renderState();
    emit('state', s);
    if ((s.owner === 'queue' || s.owner === 'agent') && (!before || before.owner !== s.owner)) emit('handoff', { owner: s.owner, agent_name: s.agent_name || '' });
  }

  // ---------------------------------------------------------------- network
  function api(method, path, body, auth) {
    var headers = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (auth) headers.Authorization = 'Bearer ' + token;
    return fetch(base + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, mode: 'cors', credentials: 'omit' })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error(data.message || 'HTTP ' + r.status); e.status = r.status; e.code = data.code; e.retryAfter = data.retry_after; throw e; }
          return data;
        });
      });
  }

  function setFatal(key) {
    fatal = key;
    stopPolling();
    clearTimeout(reconnectTimer);
    clearTimeout(sessionTimer);
    if (ws) { try { ws.close(); } catch (e) { /* ignore */ } }
    ui.alert.textContent = t(key);
    ui.alert.hidden = false;
    ui.composer.disabled = ui.send.disabled = ui.talk.disabled = ui.level.disabled = true;
    setConn('reconnecting');
  }

  function startSession() {
    if (sessionBusy || fatal) return;
    sessionBusy = true;
    api('POST', '/api/widget/sessions', { site_key: siteKey, token: token || '', locale: locale })
      .then(function (data) {
        sessionBusy = false;
        tokenRenewed(data);
        profile = { prechat_fields: data.prechat_fields || [], prechat_done: !!data.prechat_done, email_known: !!data.email_known };
        if (!readyFired) { readyFired = true; emit('ready', { conversation_id: data.state && data.state.conversation_id }); }
        if (data.max_chars) { maxChars = data.max_chars; ui.composer.setAttribute('maxlength', String(maxChars)); renderCounter(); }
        applyState(data.state);
        attempt = 0;
        connect();
      }, function (err) {
        sessionBusy = false;
        if (err.status === 403) return setFatal('errOrigin');
        if (err.status === 400 && err.code === 'site_unknown') return setFatal('errOrigin');
        if (!polling) setConn('reconnecting');
        clearTimeout(sessionTimer);
        sessionTimer = setTimeout(startSession, backoff());
      });
  }

  // Tokens expire: renew one well before, over the socket or, when polling, over REST.
  var refreshTimer;
  function tokenRenewed(d) {
    token = d.token; saveToken(token);
    clearTimeout(refreshTimer);
    if (d.expires_in > 0) refreshTimer = setTimeout(refreshToken, Math.min(d.expires_in * 800, 2147483647));
  }
  function refreshToken() {
    if (wsSend({ type: 'token.refresh' })) { refreshTimer = setTimeout(refreshToken, 30000); return; } // unless answered
    api('POST', '/api/widget/token', {}, true).then(tokenRenewed, function (err) {
      if (err.status === 401) newSession(); else refreshTimer = setTimeout(refreshToken, 30000);
    });
  }

  function newSession() { // the token is bad or expired: forget it and start afresh
    token = ''; saveToken('');
    stopPolling();
    startSession();
  }

  function backoff() {
    var d = Math.min(10000, 500 * Math.pow(2, attempt++));
    return d / 2 + Math.random() * d / 2;
  }
  function schedule(fn, delay) {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(fn, delay == null ? backoff() : delay);
  }

  function wsReady() { return ws && ws.readyState === 1; }
  function wsSend(frame) { if (wsReady()) { ws.send(JSON.stringify(frame)); return true; } return false; }

  function connect() {
    if (fatal || !token || (ws && ws.readyState < 2)) return;
    clearTimeout(reconnectTimer);
    if (!polling) setConn(wsFails || attempt ? 'reconnecting' : 'connecting');
    var sock;
    try { sock = new WebSocket(wsBase + '/ws/widget/?token=' + encodeURIComponent(token)); } catch (e) { return onWsClose({ code: 1006 }); }
    ws = sock;
    wsOpened = false;
    sock.onopen = function () {
      if (ws !== sock) return;
      wsOpened = true; wsFails = 0; attempt = 0;
      stopPolling();
      setConn('open');
      wsSend({ type: 'resume', after_seq: lastSeq });
      flush();
      if (isOpen && document.visibilityState !== 'hidden') markSeen();
    };
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      handleFrame(f);
    };
    sock.onclose = function (e) { if (ws === sock) { ws = null; onWsClose(e); } };
  }

  function onWsClose(e) {
    if (fatal) return;
    if (e.code === 4403) return setFatal('errOrigin');
    if (e.code === 4401) return newSession();
    if (restartAfterClose) { restartAfterClose = false; return startSession(); }
    if (!wsOpened) wsFails++;
    if (wsFails >= 3 && !polling) startPolling();
    if (polling) schedule(connect, 15000 + Math.random() * 15000);
    else { setConn('reconnecting'); schedule(connect); }
  }

  function handleFrame(f) {
    switch (f && f.type) {
      case 'state': applyState(f.state); break;
      case 'message': onMessage(f.message); break;
      case 'ack': onAck(f); break;
      case 'typing': showTyping(f); break;
      case 'kb.results': onResults(f.query, f.articles); break;
      case 'contact.saved': onContactSaved(f.email); break;
      case 'identified': identity = null; emit('identified', { user_id: f.user_id }); break;
      case 'prechat.saved': onPrechatSaved(f); break;
      case 'csat.saved': onRated(); break;
      case 'transcript.queued': onTranscript(f.email); break;
      case 'token': tokenRenewed(f); break;
      case 'error':
        if (f.code === 'identity_invalid') { identity = null; emit('error', { code: f.code }); break; }
        if (f.code === 'rate_limited') { setTimeout(flush, (f.retry_after || 1) * 1000); break; } // still pending: resent
        if (formBusy && formError(f.code, f.message)) break;
        ui.emailSend.disabled = false;
        if (f.client_id) failPending(f.client_id, f.message);
        else if (f.code === 'email_invalid') emailError('emailInvalid');
        else if (/^query_/.test(f.code)) { kb.busy = false; kb.articles = null; renderState(); }
        else if (f.code !== 'token_invalid' && f.code !== 'token_expired') showError('errGeneric', f.message);
        if (f.code === 'level_invalid' || f.code === 'conversation_closed') renderState();
        break;
    }
  }

  // Send every unacked message again with its same client_id: the server stores each once.
  function flush() {
    if (wsReady()) {
      pending.forEach(function (p) { wsSend({ type: 'message.send', client_id: p.client_id, text: p.text }); });
      if (queuedActions.autonomy) wsSend({ type: 'autonomy.set', level: queuedActions.autonomy.level });
      if (queuedActions.handoff) wsSend({ type: 'handoff.request' });
      if (identity) wsSend({ type: 'identify', user_id: identity.user_id, user_hash: identity.user_hash, email: identity.email });
      queuedActions = {};
    } else if (polling) {
      pending.forEach(postMessage);
      if (queuedActions.autonomy) restAction('autonomy', { level: queuedActions.autonomy.level });
      if (queuedActions.handoff) restAction('handoff', {});
      if (identity) api('POST', '/api/widget/identify', identity, true).then(function (d) { identity = null; emit('identified', d); }, function (err) { if (err.code === 'identity_invalid') { identity = null; emit('error', { code: err.code }); } });
      queuedActions = {};
    }
  }

  var inflight = {};
  function postMessage(p) {
    if (inflight[p.client_id]) return;
    inflight[p.client_id] = 1;
    api('POST', '/api/widget/messages', { client_id: p.client_id, text: p.text }, true)
      .then(function (a) { delete inflight[p.client_id]; onAck(a); poll(); }, function (err) {
        delete inflight[p.client_id];
        if (err.status === 429) setTimeout(function () { postMessage(p); }, (err.retryAfter || 1) * 1000);
        else if (err.status === 400) failPending(p.client_id, err.message);
        else restError(err, true);
      });
  }

  function restAction(kind, body) {
    api('POST', '/api/widget/' + kind, body, true).then(function (d) { applyState(d.state); poll(); }, function (err) {
      if (err.status === 400) { showError('errGeneric', err.message); renderState(); } else restError(err, true);
    });
  }

  // POSTs always carry an Origin header, so their 403 means the site is refused. A same-origin GET carries
  // none, and cross-origin error answers may come without CORS headers (unreadable): after a few failures
  // restart the session instead, which renews the token (or replaces an expired one).
  function restError(err, isPost) {
    if (err.status === 401) return newSession();
    if (err.status === 403 && isPost) return setFatal('errOrigin');
    if (++pollFails >= 3 && !sessionBusy) { pollFails = 0; startSession(); }
  }

  function startPolling() {
    if (polling || fatal) return;
    polling = true;
    pollOk = false;
    setConn('polling');
    poll();
    flush();
  }
  function stopPolling() { polling = false; clearTimeout(pollTimer); }

  function poll() {
    if (!polling || pollBusy) return;
    pollBusy = true;
    clearTimeout(pollTimer);
    var delay = 2000;
    api('GET', '/api/widget/messages?after_seq=' + lastSeq, null, true).then(function (d) {
      var recovered = pollFails > 0;
      pollFails = 0;
      if (!polling) return;
      pollOk = true; renderConn();
      applyState(d.state);
      (d.messages || []).forEach(onMessage);
      pending.forEach(postMessage);
      if (recovered && !ws) connect(); // the server is back: the websocket may be too
    }, function (err) {
      delay = Math.min(10000, 2000 * Math.pow(2, pollFails));
      if (polling) { pollOk = false; renderConn(); }
      restError(err);
    }).then(function () {
      pollBusy = false;
      if (polling) pollTimer = setTimeout(poll, delay);
    });
  }

  // Actions that need a live conversation; a closed one is replaced by a new one first.
  function act(type, payload) {
    if (state && state.status === 'closed') { queue(type, payload); return restart(); }
    if (type === 'autonomy' && wsSend({ type: 'autonomy.set', level: payload.level })) return;
    if (type === 'handoff' && wsSend({ type: 'handoff.request' })) return;
    if (polling) return restAction(type, payload);
    queue(type, payload);
  }
  function queue(type, payload) { queuedActions[type] = payload; }

  function restart() {
    if (!token) return startSession();
    stopPolling();
    state = null;
    renderState();
    if (ws) { restartAfterClose = true; ws.close(1000); } else startSession();
  }

  function sendText() {
    var text = ui.composer.value.replace(/^\s+|\s+$/g, '');
    if (!text || fatal) return;
    if (searchMode()) return search(text.slice(0, SEARCH_MAX));
    ui.composer.value = '';
    autoSize(); renderCounter();
    sendMessage(text);
  }

  function sendMessage(text) {
    var p = { client_id: uuid(), text: text.slice(0, maxChars) };
    pending.push(p);
    save('pending', pending);
    addPendingItem(p);
    typingOff();
    if (state && state.status === 'closed') return restart();
    if (!wsSend({ type: 'message.send', client_id: p.client_id, text: p.text }) && polling) postMessage(p);
    if (!started) start();
  }

  // Self-service search: over the websocket, or the REST fallback when it is down. Only the latest query's
  // results are shown.
  function search(q) {
    kb.q = q; kb.busy = true;
    renderState();
    if (wsSend({ type: 'kb.search', query: q })) return;
    api('GET', '/api/widget/articles?q=' + encodeURIComponent(q), null, true).then(function (d) { onResults(d.query, d.articles); }, function (err) {
      if (kb.q === q) { kb.busy = false; kb.articles = null; renderState(); }
      showError('errGeneric', err.status === 400 ? err.message : '');
    });
  }

  function onResults(q, articles) {
    if (q !== kb.q) return;
    kb.busy = false;
    kb.articles = Array.isArray(articles) ? articles : [];
    ui.kbList.textContent = '';
    kb.articles.forEach(function (a) {
      ui.kbList.appendChild(el('li', tid('kb-article', { cls: 'card', 'data-slug': a.slug, lang: a.locale }), [
        el('h3', tid('kb-title', { text: a.title })),
        el('p', tid('kb-answer', { text: a.answer }))
      ]));
    });
    renderState();
  }

  // One click up the scale; the last search becomes the first question, so it is not typed twice. It is sent
  // only over an open websocket, which delivers it after the level change.
  function moveToAi() {
    var q = kb.q;
    act('autonomy', { level: 'ai_only' });
    kb = { q: '', articles: null, busy: false };
    ui.kbList.textContent = '';
    ui.composer.value = '';
    if (q && wsReady()) sendMessage(q); else ui.composer.value = q;
    autoSize(); renderCounter();
    ui.composer.focus();
  }

  function leaveEmail() {
    var email = ui.email.value.replace(/^\s+|\s+$/g, '');
    if (!/.@./.test(email)) return emailError('emailInvalid');
    ui.emailErr.hidden = true;
    ui.emailSend.disabled = true;
    if (wsSend({ type: 'contact.leave_email', email: email })) return;
    api('POST', '/api/widget/contact', { email: email }, true).then(function (d) { onContactSaved(d.email); }, function (err) {
      emailError(err.code === 'email_invalid' ? 'emailInvalid' : 'errGeneric');
    });
  }
  function emailError(key) {
    ui.emailSend.disabled = false;
    ui.emailErr.textContent = t(key);
    ui.emailErr.hidden = false;
    ui.email.focus();
  }
  function onContactSaved(email) {
    ui.emailSend.disabled = false;
    contact = { conv: convId, email: email };
    save('contact', contact);
    renderState();
  }

  // ---------------------------------------------------------------- pre-chat form and satisfaction
  function formError(code, message) {
    // A transcript refused after the rating was saved is told where the form was.
    var target = formBusy === 'csat' ? (ui.csat.hidden ? ui.csatDone : ui.csatErr) : ui.prechatErr;
    if (!/_invalid$|_too_long$|^prechat_|^conversation_/.test(code)) return false;
    formBusy = '';
    target.textContent = STRINGS.en[code] ? t(code) : code === 'email_invalid' ? t('emailInvalid') : /_too_long$/.test(code) ? t('tooLong') : message || t('errGeneric');
    target.hidden = false;
    ui.prechatSend.disabled = ui.csatSend.disabled = false;
    return true;
  }
  function formPost(path, body, done) {
    api('POST', path, body, true).then(done, function (err) {
      if (err.status === 400) formError(err.code, err.message); else { formBusy = ''; ui.prechatSend.disabled = ui.csatSend.disabled = false; restError(err, true); }
    });
  }

  function sendPrechat() {
    var body = {};
    (profile.prechat_fields || []).forEach(function (f) { body[f] = ui.pre[f].input.value.replace(/^\s+|\s+$/g, ''); });
    for (var f in body) {
      if (!body[f] || (f === 'email' && !/.@./.test(body[f]))) { formBusy = 'prechat'; ui.pre[f].input.focus(); return formError(f === 'email' ? 'email_invalid' : f + '_invalid'); }
    }
    ui.prechatErr.hidden = true;
    ui.prechatSend.disabled = true;
    formBusy = 'prechat';
    body.type = 'prechat';
    if (wsSend(body)) return;
    delete body.type;
    formPost('/api/widget/prechat', body, onPrechatSaved);
  }
  function onPrechatSaved(d) {
    formBusy = '';
    ui.prechatSend.disabled = false;
    profile.prechat_done = true;
    if (d && d.email) profile.email_known = true;
    renderState();
    ui.composer.focus();
  }

  function sendRating() {
    var pressed = ui.scores.querySelector('[aria-pressed=true]');
    if (!pressed) { formBusy = 'csat'; return formError('score_invalid'); }
    var rating = { score: +pressed.getAttribute('data-score'), comment: ui.csatComment.value, conversation_id: convId };
    var email = ui.csatTranscript.checked ? { email: profile.email_known ? '' : ui.csatEmail.value.replace(/^\s+|\s+$/g, ''), conversation_id: convId } : null;
    if (email && !profile.email_known && !/.@./.test(email.email)) { formBusy = 'csat'; ui.csatEmail.focus(); return formError('email_invalid'); }
    ui.csatErr.hidden = true;
    ui.csatSend.disabled = true;
    formBusy = 'csat';
    if (wsSend({ type: 'csat', score: rating.score, comment: rating.comment, conversation_id: convId })) {
      if (email) wsSend({ type: 'transcript.email', email: email.email, conversation_id: convId });
      return;
    }
    formPost('/api/widget/csat', rating, function () {
      if (email) formPost('/api/widget/transcript', email, function (d) { onTranscript(d.email); });
      onRated();
    });
  }
  function onRated() {
    formBusy = ui.csatTranscript.checked ? 'csat' : '';
    ui.csatSend.disabled = false;
    rated = { conv: convId, email: rated && rated.conv === convId ? rated.email : '' };
    save('csat', rated);
    renderState();
  }
  function onTranscript(email) {
    formBusy = '';
    rated = { conv: convId, email: email };
    save('csat', rated);
    renderState();
  }

  var typingActive = false, typingIdle = 0;
  function typingOn() {
    if (!typingActive && wsSend({ type: 'typing', active: true })) typingActive = true;
    clearTimeout(typingIdle);
    typingIdle = setTimeout(typingOff, 3000);
  }
  function typingOff() {
    clearTimeout(typingIdle);
    if (typingActive) { typingActive = false; wsSend({ type: 'typing', active: false }); }
  }

  function autoSize() {
    ui.composer.style.height = 'auto';
    ui.composer.style.height = Math.min(ui.composer.scrollHeight + 2, 140) + 'px';
  }

  // ---------------------------------------------------------------- open / close
  function start() {
    if (started) return;
    started = true;
    startSession();
  }

  function open() {
    if (isOpen) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.root.setAttribute('data-open', 'true');
    ui.launcher.setAttribute('aria-expanded', 'true');
    start();
    markSeen();
    renderUnread();
    ui.list.scrollTop = ui.list.scrollHeight;
    ui.launcherIcon.innerHTML = ICON_CLOSE; // constant markup
    ui.composer.focus();
    emit('open');
  }

  function close() {
    if (!isOpen) return;
    var hadFocus = root.activeElement && ui.panel.contains(root.activeElement);
    isOpen = false;
    ui.panel.hidden = true;
    ui.root.setAttribute('data-open', 'false');
    ui.launcher.setAttribute('aria-expanded', 'false');
    ui.launcherIcon.innerHTML = ICON_CHAT; // constant markup
    typingOff();
    renderUnread();
    if (hadFocus) ui.launcher.focus();
    emit('close');
  }

  // ---------------------------------------------------------------- events
  ui.launcher.addEventListener('click', function () { if (isOpen) close(); else open(); });
  ui.close.addEventListener('click', close);
  ui.root.addEventListener('keydown', function (e) {
    if ((e.key === 'Escape' || e.key === 'Esc') && isOpen) { e.stopPropagation(); close(); }
  });
  ui.talk.addEventListener('click', function () { act('handoff', {}); });
  ui.level.addEventListener('change', function () { act('autonomy', { level: ui.level.value }); });
  ui.newConv.addEventListener('click', function () { restart(); ui.composer.focus(); });
  ui.form.addEventListener('submit', function (e) { e.preventDefault(); sendText(); ui.composer.focus(); });
  ui.composer.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendText(); }
  });
  ui.composer.addEventListener('input', function () {
    autoSize(); renderCounter();
    if (ui.composer.value && !searchMode()) typingOn(); else typingOff();
  });
  ui.toAi.addEventListener('click', moveToAi);
  ui.toPerson.addEventListener('click', function () { act('handoff', {}); });
  ui.contact.addEventListener('submit', function (e) { e.preventDefault(); leaveEmail(); });
  ui.prechat.addEventListener('submit', function (e) { e.preventDefault(); sendPrechat(); });
  ui.csat.addEventListener('submit', function (e) { e.preventDefault(); sendRating(); });
  ui.scores.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button');
    if (!b) return;
    Array.prototype.forEach.call(ui.scores.children, function (x) { x.setAttribute('aria-pressed', String(x === b)); });
  });
  ui.csatTranscript.addEventListener('change', renderState);
  ui.endConv.addEventListener('click', function () {
    if (wsSend({ type: 'conversation.end' })) return;
    api('POST', '/api/widget/end', {}, true).then(function (d) { applyState(d.state); }, function (err) { restError(err, true); });
  });
  ui.composer.addEventListener('blur', typingOff);

  window.addEventListener('online', function () {
    renderConn();
    if (started && !wsReady()) { attempt = 0; if (token) connect(); else startSession(); }
  });
  window.addEventListener('offline', renderConn);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'visible') return;
    if (isOpen) markSeen();
    if (started && !fatal && !wsReady() && !(ws && ws.readyState === 0)) { attempt = 0; if (token) connect(); else startSession(); }
  });

  // ---------------------------------------------------------------- public API
  // window.Cxhub (documented in docs/widget.md); window.CxHub is the same object, for pages that used it before.
  var pub = window.Cxhub = window.CxHub = {
    _loaded: true,
    open: open,
    close: close,
    setLocale: function (l) { locale = pickLocale(l); renderChrome(); },
    // userHash = hex HMAC-SHA256(site identity secret, userId), computed by the site's own server; with a
    // verified email, of userId + "\n" + email (docs/crm.md): the customer is then one across channels.
    identify: function (userId, userHash, email) {
      identity = { user_id: String(userId), user_hash: String(userHash) };
      if (email) identity.email = String(email);
      if (!started) start(); else flush();
    },
    on: function (name, fn) {
      if (typeof fn === 'function') (listeners[name] = listeners[name] || []).push(fn);
      if (name === 'ready' && readyFired && typeof fn === 'function') setTimeout(function () { fn({ conversation_id: convId }); });
      return function () { listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; }); };
    }
  };
  earlyCalls.forEach(function (c) {
    if (c && typeof pub[c[0]] === 'function' && c[0] !== '_loaded') pub[c[0]].apply(pub, Array.prototype.slice.call(c, 1));
  });

  function mount() {
    document.body.appendChild(host);
    pending.forEach(addPendingItem);
    renderChrome();
    // A returning visitor reconnects at once (to get replies and the unread count);
    // a new visitor starts a conversation only when they open the chat.
    if (token || pending.length) start();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
