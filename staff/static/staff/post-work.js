/* Post-conversation work in the console's card: the steps after a close or hand-back (summary, CRM update,
   follow-up task, confirmation email) with their status, and approve / edit / retry buttons; plus what the
   built-in CRM holds on the customer. Self-contained: it listens for "cxhub:conversation" from console.js.
   Every piece of data is rendered with textContent. */
(function () {
  "use strict";

  const STRINGS = {
    en: {
      title: "After the conversation",
      closed: "After closing",
      returned: "After the hand-back",
      summary: "Summary",
      crm_update: "CRM update",
      follow_up_task: "Follow-up task",
      confirmation_email: "Confirmation email",
      preparing: "Being prepared",
      awaiting_approval: "Awaiting your approval",
      pending: "Queued",
      running: "Running",
      retrying: "Failed, will retry",
      done: "Done",
      skipped: "Not needed",
      failed: "Failed",
      attempts: "Attempts: {n}",
      approve: "Approve",
      approveEdited: "Approve with my text",
      retry: "Try again",
      approvedBy: "Approved by {name}",
      error: "Could not do that: {message}",
      crm: "CRM",
      company: "Company: {name}",
      tasks: "Tasks",
      activities: "Activities",
      none: "Nothing yet",
      to: "To: {to}",
    },
    fr: {
      title: "Après la conversation",
      closed: "Après la fermeture",
      returned: "Après le retour à l’IA",
      summary: "Résumé",
      crm_update: "Mise à jour du CRM",
      follow_up_task: "Tâche de suivi",
      confirmation_email: "E-mail de confirmation",
      preparing: "En préparation",
      awaiting_approval: "En attente de votre validation",
      pending: "En file",
      running: "En cours",
      retrying: "Échec, nouvel essai prévu",
      done: "Fait",
      skipped: "Inutile",
      failed: "Échec",
      attempts: "Essais : {n}",
      approve: "Valider",
      approveEdited: "Valider avec mon texte",
      retry: "Réessayer",
      approvedBy: "Validé par {name}",
      error: "Impossible : {message}",
      crm: "CRM",
      company: "Société : {name}",
      tasks: "Tâches",
      activities: "Activités",
      none: "Rien pour l’instant",
      to: "À : {to}",
    },
  };
  const LANG = (document.documentElement.lang || "en").toLowerCase().slice(0, 2) === "fr" ? "fr" : "en";
  const API = "/api/staff/";
  const UNFINISHED = new Set(["preparing", "pending", "running", "retrying"]);
  const POLL_MS = 5000;
  let current = null;
  let timer = null;

  function t(key, values) {
    let text = (STRINGS[LANG][key] !== undefined ? STRINGS[LANG][key] : STRINGS.en[key]) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("{" + name + "}", function () { return String(values[name]); });
    });
    return text;
  }

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function request(method, path, body) {
    return fetch(API + path, {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.message || String(response.status));
        return data;
      });
    });
  }

  function section() {
    return document.getElementById("post-work");
  }

  function schedule(unfinished) {
    if (timer) clearTimeout(timer);
    timer = unfinished ? setTimeout(function () { load(current); }, POLL_MS) : null;
  }

  function load(id) {
    if (id === null || id === undefined) return;
    request("GET", "conversations/" + encodeURIComponent(id) + "/post-work").then(function (data) {
      if (id !== current) return;
      render(data);
      if (data.customer_id) loadCrm(id, data.customer_id);
    }, function () {
      if (id === current) hide();
    });
  }

  function loadCrm(id, customerId) {
    request("GET", "customers/" + encodeURIComponent(customerId) + "/crm").then(function (data) {
      if (id === current) renderCrm(data);
    }, function () {});
  }

  function hide() {
    const root = section();
    if (!root) return;
    root.hidden = true;
    root.replaceChildren();
    schedule(false);
  }

  function act(path, body, status) {
    request("POST", path, body).then(function () { load(current); }, function (error) {
      status.textContent = t("error", { message: error.message });
    });
  }

  function renderStep(step) {
    const item = node("li", "post-work__step");
    item.dataset.step = step.name;
    item.dataset.status = step.status;
    item.setAttribute("data-testid", "post-work-step");
    const head = node("div", "post-work__head");
    head.appendChild(node("strong", "post-work__name", t(step.name)));
    head.appendChild(document.createTextNode(" — "));
    head.appendChild(node("span", "post-work__status", t(step.status)));
    item.appendChild(head);
    if (step.attempts > 0) item.appendChild(node("p", "card-note", t("attempts", { n: step.attempts })));
    if (step.last_error && (step.status === "failed" || step.status === "retrying")) item.appendChild(node("p", "card-note post-work__error", step.last_error));
    if (step.approved_by) item.appendChild(node("p", "card-note", t("approvedBy", { name: step.approved_by })));
    const status = node("p", "card-note post-work__message");
    status.setAttribute("role", "status");

    if (step.awaiting_approval) {
      const draft = step.draft || {};
      let editor = null;
      if (step.name === "confirmation_email" && draft.to) item.appendChild(node("p", "card-note", t("to", { to: draft.to })));
      if (step.editable) {
        editor = node("textarea", "post-work__text");
        editor.rows = step.name === "summary" ? 3 : 8;
        editor.value = step.name === "summary" ? draft.text || "" : draft.body || "";
        editor.setAttribute("aria-label", t(step.name));
        item.appendChild(editor);
      } else if (draft.subject || draft.title) {
        item.appendChild(node("p", "card-text", draft.subject || draft.title));
      }
      const original = editor ? editor.value : null;
      const approve = node("button", "btn btn--sm", t("approve"));
      approve.type = "button";
      approve.setAttribute("data-testid", "post-work-approve");
      approve.addEventListener("click", function () {
        const body = editor && editor.value !== original ? { text: editor.value } : {};
        act("post-work/" + step.id + "/approve", body, status);
      });
      if (editor) {
        editor.addEventListener("input", function () {
          approve.textContent = editor.value !== original ? t("approveEdited") : t("approve");
        });
      }
      item.appendChild(approve);
    }
    if (step.retryable) {
      const retry = node("button", "btn btn--sm", t("retry"));
      retry.type = "button";
      retry.setAttribute("data-testid", "post-work-retry");
      retry.addEventListener("click", function () { act("post-work/" + step.id + "/retry", {}, status); });
      item.appendChild(retry);
    }
    item.appendChild(status);
    return item;
  }

  function render(data) {
    const root = section();
    if (!root) return;
    const runs = data.post_work || [];
    root.replaceChildren();
    if (!runs.length) {
      hide();
      return;
    }
    root.appendChild(node("h3", "card-section__title", t("title")));
    let unfinished = false;
    runs.slice(0, 3).forEach(function (run) {
      const block = node("div", "post-work__run");
      block.appendChild(node("p", "card-note", t(run.trigger.indexOf("returned") === 0 ? "returned" : "closed")));
      const list = node("ul", "post-work__steps");
      run.steps.forEach(function (step) {
        if (UNFINISHED.has(step.status)) unfinished = true;
        list.appendChild(renderStep(step));
      });
      block.appendChild(list);
      root.appendChild(block);
    });
    const crm = node("div", "post-work__crm");
    crm.id = "post-work-crm";
    root.appendChild(crm);
    root.hidden = false;
    schedule(unfinished);
  }

  function renderCrm(data) {
    const root = document.getElementById("post-work-crm");
    if (!root) return;
    root.replaceChildren(node("h3", "card-section__title", t("crm")));
    if (data.contact && data.contact.company) {
      root.appendChild(node("p", "card-note", t("company", { name: data.contact.company.name })));
    }
    root.appendChild(node("p", "card-note", t("tasks")));
    const tasks = node("ul", "post-work__tasks");
    (data.tasks || []).forEach(function (task) {
      tasks.appendChild(node("li", task.done ? "is-done" : "", task.title));
    });
    if (!tasks.children.length) tasks.appendChild(node("li", "card-note", t("none")));
    root.appendChild(tasks);
    root.appendChild(node("p", "card-note", t("activities")));
    const activities = node("ul", "post-work__activities");
    (data.activities || []).slice(0, 5).forEach(function (activity) {
      activities.appendChild(node("li", "", activity.subject));
    });
    if (!activities.children.length) activities.appendChild(node("li", "card-note", t("none")));
    root.appendChild(activities);
  }

  document.addEventListener("cxhub:conversation", function (event) {
    current = event.detail ? event.detail.id : null;
    hide();
    if (current !== null && current !== undefined) load(current);
  });
})();
