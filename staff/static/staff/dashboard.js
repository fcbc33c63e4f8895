/* cxhub supervisor dashboard: fetches /api/staff/metrics and draws it with the vendored Chart.js.
 *
 * Plain JS, no build step. Data reaches the page through textContent only; every chart has a table
 * with the same numbers under "Show as table".
 */
(function () {
  "use strict";

  const STRINGS = {
    en: {
      pageTitle: "Dashboard · cxhub",
      dashboard: "Supervisor dashboard",
      backToConsole: "← Agent console",
      logout: "Log out",
      period: "Period",
      last7: "Last 7 days",
      last30: "Last 30 days",
      last90: "Last 90 days",
      custom: "Custom range",
      from: "From",
      to: "To",
      site: "Site",
      team: "Team",
      allSites: "All sites",
      allTeams: "All teams",
      apply: "Show",
      downloadCsv: "Download CSV",
      keyFigures: "Key figures",
      loading: "Loading figures…",
      loaded: "Figures updated.",
      failed: "The figures could not be loaded: {message}",
      forbidden: "The dashboard is for supervisors.",
      networkError: "the server could not be reached.",
      scope: "{from} – {to} · {days} days",
      kpiConversations: "Conversations started",
      kpiContainment: "AI containment",
      kpiEscalation: "Escalation rate",
      kpiTimeToPerson: "Time to a person",
      kpiResolution: "Escalations resolved",
      kpiHandoffQuality: "Handoff quality",
      kpiAcceptance: "AI suggestions used",
      kpiEdit: "Suggestions edited first",
      kpiDrafts: "AI drafts approved",
      kpiFlagged: "AI answers flagged wrong",
      kpiLevelChanges: "Customers who changed level",
      helpContainment: "Closed without a person writing or taking over.",
      helpPercentile: "Median; p90 by nearest rank.",
      nOfM: "{n} of {m}",
      detailConversations: "in {days} days",
      detailContainment: "{n} of {m} closed conversations",
      detailEscalation: "{n} of {m} conversations",
      detailTimeToPerson: "p90 {p90} · {n} of {m} requests answered",
      detailResolution: "{n} of {m} escalated and closed",
      detailHandoffQuality: "out of 5 · {n} ratings",
      detailAcceptance: "{n} of {m} suggestions (as is or edited)",
      detailEdit: "{n} of {m} used suggestions",
      detailDrafts: "{n} of {m} reviewed drafts",
      detailFlagged: "{n} of {m} AI answers",
      detailLevelChanges: "{n} of {m} · {up} towards a person, {down} towards the AI",
      chartDaily: "Per day",
      chartChannels: "Conversations by channel and level",
      chartReasons: "Why conversations went to a person",
      chartCsat: "Customer satisfaction by who answered",
      chartRatings: "Handoff ratings by agents",
      chartLevels: "Level changes by customers",
      showTable: "Show as table",
      noData: "Nothing in this period.",
      scopeNote:
        "Every figure is about the conversations started in the period, whenever their events happened. “—” means there is nothing to count yet.",
      seriesConversations: "Conversations started",
      seriesEscalated: "Escalated",
      seriesContained: "Closed without a person",
      colDate: "Day",
      colClosed: "Closed",
      colContainment: "Containment",
      colChannel: "Channel",
      colTotal: "Total",
      colReason: "Reason",
      colEscalations: "Escalations",
      colShare: "Share",
      colSignal: "Signal present",
      colWho: "Who answered",
      colRatings: "Ratings",
      colMean: "Mean (1–5)",
      colSatisfied: "Satisfied (4–5)",
      colScore: "Score",
      colCount: "Count",
      colFrom: "From",
      colTo: "To",
      colDirection: "Direction",
      colChanges: "Changes",
      meanScore: "Mean score",
      mean: "Mean",
      up: "Towards a person",
      down: "Towards the AI",
      seconds: "{n} s",
      minutes: "{n} min",
      hours: "{h} h {m} min",
      channel_widget: "Website",
      channel_email: "Email",
      channel_sms: "SMS",
      channel_api: "API",
      channel_whatsapp: "WhatsApp",
      level_self_service: "Find it myself",
      level_ai_only: "Chat with AI",
      level_ai_with_approval: "AI, checked by a person",
      level_human_with_ai: "A person, helped by AI",
      level_human_only: "Only a person",
      handled_ai: "AI only",
      handled_human: "A person only",
      handled_both: "AI and a person",
      reason_customer_choice: "Customer chose a person",
      signal_explicit_request: "Asked for a person",
      signal_repeated_person_requests: "Asked for a person several times",
      signal_low_confidence_streak: "The AI was not sure twice in a row",
      signal_frustration: "Frustration",
      signal_bereavement: "Bereavement",
      signal_complaint_dispute: "Complaint or dispute",
      signal_legal_threat: "Legal threat",
      signal_large_purchase: "Large purchase",
      signal_account_security: "Account security",
      signal_vulnerability: "May be vulnerable",
      signal_draft_rejected: "AI draft rejected",
      signal_draft_expired: "AI draft not reviewed in time",
    },
    fr: {
      pageTitle: "Tableau de bord · cxhub",
      dashboard: "Tableau de bord superviseur",
      backToConsole: "← Console agent",
      logout: "Se déconnecter",
      period: "Période",
      last7: "7 derniers jours",
      last30: "30 derniers jours",
      last90: "90 derniers jours",
      custom: "Dates au choix",
      from: "Du",
      to: "Au",
      site: "Site",
      team: "Équipe",
      allSites: "Tous les sites",
      allTeams: "Toutes les équipes",
      apply: "Afficher",
      downloadCsv: "Télécharger le CSV",
      keyFigures: "Chiffres clés",
      loading: "Chargement des chiffres…",
      loaded: "Chiffres à jour.",
      failed: "Impossible de charger les chiffres : {message}",
      forbidden: "Le tableau de bord est réservé aux superviseurs.",
      networkError: "le serveur est injoignable.",
      scope: "{from} – {to} · {days} jours",
      kpiConversations: "Conversations ouvertes",
      kpiContainment: "Résolues par l’IA",
      kpiEscalation: "Taux d’escalade",
      kpiTimeToPerson: "Délai avant une personne",
      kpiResolution: "Escalades résolues",
      kpiHandoffQuality: "Qualité des transferts",
      kpiAcceptance: "Suggestions IA utilisées",
      kpiEdit: "Suggestions modifiées avant envoi",
      kpiDrafts: "Brouillons IA approuvés",
      kpiFlagged: "Réponses IA signalées fausses",
      kpiLevelChanges: "Clients ayant changé de niveau",
      helpContainment: "Fermées sans qu’une personne écrive ou reprenne la main.",
      helpPercentile: "Médiane ; p90 au rang le plus proche.",
      nOfM: "{n} sur {m}",
      detailConversations: "en {days} jours",
      detailContainment: "{n} sur {m} conversations fermées",
      detailEscalation: "{n} sur {m} conversations",
      detailTimeToPerson: "p90 {p90} · {n} demandes prises sur {m}",
      detailResolution: "{n} sur {m} escaladées et fermées",
      detailHandoffQuality: "sur 5 · {n} notes",
      detailAcceptance: "{n} sur {m} suggestions (telles quelles ou modifiées)",
      detailEdit: "{n} sur {m} suggestions utilisées",
      detailDrafts: "{n} sur {m} brouillons relus",
      detailFlagged: "{n} sur {m} réponses de l’IA",
      detailLevelChanges: "{n} sur {m} · {up} vers une personne, {down} vers l’IA",
      chartDaily: "Par jour",
      chartChannels: "Conversations par canal et niveau",
      chartReasons: "Pourquoi les conversations sont passées à une personne",
      chartCsat: "Satisfaction client selon qui a répondu",
      chartRatings: "Notes des transferts par les agents",
      chartLevels: "Changements de niveau par les clients",
      showTable: "Afficher le tableau",
      noData: "Rien sur cette période.",
      scopeNote:
        "Chaque chiffre porte sur les conversations ouvertes pendant la période, quelle que soit la date de leurs événements. « — » signifie qu’il n’y a encore rien à compter.",
      seriesConversations: "Conversations ouvertes",
      seriesEscalated: "Escaladées",
      seriesContained: "Fermées sans personne",
      colDate: "Jour",
      colClosed: "Fermées",
      colContainment: "Résolues par l’IA",
      colChannel: "Canal",
      colTotal: "Total",
      colReason: "Motif",
      colEscalations: "Escalades",
      colShare: "Part",
      colSignal: "Signal présent",
      colWho: "Qui a répondu",
      colRatings: "Notes",
      colMean: "Moyenne (1–5)",
      colSatisfied: "Satisfaits (4–5)",
      colScore: "Note",
      colCount: "Nombre",
      colFrom: "De",
      colTo: "Vers",
      colDirection: "Sens",
      colChanges: "Changements",
      meanScore: "Note moyenne",
      mean: "Moyenne",
      up: "Vers une personne",
      down: "Vers l’IA",
      seconds: "{n} s",
      minutes: "{n} min",
      hours: "{h} h {m} min",
      channel_widget: "Site web",
      channel_email: "E-mail",
      channel_sms: "SMS",
      channel_api: "API",
      channel_whatsapp: "WhatsApp",
      level_self_service: "Je cherche moi-même",
      level_ai_only: "Discuter avec l’IA",
      level_ai_with_approval: "IA, vérifiée par une personne",
      level_human_with_ai: "Une personne, aidée par l’IA",
      level_human_only: "Uniquement une personne",
      handled_ai: "IA seule",
      handled_human: "Une personne seule",
      handled_both: "IA et une personne",
      reason_customer_choice: "Le client a choisi une personne",
      signal_explicit_request: "A demandé une personne",
      signal_repeated_person_requests: "A demandé une personne plusieurs fois",
      signal_low_confidence_streak: "L’IA n’était pas sûre deux fois de suite",
      signal_frustration: "Agacement",
      signal_bereavement: "Deuil",
      signal_complaint_dispute: "Réclamation ou litige",
      signal_legal_threat: "Menace juridique",
      signal_large_purchase: "Achat important",
      signal_account_security: "Sécurité du compte",
      signal_vulnerability: "Peut-être vulnérable",
      signal_draft_rejected: "Brouillon IA refusé",
      signal_draft_expired: "Brouillon IA non relu à temps",
    },
  };

  const LANG = (document.documentElement.lang || "en").toLowerCase().slice(0, 2);
  const DICT = Object.assign({}, STRINGS.en, STRINGS[LANG] || {});
  const LOCALE = STRINGS[LANG] ? document.documentElement.lang || "en" : "en";
  const EMPTY = "—";

  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(DICT, key) ? DICT[key] : key;
    if (values) {
      Object.keys(values).forEach((name) => {
        text = text.split(`{${name}}`).join(String(values[name]));
      });
    }
    return text;
  }

  function tOr(key, fallback) {
    return Object.prototype.hasOwnProperty.call(DICT, key) ? DICT[key] : fallback;
  }

  const root = document.getElementById("dashboard");
  const $ = (selector, scope) => (scope || document).querySelector(selector);
  const number = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 });
  const day = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", timeZone: "UTC" });
  const fullDay = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const LEVELS = ["self_service", "ai_only", "ai_with_approval", "human_with_ai", "human_only"];
  const LEVEL_COLORS = ["#94a3b8", "#7c3aed", "#a78bfa", "#0ea5e9", "#047857"];
  const COLORS = { conversations: "#4f46e5", escalated: "#d97706", contained: "#059669", up: "#0ea5e9", down: "#7c3aed" };

  const pct = (rate) => (rate === null || rate === undefined ? EMPTY : percent.format(rate));
  const num = (value) => (value === null || value === undefined ? EMPTY : number.format(value));
  const dateLabel = (iso) => day.format(new Date(`${iso}T00:00:00Z`));
  const channelName = (code) => tOr(`channel_${code}`, code);
  const levelName = (code) => tOr(`level_${code}`, code);
  const reasonName = (row) =>
    row.code === "customer_choice" ? t("reason_customer_choice") : row.code ? tOr(`signal_${row.code}`, row.code) : row.label;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return EMPTY;
    if (seconds < 60) return t("seconds", { n: number.format(Math.round(seconds)) });
    if (seconds < 3600) return t("minutes", { n: number.format(Math.round(seconds / 6) / 10) });
    const minutes = Math.round(seconds / 60);
    return t("hours", { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  function translatePage() {
    document.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-aria-label]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    });
    document.title = t("pageTitle");
  }

  // --- Filters ------------------------------------------------------------------------------------------------

  const form = $("#filters");
  const fields = { period: $("#period"), from: $("#from"), to: $("#to"), site: $("#site"), team: $("#team") };

  function isoDay(date) {
    return date.toISOString().slice(0, 10); // figures are per UTC day, like the server's
  }

  function presetRange(days) {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    return { from: isoDay(from), to: isoDay(to) };
  }

  function currentQuery() {
    const preset = fields.period.value;
    const range = preset === "custom" ? { from: fields.from.value, to: fields.to.value } : presetRange(Number(preset));
    const query = new URLSearchParams();
    if (range.from) query.set("from", range.from);
    if (range.to) query.set("to", range.to);
    if (fields.site.value) query.set("site", fields.site.value);
    if (fields.team.value) query.set("team", fields.team.value);
    return query;
  }

  function restoreFilters() {
    const params = new URLSearchParams(window.location.search);
    if (params.get("from") || params.get("to")) {
      fields.period.value = "custom";
      fields.from.value = params.get("from") || "";
      fields.to.value = params.get("to") || "";
    } else if (["7", "30", "90"].includes(params.get("period"))) {
      fields.period.value = params.get("period");
    }
    if (params.get("site")) fields.site.value = params.get("site");
    if (params.get("team")) fields.team.value = params.get("team");
    syncCustom();
  }

  function syncCustom() {
    const custom = fields.period.value === "custom";
    $("#custom-range").hidden = !custom;
    if (custom && !fields.from.value) {
      const range = presetRange(30);
      fields.from.value = range.from;
      fields.to.value = range.to;
    }
  }

  function pageQuery(query) {
    const shown = new URLSearchParams(query);
    if (fields.period.value !== "custom") {
      shown.delete("from");
      shown.delete("to");
      shown.set("period", fields.period.value);
    }
    return shown;
  }

  // --- Loading ------------------------------------------------------------------------------------------------

  let generation = 0;

  async function load() {
    const query = currentQuery();
    const mine = ++generation;
    root.dataset.state = "loading";
    $("#status").textContent = t("loading");
    $("#csv-link").setAttribute("href", `${root.dataset.csvUrl}?${query}`);
    window.history.replaceState(null, "", `?${pageQuery(query)}`);
    let response;
    let body;
    try {
      response = await fetch(`${root.dataset.metricsUrl}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      body = await response.json();
    } catch (error) {
      if (mine === generation) fail(t("networkError"));
      return;
    }
    if (mine !== generation) return; // a newer request was made meanwhile
    if (!response.ok) {
      fail(response.status === 403 ? t("forbidden") : body.message || String(response.status));
      return;
    }
    render(body);
    root.dataset.state = "ready";
    $("#status").textContent = t("loaded");
  }

  function fail(message) {
    root.dataset.state = "error";
    $("#status").textContent = t("failed", { message });
  }

  // --- Key figures --------------------------------------------------------------------------------------------

  function kpi(name, value, detail) {
    const card = $(`[data-kpi="${name}"]`);
    $(".kpi__value", card).textContent = value;
    $(".kpi__detail", card).textContent = detail;
  }

  function renderKpis(m) {
    const n = (fig) => num(fig.numerator);
    const d = (fig) => num(fig.denominator);
    kpi("conversations", num(m.conversations.total), t("detailConversations", { days: m.period.days }));
    kpi("containment", pct(m.containment.rate), t("detailContainment", { n: n(m.containment), m: d(m.containment) }));
    kpi("escalation", pct(m.escalation.rate), t("detailEscalation", { n: n(m.escalation), m: d(m.escalation) }));
    const waits = m.time_to_person;
    kpi(
      "time_to_person",
      duration(waits.median_seconds),
      t("detailTimeToPerson", { p90: duration(waits.p90_seconds), n: num(waits.count), m: num(waits.requested) })
    );
    const resolution = m.escalation_resolution;
    kpi("escalation_resolution", pct(resolution.rate), t("detailResolution", { n: n(resolution), m: d(resolution) }));
    kpi("handoff_quality", num(m.handoff_quality.mean), t("detailHandoffQuality", { n: num(m.handoff_quality.count) }));
    const s = m.suggestions;
    kpi("acceptance", pct(s.acceptance.rate), t("detailAcceptance", { n: n(s.acceptance), m: d(s.acceptance) }));
    kpi("edit", pct(s.edit.rate), t("detailEdit", { n: n(s.edit), m: d(s.edit) }));
    kpi("drafts", pct(m.drafts.approval.rate), t("detailDrafts", { n: n(m.drafts.approval), m: d(m.drafts.approval) }));
    kpi("flagged", pct(m.flagged_answers.rate), t("detailFlagged", { n: n(m.flagged_answers), m: d(m.flagged_answers) }));
    const levels = m.level_changes;
    kpi(
      "level_changes",
      pct(levels.rate),
      t("detailLevelChanges", { n: n(levels), m: d(levels), up: num(levels.up), down: num(levels.down) })
    );
  }

  // --- Tables -------------------------------------------------------------------------------------------------

  function cell(tag, text, scope) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (scope) node.setAttribute("scope", scope);
    return node;
  }

  function fillTable(table, caption, head, rows) {
    table.replaceChildren();
    table.append(cell("caption", caption));
    const thead = document.createElement("thead");
    const headRow = document.createElement("tr");
    head.forEach((title) => headRow.append(cell("th", title, "col")));
    thead.append(headRow);
    const tbody = document.createElement("tbody");
    rows.forEach((values) => {
      const tr = document.createElement("tr");
      values.forEach((value, index) => tr.append(index === 0 ? cell("th", value, "row") : cell("td", value)));
      tbody.append(tr);
    });
    table.append(thead, tbody);
  }

  function tableFor(name) {
    return $(`[data-testid="table-${name}"]`);
  }

  function extraTable(name) {
    const details = tableFor(name).parentElement;
    let extra = $(`[data-testid="table-${name}-more"]`, details);
    if (!extra) {
      extra = document.createElement("table");
      extra.dataset.testid = `table-${name}-more`;
      details.append(extra);
    }
    return extra;
  }

  // --- Charts -------------------------------------------------------------------------------------------------

  const charts = {};

  function draw(name, config, hasData) {
    const canvas = $(`#chart-${name}`);
    const panel = canvas.closest(".panel");
    panel.classList.toggle("is-empty", !hasData);
    let empty = $(".panel__empty", panel);
    if (!empty) {
      empty = document.createElement("p");
      empty.className = "panel__empty";
      canvas.parentElement.append(empty);
    }
    empty.textContent = hasData ? "" : t("noData");
    if (charts[name]) charts[name].destroy();
    config.options = Object.assign(
      {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 250 },
        plugins: { legend: { position: "bottom" } },
      },
      config.options || {}
    );
    charts[name] = new window.Chart(canvas, config);
  }

  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
  const series = (label, data, color) => ({ label, data, borderColor: color, backgroundColor: color });

  function renderDaily(m) {
    const rows = m.daily;
    draw(
      "daily",
      {
        type: "line",
        data: {
          labels: rows.map((r) => dateLabel(r.date)),
          datasets: [
            series(t("seriesConversations"), rows.map((r) => r.conversations), COLORS.conversations),
            series(t("seriesEscalated"), rows.map((r) => r.escalated), COLORS.escalated),
            series(t("seriesContained"), rows.map((r) => r.contained), COLORS.contained),
          ],
        },
        options: { scales: { y: countAxis }, elements: { line: { tension: 0.25 }, point: { radius: rows.length > 45 ? 0 : 3 } } },
      },
      rows.some((r) => r.conversations > 0)
    );
    fillTable(
      tableFor("daily"),
      t("chartDaily"),
      [t("colDate"), t("seriesConversations"), t("seriesEscalated"), t("colClosed"), t("seriesContained"), t("colContainment")],
      rows.map((r) => [
        fullDay.format(new Date(`${r.date}T00:00:00Z`)),
        num(r.conversations),
        num(r.escalated),
        num(r.closed),
        num(r.contained),
        r.closed ? pct(r.contained / r.closed) : EMPTY,
      ])
    );
  }

  function renderChannels(m) {
    const used = m.conversations.by_channel.filter((row) => row.count > 0);
    const shown = used.length ? used : m.conversations.by_channel;
    draw(
      "channels",
      {
        type: "bar",
        data: {
          labels: shown.map((row) => channelName(row.channel)),
          datasets: LEVELS.map((level, index) => ({
            label: levelName(level),
            data: shown.map((row) => row.levels[level] || 0),
            backgroundColor: LEVEL_COLORS[index],
          })),
        },
        options: { scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, countAxis) } },
      },
      used.length > 0
    );
    fillTable(
      tableFor("channels"),
      t("chartChannels"),
      [t("colChannel")].concat(LEVELS.map(levelName), [t("colTotal")]),
      m.conversations.by_channel
        .map((row) => [channelName(row.channel)].concat(LEVELS.map((level) => num(row.levels[level] || 0)), [num(row.count)]))
        .concat([[t("colTotal")].concat(m.conversations.by_level.map((row) => num(row.count)), [num(m.conversations.total)])])
    );
  }

  function renderReasons(m) {
    const escalation = m.escalation;
    const total = escalation.escalations;
    draw(
      "reasons",
      {
        type: "bar",
        data: {
          labels: escalation.reasons.map(reasonName),
          datasets: [{ label: t("colEscalations"), data: escalation.reasons.map((r) => r.count), backgroundColor: COLORS.escalated }],
        },
        options: { indexAxis: "y", scales: { x: countAxis }, plugins: { legend: { display: false } } },
      },
      escalation.reasons.length > 0
    );
    fillTable(
      tableFor("reasons"),
      t("chartReasons"),
      [t("colReason"), t("colEscalations"), t("colShare")],
      escalation.reasons.map((r) => [reasonName(r), t("nOfM", { n: num(r.count), m: num(total) }), pct(total ? r.count / total : null)])
    );
    fillTable(
      extraTable("reasons"),
      t("colSignal"),
      [t("colSignal"), t("colEscalations")],
      escalation.signals.map((s) => [tOr(`signal_${s.code}`, s.code), t("nOfM", { n: num(s.count), m: num(total) })])
    );
  }

  function renderCsat(m) {
    draw(
      "csat",
      {
        type: "bar",
        data: {
          labels: m.csat.map((row) => t(`handled_${row.handled_by}`)),
          datasets: [{ label: t("meanScore"), data: m.csat.map((row) => row.mean), backgroundColor: [COLORS.down, COLORS.contained, COLORS.up] }],
        },
        options: { scales: { y: { beginAtZero: true, max: 5 } }, plugins: { legend: { display: false } } },
      },
      m.csat.some((row) => row.count > 0)
    );
    fillTable(
      tableFor("csat"),
      t("chartCsat"),
      [t("colWho"), t("colRatings"), t("colMean"), t("colSatisfied")],
      m.csat.map((row) => [
        t(`handled_${row.handled_by}`),
        num(row.count),
        num(row.mean),
        `${pct(row.satisfied.rate)} (${t("nOfM", { n: num(row.satisfied.numerator), m: num(row.satisfied.denominator) })})`,
      ])
    );
  }

  function renderRatings(m) {
    const quality = m.handoff_quality;
    const scores = ["1", "2", "3", "4", "5"];
    draw(
      "ratings",
      {
        type: "bar",
        data: {
          labels: scores,
          datasets: [{ label: t("colCount"), data: scores.map((s) => quality.distribution[s] || 0), backgroundColor: COLORS.conversations }],
        },
        options: { scales: { y: countAxis }, plugins: { legend: { display: false } } },
      },
      quality.count > 0
    );
    fillTable(
      tableFor("ratings"),
      t("chartRatings"),
      [t("colScore"), t("colCount")],
      scores.map((s) => [s, t("nOfM", { n: num(quality.distribution[s] || 0), m: num(quality.count) })]).concat([[t("mean"), num(quality.mean)]])
    );
  }

  function renderLevels(m) {
    const levels = m.level_changes;
    draw(
      "levels",
      {
        type: "bar",
        data: {
          labels: [t("up"), t("down")],
          datasets: [{ label: t("colChanges"), data: [levels.up, levels.down], backgroundColor: [COLORS.up, COLORS.down] }],
        },
        options: { scales: { y: countAxis }, plugins: { legend: { display: false } } },
      },
      levels.changes > 0
    );
    fillTable(
      tableFor("levels"),
      t("chartLevels"),
      [t("colDirection"), t("colChanges")],
      [
        [t("up"), t("nOfM", { n: num(levels.up), m: num(levels.changes) })],
        [t("down"), t("nOfM", { n: num(levels.down), m: num(levels.changes) })],
      ]
    );
    fillTable(
      extraTable("levels"),
      t("chartLevels"),
      [t("colFrom"), t("colTo"), t("colChanges")],
      levels.pairs.map((p) => [levelName(p.from), levelName(p.to), num(p.count)])
    );
  }

  function render(m) {
    const period = m.period;
    $("#scope").textContent = t("scope", {
      from: fullDay.format(new Date(`${period.from}T00:00:00Z`)),
      to: fullDay.format(new Date(`${period.to}T00:00:00Z`)),
      days: period.days,
    });
    renderKpis(m);
    renderDaily(m);
    renderChannels(m);
    renderReasons(m);
    renderCsat(m);
    renderRatings(m);
    renderLevels(m);
  }

  // --- Start --------------------------------------------------------------------------------------------------

  translatePage();
  if (window.Chart) {
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#3d4350";
  }
  restoreFilters();
  fields.period.addEventListener("change", () => {
    syncCustom();
    if (fields.period.value !== "custom") load();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  load();
})();
