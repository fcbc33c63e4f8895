/* cxhub agent console: live inbox, transcript, handoff card and agent actions over /ws/staff/.
 *
 * Plain JS, no build step. Every piece of server data reaches the page through textContent or
 * attributes set with setAttribute/dataset, never through innerHTML.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // Strings: every word the console shows. Add a language by adding a key next to "en".
  // ---------------------------------------------------------------------------------------------
  const STRINGS = {
    en: {
      appName: "cxhub",
      agentConsole: "Agent console",
      logout: "Log out",
      inbox: "Inbox",
      actions: "Conversation actions",
      transcript: "Transcript",
      handoffCard: "Handoff summary",
      connConnecting: "Connecting…",
      connOpen: "Live",
      connReconnecting: "Reconnecting…",
      connReconnectingIn: "Connection lost. Retrying in {seconds} s…",
      sectionQueue: "Waiting for a person",
      sectionAi: "With the AI",
      sectionMine: "Mine",
      sectionOthers: "Others",
      emptyQueue: "No one is waiting.",
      emptyAi: "The AI is not chatting with anyone.",
      emptyMine: "You have no open conversations.",
      emptyOthers: "No conversations with other agents.",
      waitingFor: "waiting {time}",
      newInQueue: "New",
      unread: "New activity",
      pickTitle: "No conversation selected",
      pickText: "Pick a conversation in the inbox. People waiting for a person are listed first, oldest first.",
      loading: "Loading conversation…",
      conversationNumber: "Conversation #{id}",
      ownerAi: "With the AI",
      ownerQueue: "Waiting for a person",
      ownerAgent: "With {name}",
      ownerAgentUnknown: "With an agent",
      ownerUnknown: "Status unknown",
      youBadge: "You",
      closed: "Closed",
      takeOver: "Take over",
      takingOver: "Taking over…",
      handBack: "Hand back to AI",
      handingBack: "Handing back…",
      handBackNote: "Note for the AI (optional)",
      handBackNoteLabel: "Note for the AI (optional)",
      close: "Close",
      closing: "Closing…",
      send: "Send",
      replyLabel: "Reply",
      replyPlaceholder: "Write a reply… (Enter to send, Shift+Enter for a new line)",
      replyTakeOverFirst: "Take over the conversation to reply.",
      replyQueue: "The customer is waiting for a person. Take over to reply.",
      replyAi: "The AI assistant is answering. Take over to reply.",
      replyOther: "{name} is handling this conversation.",
      replyClosed: "This conversation is closed.",
      replyOffline: "Reconnecting… you can reply once the connection is back.",
      replyHint: "Enter to send · Shift+Enter for a new line",
      humanOnlyHint: "The customer asked for a person only: the AI cannot take this back.",
      jumpLatest: "New messages ↓",
      customerTyping: "The customer is typing…",
      authorCustomer: "Customer",
      authorAi: "AI assistant",
      authorAgent: "Agent",
      authorSystem: "Notice",
      aiBadge: "AI",
      provenance_ai_approved: "AI draft approved by a person",
      provenance_human_ai_assisted: "Written with AI assistance",
      sources: "Sources",
      sending: "Sending…",
      readByCustomer: "Read by the customer",
      notSent: "Not sent.",
      retry: "Retry",
      today: "Today",
      yesterday: "Yesterday",
      justNow: "now",
      minutesShort: "{n} min",
      hoursShort: "{n} h",
      cardEmpty: "The handoff summary of the selected conversation appears here.",
      cardNoReason: "Not escalated: the AI is handling this conversation.",
      cardSummary: "Summary",
      cardNoSummary: "The customer has not written anything yet.",
      cardTried: "What the AI already tried",
      cardNothingTried: "The AI has not answered from an article yet.",
      cardAbstentions: "The AI held back {n} time(s) because it was not sure.",
      cardAutonomy: "Autonomy chosen by the customer",
      cardCustomer: "Customer",
      cardPrevious: "Previous conversations",
      cardNoPrevious: "First conversation with this customer.",
      confidence: "confidence {value}",
      factName: "Name",
      factEmail: "Email",
      factIdentity: "Identity",
      factLocale: "Language",
      noEmail: "not given",
      identified: "Identified",
      anonymous: "Anonymous",
      status_open: "Open",
      status_closed: "Closed",
      channel_widget: "Website",
      channel_email: "Email",
      channel_sms: "SMS",
      channel_api: "API",
      level_self_service: "Find it myself",
      level_ai_only: "Chat with AI",
      level_ai_with_approval: "AI, checked by a person",
      level_human_with_ai: "A person, helped by AI",
      level_human_only: "Only a person",
      signal_explicit_request: "Asked for a person",
      signal_draft_rejected: "AI draft rejected",
      signal_draft_expired: "AI draft not reviewed in time",
      sectionApprovals: "Awaiting approval",
      emptyApprovals: "No AI replies are waiting for approval.",
      approvalAsked: "Customer asked",
      approvalDraft: "AI draft",
      approvalNotSure: "The AI is not sure",
      approvalSource: "Source: {title}",
      approvalTimeLeft: "{time} left, then it goes to a person",
      approvalOverdue: "Time is up: going to a person",
      approvalOpen: "Open the conversation",
      approve: "Approve",
      edit: "Edit",
      reject: "Reject",
      cancel: "Cancel",
      sendEdited: "Send my version",
      editLabel: "Your version of the reply",
      rejectReason: "Why? (the person who takes over sees it)",
      rejectConfirm: "Reject and hand to a person",
      approvalEditedNote: "Changing any word sends it as your message, written with AI assistance.",
      error_draft_invalid: "That draft could not be found.",
      error_draft_unknown: "That draft no longer exists.",
      error_draft_already_reviewed: "A colleague already reviewed this draft.",
      error_draft_outdated: "The conversation moved on (a person has it, or it is closed): this draft can no longer be sent.",
      errorTitle: "Could not do that",
      dismiss: "Dismiss",
      error_already_taken: "Another agent already has this conversation.",
      error_not_owner: "Only the agent who has this conversation can do that. Take it over first.",
      error_customer_chose_human_only: "The customer chose to talk only to a person: the AI may not take over.",
      error_conversation_closed: "This conversation is closed.",
      error_conversation_unknown: "This conversation does not exist.",
      error_message_empty: "The message is empty.",
      error_message_too_long: "The message is too long.",
      error_frame_too_large: "That message is too large.",
      // Presence and the team.
      presenceLabel: "Your presence",
      presence_online: "Online",
      presence_away: "Away",
      presence_offline: "Offline",
      capacityLabel: "Capacity",
      capacityTitle: "How many conversations you hold at once (1–20)",
      sectionTeam: "Team",
      emptyTeam: "No agents yet.",
      teamOnlineCount: "Online now",
      teamYou: "you",
      teamLoad: "{load}/{capacity}",
      teamLoadTitle: "Holds {load} of {capacity} conversations",
      // Transfer.
      transfer: "Transfer…",
      transferTitle: "Transfer this conversation",
      transferTo: "To",
      transferChoose: "Choose a colleague or a team",
      transferAgents: "Colleagues online",
      transferTeams: "Teams (back to their queue)",
      transferNoOne: "No colleague is online",
      transferAgentOption: "{name} · {load}/{capacity}",
      transferAgentFull: "{name} · full",
      transferTeamOption: "{name} · {online} online",
      transferNote: "Note for the next person (optional)",
      transferSend: "Transfer",
      transferring: "Transferring…",
      transferPickFirst: "Choose a colleague or a team to transfer to.",
      transferDoneAgent: "Transferred to {name}.",
      transferDoneTeam: "Transferred to the {name} team: the customer is back in its queue.",
      noticeTitle: "Done",
      error_agent_unavailable: "That colleague is not online or has no room for another conversation. Pick someone else or a team.",
      error_agent_unknown: "That colleague could not be found.",
      error_team_unknown: "That team no longer exists.",
      error_transfer_invalid: "Transfer to one colleague or one team, and not to yourself.",
      error_presence_invalid: "Your presence can only be Online, Away or Offline.",
      error_capacity_invalid: "Capacity must be a whole number from 1 to 20.",
      // Why is this here?
      whyTitle: "Why is this here?",
      whyReminder: "Reminder",
      whyDecisions: "How it was decided",
      whyAction_hand: "Handed to a person",
      whyAction_offer: "A person was offered",
      whyAction_none: "The AI kept answering",
      whyRule: "Rule “{name}” applied",
      whyStrength: "strength {value}",
      whyTransfers: "Passed on",
      whyTransferAgent: "{from} → {to}",
      whyTransferTeam: "{from} → {to} team",
      whyNoNote: "No note.",
      quote: "“{text}”",
      emotionFrustrated: "Seems frustrated: {quote}",
      emotionVeryFrustrated: "Seems very frustrated: {quote}",
      emotionSensitive: "Sensitive: {topic} — {quote}",
      emotionSensitiveNoWords: "Sensitive: {topic}",
      nextStepLabel: "Suggested next step",
      next_answer: "Answer the question; the customer has not shown distress.",
      next_acknowledge_frustration: "Acknowledge the frustration before solving: the customer has repeated themselves or is upset.",
      next_acknowledge_loss: "Acknowledge the loss first; go gently and offer to handle the details for them.",
      next_no_liability: "Do not admit liability or discuss legal matters; offer to pass it to the right team.",
      next_verify_identity: "Verify the customer's identity before changing or discussing account details.",
      next_acknowledge_complaint: "Acknowledge the complaint and explain how it will be handled.",
      next_check_wellbeing: "Check on the customer's wellbeing; offer specialised help if they are at risk.",
      signal_frustration: "Frustration",
      signal_repeated_person_requests: "Asked for a person several times",
      signal_low_confidence_streak: "The AI was not sure twice in a row",
      signal_bereavement: "Bereavement",
      signal_complaint_dispute: "Complaint or dispute",
      signal_legal_threat: "Legal threat",
      signal_large_purchase: "Large purchase",
      signal_account_security: "Account security",
      signal_vulnerability: "May be vulnerable",
      topic_bereavement: "bereavement",
      topic_complaint_dispute: "complaint or dispute",
      topic_legal_threat: "legal threat",
      topic_large_purchase: "large purchase",
      topic_account_security: "account security",
      topic_vulnerability: "may be vulnerable",
      sessionExpired: "Your session has ended. Redirecting to the login page…",
      sessionTitle: "Signed out",
      // Issue 6: filters, closed list, notifications, notes, canned responses, copilot, ratings, flags.
      dashboard: "Dashboard",
      sound: "Sound",
      soundTitle: "Beep when someone new waits for a person",
      soundOnTitle: "Sound on: a beep when someone new waits for a person. Click to turn it off.",
      soundOffTitle: "Sound off. Click to beep when someone new waits for a person.",
      titleNewHandoff: "New handoff",
      filters: "Filters",
      filterTeam: "Team",
      filterChannel: "Channel",
      filterLocale: "Language",
      filterStatus: "Status",
      filterAny: "All",
      filterNoTeam: "No team",
      filterClear: "Clear filters",
      filterSummary: "Filtered: {shown} of {total} shown.",
      filterStatus_queue: "Waiting for a person",
      filterStatus_ai: "With the AI",
      filterStatus_agent: "With a person",
      filterStatus_closed: "Closed",
      channel_whatsapp: "WhatsApp",
      priorityTag: "Priority {n}",
      sectionClosed: "Closed",
      emptyClosed: "No closed conversations.",
      loadingClosed: "Loading closed conversations…",
      closedLoadFailed: "Closed conversations could not be loaded.",
      closeTitle: "How did it end?",
      closeConfirm: "Close the conversation",
      outcome_resolved: "Resolved",
      outcome_follow_up: "Needs a follow-up",
      outcome_no_response: "The customer stopped answering",
      outcome_not_resolved: "Not resolved",
      outcome_spam: "Spam",
      composerMode: "What you write",
      modeReply: "Reply",
      modeNote: "Private note",
      noteBanner: "Private note — the customer never sees this",
      notePlaceholder: "A note for your colleagues… (Enter to add, Shift+Enter for a new line)",
      noteHint: "Only staff see notes.",
      addNote: "Add note",
      noteLabel: "Private note",
      noteNotSaved: "Not saved.",
      cannedButton: "Canned",
      cannedTitle: "Canned responses (or type / at the start of a reply)",
      cannedTitleShort: "Canned responses",
      cannedSearch: "Find a canned response",
      cannedLoading: "Loading canned responses…",
      cannedNone: "No canned response matches.",
      cannedNoneAtAll: "No canned responses yet: admins add them in Django admin.",
      cannedFailed: "Canned responses could not be loaded.",
      cannedMissing: "Check before sending: nothing to fill in for {names}.",
      copilotTitle: "Copilot",
      copilotLoading: "Updating…",
      copilotFailed: "The copilot could not be reached.",
      copilotDisabled: "The customer chose to talk only to a person: no AI reads or drafts for this conversation.",
      suggestionsTitle: "Suggested replies",
      noSuggestions: "No suggestion for the customer's last message.",
      suggestionSource: "From “{title}”",
      insert: "Insert",
      insertTitle: "Put it in the reply box to edit before sending",
      sendSuggestion: "Send",
      sendSuggestionTitle: "Send it to the customer as it is",
      suggestionTakeOver: "Take over the conversation to use a suggestion.",
      articlesTitle: "Relevant articles",
      articleSearch: "Search the knowledge base",
      search: "Search",
      noArticles: "No article matches.",
      insertArticleTitle: "Put this article's answer in the reply box",
      copilotLang: "The customer writes in {customer}; the console is in {agent}.",
      lang_en: "English",
      lang_fr: "French",
      translateCustomer: "Translate their last message",
      translateReply: "Translate my reply",
      translating: "Translating…",
      translationUnavailable: "No translation: {reason}",
      translationFailed: "The translation could not be fetched.",
      translationOfCustomer: "Their last message, in {lang}:",
      translationOfReply: "Your reply, in {lang}:",
      useTranslation: "Use this as my reply",
      translateNothing: "The customer has not written anything to translate.",
      translateEmptyReply: "Write a reply first, then translate it.",
      ratingTitle: "How useful was this handoff?",
      ratingComment: "What was missing? (optional)",
      ratingSend: "Rate",
      ratingSaved: "Thank you: you rated this handoff {score}/5.",
      ratingYours: "Your rating: {score}/5.",
      ratingPickFirst: "Choose 1 to 5 stars first.",
      flag: "Flag as wrong",
      flagTitle: "Tell the knowledge-base team this AI answer is wrong",
      flagArticle: "The right article (optional)",
      flagArticleNone: "I don't know",
      flagNote: "What is wrong? (optional)",
      flagSend: "Flag it",
      flagged: "Flagged",
      flaggedTitle: "Flagged as wrong for the knowledge-base team",
      flagDone: "Flagged for the knowledge-base team.",
      provenance_ai: "AI",
      provenance_human: "Person",
      provenanceTitle_ai: "Written by the AI assistant",
      provenanceTitle_human: "Written by a person",
      factPhone: "Phone",
      factVerification: "Verified",
      factVip: "VIP",
      factSegment: "Segment",
      verifiedEmail: "email verified",
      verifiedPhone: "phone verified",
      unverifiedEmail: "email not verified",
      unverifiedPhone: "phone not verified",
      nothingVerified: "nothing verified",
      vipCustomer: "VIP customer",
      shortcutsButton: "Keyboard shortcuts (?)",
      shortcutsTitle: "Keyboard shortcuts",
      shortcutsIntro: "When you are not typing in a field:",
      shortcutMove: "Next / previous AI draft awaiting approval",
      shortcutApprove: "Approve the selected draft",
      shortcutEdit: "Edit the selected draft, then send your version",
      shortcutReject: "Reject the selected draft (type the reason, then Enter)",
      shortcutHelp: "Show or hide this help",
      shortcutEscape: "Close this help, a form or a picker",
      shortcutCanned: "At the start of a reply: canned responses",
      closeDialog: "Close",
      withKey: "{label} ({key})",
      error_note_invalid: "A note needs some text, and not too much of it.",
      error_comment_invalid: "The comment is too long (1000 characters at most).",
      error_nothing_to_rate: "Nobody handed this conversation to a person: there is no handoff to rate.",
      error_score_invalid: "Choose 1 to 5 stars.",
      error_not_an_ai_answer: "Only an answer written by the AI can be flagged.",
      error_message_unknown: "That message could not be found.",
      error_article_unknown: "That article could not be found.",
      error_suggestion_invalid: "That suggestion could not be used.",
      error_suggestion_unknown: "That suggestion no longer exists.",
      error_outcome_invalid: "Choose how the conversation ended.",
      error_type_unknown: "The server does not support this action yet.",
    },
    fr: {
      agentConsole: "Console agent",
      logout: "Se déconnecter",
      inbox: "Boîte de réception",
      actions: "Actions sur la conversation",
      transcript: "Transcription",
      handoffCard: "Résumé de transfert",
      connConnecting: "Connexion…",
      connOpen: "En direct",
      connReconnecting: "Reconnexion…",
      connReconnectingIn: "Connexion perdue. Nouvel essai dans {seconds} s…",
      sectionQueue: "En attente d’une personne",
      sectionAi: "Avec l’IA",
      sectionMine: "Les miennes",
      sectionOthers: "Autres",
      emptyQueue: "Personne n’attend.",
      emptyAi: "L’IA ne discute avec personne.",
      emptyMine: "Vous n’avez aucune conversation ouverte.",
      emptyOthers: "Aucune conversation avec d’autres agents.",
      waitingFor: "attend depuis {time}",
      newInQueue: "Nouveau",
      unread: "Nouvelle activité",
      pickTitle: "Aucune conversation sélectionnée",
      pickText: "Choisissez une conversation. Les personnes en attente apparaissent en premier, les plus anciennes d’abord.",
      loading: "Chargement de la conversation…",
      conversationNumber: "Conversation n° {id}",
      ownerAi: "Avec l’IA",
      ownerQueue: "En attente d’une personne",
      ownerAgent: "Avec {name}",
      ownerAgentUnknown: "Avec un agent",
      ownerUnknown: "État inconnu",
      youBadge: "Vous",
      closed: "Fermée",
      takeOver: "Prendre la main",
      takingOver: "Prise en main…",
      handBack: "Rendre à l’IA",
      handingBack: "Transfert…",
      handBackNote: "Note pour l’IA (facultatif)",
      handBackNoteLabel: "Note pour l’IA (facultatif)",
      close: "Fermer",
      closing: "Fermeture…",
      send: "Envoyer",
      replyLabel: "Réponse",
      replyPlaceholder: "Écrire une réponse… (Entrée pour envoyer, Maj+Entrée pour un saut de ligne)",
      replyTakeOverFirst: "Prenez la main pour répondre.",
      replyQueue: "Le client attend une personne. Prenez la main pour répondre.",
      replyAi: "L’assistant IA répond. Prenez la main pour répondre.",
      replyOther: "{name} s’occupe de cette conversation.",
      replyClosed: "Cette conversation est fermée.",
      replyOffline: "Reconnexion… vous pourrez répondre dès le retour de la connexion.",
      replyHint: "Entrée pour envoyer · Maj+Entrée pour un saut de ligne",
      humanOnlyHint: "Le client a demandé une personne uniquement : l’IA ne peut pas reprendre.",
      jumpLatest: "Nouveaux messages ↓",
      customerTyping: "Le client écrit…",
      authorCustomer: "Client",
      authorAi: "Assistant IA",
      authorAgent: "Agent",
      authorSystem: "Avis",
      aiBadge: "IA",
      provenance_ai_approved: "Brouillon IA validé par une personne",
      provenance_human_ai_assisted: "Rédigé avec l’aide de l’IA",
      sources: "Sources",
      sending: "Envoi…",
      readByCustomer: "Lu par le client",
      notSent: "Non envoyé.",
      retry: "Réessayer",
      today: "Aujourd’hui",
      yesterday: "Hier",
      justNow: "à l’instant",
      minutesShort: "{n} min",
      hoursShort: "{n} h",
      cardEmpty: "Le résumé de transfert de la conversation choisie s’affiche ici.",
      cardNoReason: "Pas de transfert : l’IA s’occupe de cette conversation.",
      cardSummary: "Résumé",
      cardNoSummary: "Le client n’a encore rien écrit.",
      cardTried: "Ce que l’IA a déjà essayé",
      cardNothingTried: "L’IA n’a encore répondu à partir d’aucun article.",
      cardAbstentions: "L’IA s’est abstenue {n} fois faute de certitude.",
      cardAutonomy: "Autonomie choisie par le client",
      cardCustomer: "Client",
      cardPrevious: "Conversations précédentes",
      cardNoPrevious: "Première conversation avec ce client.",
      confidence: "confiance {value}",
      factName: "Nom",
      factEmail: "E-mail",
      factIdentity: "Identité",
      factLocale: "Langue",
      noEmail: "non communiqué",
      identified: "Identifié",
      anonymous: "Anonyme",
      status_open: "Ouverte",
      status_closed: "Fermée",
      channel_widget: "Site web",
      channel_email: "E-mail",
      channel_sms: "SMS",
      channel_api: "API",
      level_self_service: "Chercher moi-même",
      level_ai_only: "Discuter avec l’IA",
      level_ai_with_approval: "IA, vérifiée par une personne",
      level_human_with_ai: "Une personne, aidée par l’IA",
      level_human_only: "Seulement une personne",
      signal_explicit_request: "A demandé une personne",
      signal_draft_rejected: "Brouillon IA refusé",
      signal_draft_expired: "Brouillon IA non relu à temps",
      sectionApprovals: "À valider",
      emptyApprovals: "Aucune réponse de l’IA n’attend de validation.",
      approvalAsked: "Le client a demandé",
      approvalDraft: "Brouillon de l’IA",
      approvalNotSure: "L’IA n’est pas sûre",
      approvalSource: "Source : {title}",
      approvalTimeLeft: "encore {time}, puis transfert à une personne",
      approvalOverdue: "Délai dépassé : transfert à une personne",
      approvalOpen: "Ouvrir la conversation",
      approve: "Valider",
      edit: "Modifier",
      reject: "Refuser",
      cancel: "Annuler",
      sendEdited: "Envoyer ma version",
      editLabel: "Votre version de la réponse",
      rejectReason: "Pourquoi ? (la personne qui reprend le verra)",
      rejectConfirm: "Refuser et transférer à une personne",
      approvalEditedNote: "Si vous changez un mot, la réponse part comme votre message, rédigé avec l’aide de l’IA.",
      error_draft_invalid: "Ce brouillon est introuvable.",
      error_draft_unknown: "Ce brouillon n’existe plus.",
      error_draft_already_reviewed: "Un collègue a déjà relu ce brouillon.",
      error_draft_outdated: "La conversation a changé (une personne l’a prise, ou elle est fermée) : ce brouillon ne peut plus être envoyé.",
      errorTitle: "Action impossible",
      dismiss: "Fermer",
      error_already_taken: "Un autre agent a déjà cette conversation.",
      error_not_owner: "Seul l’agent qui a cette conversation peut faire cela. Prenez la main d’abord.",
      error_customer_chose_human_only: "Le client a choisi de parler uniquement à une personne : l’IA ne peut pas reprendre.",
      error_conversation_closed: "Cette conversation est fermée.",
      error_conversation_unknown: "Cette conversation n’existe pas.",
      error_message_empty: "Le message est vide.",
      error_message_too_long: "Le message est trop long.",
      error_frame_too_large: "Ce message est trop volumineux.",
      // Présence et équipe.
      presenceLabel: "Votre présence",
      presence_online: "En ligne",
      presence_away: "Absent",
      presence_offline: "Hors ligne",
      capacityLabel: "Capacité",
      capacityTitle: "Nombre de conversations que vous gérez en même temps (1 à 20)",
      sectionTeam: "Équipe",
      emptyTeam: "Aucun agent pour l’instant.",
      teamOnlineCount: "En ligne maintenant",
      teamYou: "vous",
      teamLoad: "{load}/{capacity}",
      teamLoadTitle: "Gère {load} conversation(s) sur {capacity}",
      // Transfert.
      transfer: "Transférer…",
      transferTitle: "Transférer cette conversation",
      transferTo: "À",
      transferChoose: "Choisissez un collègue ou une équipe",
      transferAgents: "Collègues en ligne",
      transferTeams: "Équipes (retour dans leur file)",
      transferNoOne: "Aucun collègue n’est en ligne",
      transferAgentOption: "{name} · {load}/{capacity}",
      transferAgentFull: "{name} · complet",
      transferTeamOption: "{name} · {online} en ligne",
      transferNote: "Note pour la personne suivante (facultatif)",
      transferSend: "Transférer",
      transferring: "Transfert…",
      transferPickFirst: "Choisissez le collègue ou l’équipe qui reprend la conversation.",
      transferDoneAgent: "Transférée à {name}.",
      transferDoneTeam: "Transférée à l’équipe {name} : le client est de retour dans sa file.",
      noticeTitle: "C’est fait",
      error_agent_unavailable: "Ce collègue n’est pas en ligne ou n’a plus de place pour une conversation. Choisissez quelqu’un d’autre ou une équipe.",
      error_agent_unknown: "Ce collègue est introuvable.",
      error_team_unknown: "Cette équipe n’existe plus.",
      error_transfer_invalid: "Transférez à un collègue ou à une équipe, et pas à vous-même.",
      error_presence_invalid: "Votre présence ne peut être que En ligne, Absent ou Hors ligne.",
      error_capacity_invalid: "La capacité doit être un nombre entier de 1 à 20.",
      // Pourquoi est-elle ici ?
      whyTitle: "Pourquoi est-elle ici ?",
      whyReminder: "Rappel",
      whyDecisions: "Comment cela a été décidé",
      whyAction_hand: "Transmise à une personne",
      whyAction_offer: "Une personne a été proposée",
      whyAction_none: "L’IA a continué de répondre",
      whyRule: "Règle « {name} » appliquée",
      whyStrength: "intensité {value}",
      whyTransfers: "Transmise",
      whyTransferAgent: "{from} → {to}",
      whyTransferTeam: "{from} → équipe {to}",
      whyNoNote: "Pas de note.",
      quote: "«\u00a0{text}\u00a0»",
      emotionFrustrated: "Semble agacé : {quote}",
      emotionVeryFrustrated: "Semble très agacé : {quote}",
      emotionSensitive: "Sujet sensible : {topic} — {quote}",
      emotionSensitiveNoWords: "Sujet sensible : {topic}",
      nextStepLabel: "Prochaine étape conseillée",
      next_answer: "Répondez à la question : le client n’a montré aucune détresse.",
      next_acknowledge_frustration: "Reconnaissez l’agacement avant de résoudre : le client s’est répété ou est contrarié.",
      next_acknowledge_loss: "Reconnaissez d’abord la perte ; allez-y doucement et proposez de vous occuper des démarches à sa place.",
      next_no_liability: "N’admettez aucune responsabilité et n’abordez pas les questions juridiques ; proposez de transmettre à l’équipe compétente.",
      next_verify_identity: "Vérifiez l’identité du client avant de modifier ou d’évoquer les informations de son compte.",
      next_acknowledge_complaint: "Prenez acte de la réclamation et expliquez comment elle sera traitée.",
      next_check_wellbeing: "Prenez des nouvelles du client ; proposez une aide spécialisée s’il est en danger.",
      signal_frustration: "Agacement",
      signal_repeated_person_requests: "A demandé une personne plusieurs fois",
      signal_low_confidence_streak: "L’IA n’était pas sûre deux fois de suite",
      signal_bereavement: "Deuil",
      signal_complaint_dispute: "Réclamation ou litige",
      signal_legal_threat: "Menace juridique",
      signal_large_purchase: "Achat important",
      signal_account_security: "Sécurité du compte",
      signal_vulnerability: "Peut-être vulnérable",
      topic_bereavement: "deuil",
      topic_complaint_dispute: "réclamation ou litige",
      topic_legal_threat: "menace juridique",
      topic_large_purchase: "achat important",
      topic_account_security: "sécurité du compte",
      topic_vulnerability: "peut-être vulnérable",
      sessionExpired: "Votre session a expiré. Redirection vers la page de connexion…",
      sessionTitle: "Déconnecté",
      // Ticket 6 : filtres, conversations fermées, alertes, notes, réponses types, copilote, notes de transfert, signalements.
      dashboard: "Tableau de bord",
      sound: "Son",
      soundTitle: "Un bip quand une nouvelle personne attend",
      soundOnTitle: "Son activé : un bip quand une nouvelle personne attend. Cliquez pour le couper.",
      soundOffTitle: "Son coupé. Cliquez pour entendre un bip quand une nouvelle personne attend.",
      titleNewHandoff: "Nouveau transfert",
      filters: "Filtres",
      filterTeam: "Équipe",
      filterChannel: "Canal",
      filterLocale: "Langue",
      filterStatus: "État",
      filterAny: "Tous",
      filterNoTeam: "Sans équipe",
      filterClear: "Effacer les filtres",
      filterSummary: "Filtré : {shown} sur {total} affichées.",
      filterStatus_queue: "En attente d’une personne",
      filterStatus_ai: "Avec l’IA",
      filterStatus_agent: "Avec une personne",
      filterStatus_closed: "Fermées",
      channel_whatsapp: "WhatsApp",
      priorityTag: "Priorité {n}",
      sectionClosed: "Fermées",
      emptyClosed: "Aucune conversation fermée.",
      loadingClosed: "Chargement des conversations fermées…",
      closedLoadFailed: "Impossible de charger les conversations fermées.",
      closeTitle: "Comment s’est-elle terminée ?",
      closeConfirm: "Fermer la conversation",
      outcome_resolved: "Résolue",
      outcome_follow_up: "À suivre",
      outcome_no_response: "Le client ne répond plus",
      outcome_not_resolved: "Non résolue",
      outcome_spam: "Indésirable",
      composerMode: "Ce que vous écrivez",
      modeReply: "Réponse",
      modeNote: "Note privée",
      noteBanner: "Note privée — le client ne la voit jamais",
      notePlaceholder: "Une note pour vos collègues… (Entrée pour ajouter, Maj+Entrée pour un saut de ligne)",
      noteHint: "Seule l’équipe voit les notes.",
      addNote: "Ajouter la note",
      noteLabel: "Note privée",
      noteNotSaved: "Non enregistrée.",
      cannedButton: "Réponses types",
      cannedTitle: "Réponses types (ou tapez / au début d’une réponse)",
      cannedTitleShort: "Réponses types",
      cannedSearch: "Chercher une réponse type",
      cannedLoading: "Chargement des réponses types…",
      cannedNone: "Aucune réponse type ne correspond.",
      cannedNoneAtAll: "Pas encore de réponse type : les administrateurs les ajoutent dans l’admin Django.",
      cannedFailed: "Impossible de charger les réponses types.",
      cannedMissing: "À vérifier avant d’envoyer : rien pour remplir {names}.",
      copilotTitle: "Copilote",
      copilotLoading: "Mise à jour…",
      copilotFailed: "Le copilote est injoignable.",
      copilotDisabled: "Le client a choisi de parler uniquement à une personne : aucune IA ne lit ni ne rédige pour cette conversation.",
      suggestionsTitle: "Réponses suggérées",
      noSuggestions: "Aucune suggestion pour le dernier message du client.",
      suggestionSource: "D’après « {title} »",
      insert: "Insérer",
      insertTitle: "La mettre dans la zone de réponse pour la modifier avant d’envoyer",
      sendSuggestion: "Envoyer",
      sendSuggestionTitle: "L’envoyer au client telle quelle",
      suggestionTakeOver: "Prenez la main pour utiliser une suggestion.",
      articlesTitle: "Articles utiles",
      articleSearch: "Chercher dans la base de connaissances",
      search: "Chercher",
      noArticles: "Aucun article ne correspond.",
      insertArticleTitle: "Mettre la réponse de cet article dans la zone de réponse",
      copilotLang: "Le client écrit en {customer} ; la console est en {agent}.",
      lang_en: "anglais",
      lang_fr: "français",
      translateCustomer: "Traduire son dernier message",
      translateReply: "Traduire ma réponse",
      translating: "Traduction…",
      translationUnavailable: "Pas de traduction : {reason}",
      translationFailed: "Impossible d’obtenir la traduction.",
      translationOfCustomer: "Son dernier message, en {lang} :",
      translationOfReply: "Votre réponse, en {lang} :",
      useTranslation: "En faire ma réponse",
      translateNothing: "Le client n’a encore rien écrit à traduire.",
      translateEmptyReply: "Écrivez d’abord une réponse, puis traduisez-la.",
      ratingTitle: "Ce transfert vous a-t-il été utile ?",
      ratingComment: "Que manquait-il ? (facultatif)",
      ratingSend: "Noter",
      ratingSaved: "Merci : vous avez noté ce transfert {score}/5.",
      ratingYours: "Votre note : {score}/5.",
      ratingPickFirst: "Choisissez d’abord de 1 à 5 étoiles.",
      flag: "Signaler une erreur",
      flagTitle: "Signaler à l’équipe de la base de connaissances que cette réponse de l’IA est fausse",
      flagArticle: "Le bon article (facultatif)",
      flagArticleNone: "Je ne sais pas",
      flagNote: "Qu’est-ce qui ne va pas ? (facultatif)",
      flagSend: "Signaler",
      flagged: "Signalée",
      flaggedTitle: "Signalée comme fausse à l’équipe de la base de connaissances",
      flagDone: "Signalée à l’équipe de la base de connaissances.",
      provenance_ai: "IA",
      provenance_human: "Personne",
      provenanceTitle_ai: "Écrit par l’assistant IA",
      provenanceTitle_human: "Écrit par une personne",
      factPhone: "Téléphone",
      factVerification: "Vérifié",
      factVip: "VIP",
      factSegment: "Segment",
      verifiedEmail: "e-mail vérifié",
      verifiedPhone: "téléphone vérifié",
      unverifiedEmail: "e-mail non vérifié",
      unverifiedPhone: "téléphone non vérifié",
      nothingVerified: "rien de vérifié",
      vipCustomer: "Client VIP",
      shortcutsButton: "Raccourcis clavier (?)",
      shortcutsTitle: "Raccourcis clavier",
      shortcutsIntro: "Quand vous n’écrivez pas dans un champ :",
      shortcutMove: "Brouillon de l’IA suivant / précédent à valider",
      shortcutApprove: "Valider le brouillon choisi",
      shortcutEdit: "Modifier le brouillon choisi, puis envoyer votre version",
      shortcutReject: "Refuser le brouillon choisi (tapez la raison, puis Entrée)",
      shortcutHelp: "Afficher ou masquer cette aide",
      shortcutEscape: "Fermer cette aide, un formulaire ou une liste",
      shortcutCanned: "Au début d’une réponse : réponses types",
      closeDialog: "Fermer",
      withKey: "{label} ({key})",
      error_note_invalid: "Une note doit contenir du texte, sans être trop longue.",
      error_comment_invalid: "Le commentaire est trop long (1000 caractères au plus).",
      error_nothing_to_rate: "Personne n’a transmis cette conversation à une personne : il n’y a pas de transfert à noter.",
      error_score_invalid: "Choisissez de 1 à 5 étoiles.",
      error_not_an_ai_answer: "Seule une réponse écrite par l’IA peut être signalée.",
      error_message_unknown: "Ce message est introuvable.",
      error_article_unknown: "Cet article est introuvable.",
      error_suggestion_invalid: "Cette suggestion ne peut pas être utilisée.",
      error_suggestion_unknown: "Cette suggestion n’existe plus.",
      error_outcome_invalid: "Choisissez comment la conversation s’est terminée.",
      error_type_unknown: "Le serveur ne prend pas encore en charge cette action.",
    },
  };

  const AUTONOMY_LEVELS = ["self_service", "ai_only", "ai_with_approval", "human_with_ai", "human_only"];
  const MAX_REPLY_CHARS = 2000;
  const NEW_HIGHLIGHT_MS = 20000;
  const TYPING_TIMEOUT_MS = 7000;
  const ACTION_TIMEOUT_MS = 10000;
  const PRESENCE_STATUSES = ["online", "away", "offline"];
  const CAPACITY_MIN = 1;
  const CAPACITY_MAX = 20;

  const root = document.getElementById("console");
  if (!root) return;

  const LANG = (document.documentElement.lang || "en").toLowerCase().slice(0, 2);
  const DICT = Object.assign({}, STRINGS.en, STRINGS[LANG] || {});
  const LOCALE = STRINGS[LANG] ? document.documentElement.lang || "en" : "en";

  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(DICT, key) ? DICT[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, (match, name) =>
        Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match
      );
    }
    return text;
  }
  function tOr(key, fallback, values) {
    return Object.prototype.hasOwnProperty.call(DICT, key) ? t(key, values) : fallback;
  }

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers (textContent only).
  // ---------------------------------------------------------------------------------------------
  function h(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = String(value);
        else if (key === "dataset") Object.assign(node.dataset, value);
        else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    if (children) {
      for (const child of children) {
        if (child === null || child === undefined || child === false) continue;
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    }
    return node;
  }
  const $ = (selector, scope) => (scope || root).querySelector(selector);
  const $$ = (selector, scope) => Array.from((scope || root).querySelectorAll(selector));

  function initials(name) {
    const words = String(name || "").trim().split(/\s+/).filter(Boolean);
    if (!words.length) return "?";
    const letters = words.length === 1 ? words[0].slice(0, 2) : words[0][0] + words[words.length - 1][0];
    return letters.toUpperCase();
  }
  function hue(text) {
    let hash = 0;
    for (const ch of String(text || "")) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return hash % 360;
  }
  function paintAvatar(node, name) {
    node.textContent = initials(name);
    node.style.setProperty("--avatar-hue", String(hue(name)));
  }
  function humanize(code) {
    return String(code || "").replace(/[_-]+/g, " ").replace(/^\w/, (c) => c.toUpperCase());
  }
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  function parseTime(value) {
    const ms = value ? Date.parse(value) : NaN;
    return Number.isNaN(ms) ? null : ms;
  }

  // ---------------------------------------------------------------------------------------------
  // Time formatting.
  // ---------------------------------------------------------------------------------------------
  const fmtTime = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
  const fmtDate = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric" });
  const fmtFull = new Intl.DateTimeFormat(LOCALE, { dateStyle: "full", timeStyle: "medium" });
  const fmtShortDate = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short" });

  function dayKey(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  }
  function dayLabel(ms) {
    const today = new Date();
    const yesterday = new Date(Date.now() - 86400000);
    if (dayKey(ms) === dayKey(today.getTime())) return t("today");
    if (dayKey(ms) === dayKey(yesterday.getTime())) return t("yesterday");
    return fmtDate.format(ms);
  }
  function formatWait(ms) {
    const seconds = Math.max(0, Math.floor(ms / 1000));
    if (seconds < 60) return `${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
    const hours = Math.floor(minutes / 60);
    return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  }
  function formatAgo(ms) {
    const delta = Math.max(0, Date.now() - ms);
    if (delta < 60000) return t("justNow");
    if (delta < 3600000) return t("minutesShort", { n: Math.floor(delta / 60000) });
    if (delta < 86400000) return t("hoursShort", { n: Math.floor(delta / 3600000) });
    return fmtShortDate.format(ms);
  }

  // ---------------------------------------------------------------------------------------------
  // State.
  // ---------------------------------------------------------------------------------------------
  const me = { id: Number(root.dataset.userId), name: root.dataset.agentName || "" };
  const wsPath = root.dataset.wsPath || "/ws/staff/";
  const consoleUrl = root.dataset.consoleUrl || "/staff/";
  const loginUrl = root.dataset.loginUrl || "/staff/login/";
  const apiInboxUrl = root.dataset.apiInboxUrl || "/api/staff/conversations/";

  const state = {
    socket: null,
    connection: "connecting",
    attempts: 0,
    failedHandshakes: 0,
    everOpened: false,
    reconnectTimer: null,
    inboxLoaded: false,
    rows: new Map(), // open conversations by id
    known: new Map(), // last row seen for any conversation, closed ones included
    fresh: new Map(), // conversation id -> time it entered the queue (highlight)
    unread: new Set(),
    drafts: new Map(),
    pending: new Map(), // client_id -> {conversationId, text, status, node}
    conv: null, // the selected conversation
    agents: new Map(), // agent id -> row of GET /api/staff/agents or an agent.presence frame
    closedRows: new Map(), // closed conversations, loaded on demand
    closedLoaded: false,
    closedLoading: false,
    alerts: 0, // new handoffs not yet looked at, for the page title
    pendingNotes: new Map(), // client_id -> {conversationId, text, node}
    mode: "reply", // what the composer writes: "reply" to the customer or a private "note"
  };

  function newConversationView(id, hint) {
    return {
      id,
      loaded: false,
      card: null,
      status: hint && hint.status ? hint.status : null,
      owner: null,
      agentId: null,
      agentName: "",
      autonomy: null,
      reason: "",
      messages: new Map(), // seq -> {message, node}
      maxSeq: 0,
      busy: null, // "take_over" | "hand_back" | "close"
      busyTimer: null,
      transferring: null, // {kind: "agent" | "team", name, timer} while a transfer waits for the server
      whyTimer: null,
      gapTimer: null,
      typingTimer: null,
      notes: new Map(), // note id -> note
      flagged: new Set(), // seqs of AI answers flagged as wrong
      flagging: null, // seq of the answer whose flag waits for the server
      copilot: null,
      copilotTimer: null,
      shownSuggestions: new Map(), // suggestion id -> suggestion the panel showed
      usedSuggestions: new Set(),
      sentSinceSuggestions: false,
      insertedSuggestion: null, // id of the suggestion put in the composer
      rating: null, // this agent's handoff rating {score, comment}
      ratingBusy: false,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Elements.
  // ---------------------------------------------------------------------------------------------
  const el = {
    connection: $("[data-testid=connection]"),
    connectionLabel: $(".connection__label"),
    lists: {
      queue: $("[data-testid=inbox-queue]"),
      ai: $("[data-testid=inbox-ai]"),
      mine: $("[data-testid=inbox-mine]"),
      others: $("[data-testid=inbox-others]"),
      closed: $("[data-testid=inbox-closed]"),
    },
    counts: {
      queue: $("[data-count=queue]"),
      ai: $("[data-count=ai]"),
      mine: $("[data-count=mine]"),
      others: $("[data-count=others]"),
      closed: $("[data-count=closed]"),
    },
    placeholder: $("#conv-placeholder"),
    view: $("#conv-view"),
    avatar: $("#conv-avatar"),
    customer: $("#conv-customer"),
    meta: $("#conv-meta"),
    closed: $("#conv-closed"),
    owner: $("[data-testid=conversation-owner]"),
    takeOver: $("[data-testid=take-over]"),
    handBack: $("[data-testid=hand-back]"),
    handBackNote: $("[data-testid=hand-back-note]"),
    close: $("[data-testid=close]"),
    transcript: $("[data-testid=transcript]"),
    jump: $("#jump-latest"),
    typing: $("[data-testid=typing-indicator]"),
    composer: $("#composer"),
    reply: $("[data-testid=reply]"),
    send: $("[data-testid=reply-send]"),
    hint: $("#composer-hint"),
    counter: $("#composer-count"),
    card: $("[data-testid=handoff-card]"),
    cardPlaceholder: $("#card-placeholder"),
    cardBody: $("#card-body"),
    reason: $("[data-testid=handoff-reason]"),
    signals: $("#card-signals"),
    summary: $("#card-summary"),
    tried: $("#card-tried"),
    abstentions: $("#card-abstentions"),
    autonomy: $("#card-autonomy"),
    scale: $("#card-scale"),
    customerFacts: $("#card-customer"),
    previous: $("#card-previous"),
    toasts: $("#toasts"),
    whyReminders: $("[data-testid=why-reminders]"),
    whyRemindersList: $("#why-reminders-list"),
    emotion: $("[data-testid=emotional-context]"),
    nextStep: $("[data-testid=next-step]"),
    nextStepText: $("#next-step-text"),
    decisionsBlock: $("#why-decisions-block"),
    decisions: $("[data-testid=why-decisions]"),
    transfersBlock: $("#why-transfers-block"),
    transfers: $("[data-testid=why-transfers]"),
    transferButton: $("[data-testid=transfer]"),
    transferPanel: $("[data-testid=transfer-panel]"),
    transferTarget: $("[data-testid=transfer-target]"),
    transferNote: $("[data-testid=transfer-note]"),
    transferError: $("[data-testid=transfer-error]"),
    transferSend: $("[data-testid=transfer-send]"),
    transferCancel: $("[data-testid=transfer-cancel]"),
    presence: $("[data-testid=presence]"),
    presenceRadios: $$(".presence__radio"),
    capacity: $("[data-testid=presence-capacity]"),
    teamSection: $('[data-section="team"]'),
    teamList: $("[data-testid=team-list]"),
    teamCount: $("[data-count=team]"),
    closedSection: $('[data-section="closed"]'),
    closedLoadingNote: $("[data-testid=closed-loading]"),
    filterSelects: $$("[data-filter]"),
    filterSummary: $("[data-testid=filter-summary]"),
    filterSummaryText: $(".filters__summary-text"),
    filterClear: $("[data-testid=filter-clear]"),
    sound: $("[data-testid=sound-toggle]"),
    shortcutsButton: $("[data-testid=shortcuts-help]"),
    shortcuts: $("[data-testid=shortcuts-overlay]"),
    shortcutsDialog: $("#shortcuts .overlay__dialog"),
    shortcutsClose: $("[data-testid=shortcuts-close]"),
    closePanel: $("[data-testid=close-panel]"),
    closeCancel: $("[data-testid=close-cancel]"),
    modeTabs: $$(".composer__tab"),
    noteBanner: $("[data-testid=note-banner]"),
    warning: $("[data-testid=canned-missing]"),
    cannedButton: $("[data-testid=canned-open]"),
    cannedPicker: $("[data-testid=canned-picker]"),
    cannedSearch: $("[data-testid=canned-search]"),
    cannedList: $("[data-testid=canned-list]"),
    cannedEmpty: $("[data-testid=canned-empty]"),
    copilot: $("[data-testid=copilot]"),
    copilotStatus: $("[data-testid=copilot-status]"),
    copilotDisabled: $("[data-testid=copilot-disabled]"),
    copilotTranslate: $("[data-testid=copilot-translate]"),
    copilotLang: $("#copilot-lang"),
    translateCustomer: $("[data-testid=translate-customer]"),
    translateReply: $("[data-testid=translate-reply]"),
    translation: $("[data-testid=translation]"),
    suggestionsBlock: $("#copilot-suggestions-block"),
    suggestions: $("[data-testid=suggestions]"),
    noSuggestions: $("#copilot-no-suggestions"),
    articleSearchForm: $("[data-testid=article-search-form]"),
    articleSearch: $("[data-testid=article-search]"),
    articles: $("[data-testid=articles]"),
    noArticles: $("#copilot-no-articles"),
    rating: $("[data-testid=handoff-rating]"),
    ratingForm: $("#rating-form"),
    ratingRadios: $$(".stars__radio"),
    ratingStars: $$(".stars__star"),
    ratingComment: $("[data-testid=rating-comment]"),
    ratingSend: $("[data-testid=rating-send]"),
    ratingStatus: $("[data-testid=rating-status]"),
  };

  function applyStaticStrings() {
    for (const node of $$("[data-i18n]", document)) node.textContent = t(node.dataset.i18n);
    for (const node of $$("[data-i18n-placeholder]", document)) node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    for (const node of $$("[data-i18n-aria-label]", document)) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    for (const node of $$("[data-i18n-title]", document)) node.setAttribute("title", t(node.dataset.i18nTitle));
    for (const node of $$("[data-initials-of]", document)) paintAvatar(node, node.dataset.initialsOf);
  }

  // ---------------------------------------------------------------------------------------------
  // Websocket with reconnect.
  // ---------------------------------------------------------------------------------------------
  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${wsPath}`;
  }

  function isOpen() {
    return state.socket !== null && state.socket.readyState === WebSocket.OPEN;
  }

  function send(frame) {
    if (!isOpen()) return false;
    state.socket.send(JSON.stringify(frame));
    return true;
  }

  function setConnection(value, detail) {
    state.connection = value;
    el.connection.dataset.state = value;
    const labels = { connecting: "connConnecting", open: "connOpen", reconnecting: "connReconnecting" };
    el.connectionLabel.textContent = t(labels[value]);
    el.connection.title = detail || "";
    renderConversationState();
    renderPresence();
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    setConnection(state.everOpened ? "reconnecting" : state.attempts ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect(false);
      return;
    }
    state.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      if (state.socket !== socket) return;
      opened = true;
      state.everOpened = true;
      state.attempts = 0;
      state.failedHandshakes = 0;
      setConnection("open");
      if (state.conv) send({ type: "conversation.open", conversation_id: state.conv.id });
      loadApprovals();
      loadAgents();
    });
    socket.addEventListener("message", (event) => {
      if (state.socket !== socket || typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame && typeof frame === "object") handleFrame(frame);
    });
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return;
      state.socket = null;
      scheduleReconnect(opened);
    });
  }

  function scheduleReconnect(wasOpen) {
    if (state.reconnectTimer) return;
    if (!wasOpen) state.failedHandshakes += 1;
    const base = Math.min(10000, 500 * Math.pow(2, state.attempts));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    state.attempts += 1;
    setConnection("reconnecting", t("connReconnectingIn", { seconds: Math.ceil(delay / 1000) }));
    state.reconnectTimer = setTimeout(connect, delay);
    // A refused handshake may mean the session is gone: check, and go to the login page if so.
    if (!wasOpen && state.failedHandshakes >= 2) checkSession();
  }

  let sessionCheckInFlight = false;
  function checkSession() {
    if (sessionCheckInFlight || !window.fetch) return;
    sessionCheckInFlight = true;
    fetch(consoleUrl, { method: "HEAD", redirect: "manual", credentials: "same-origin", cache: "no-store" })
      .then((response) => {
        if (response.type === "opaqueredirect" || response.status === 302 || response.status === 403) {
          toast(t("sessionExpired"), "session_expired", t("sessionTitle"));
          const next = encodeURIComponent(consoleUrl + window.location.hash);
          setTimeout(() => window.location.assign(`${loginUrl}?next=${next}`), 1200);
        }
      })
      .catch(() => {})
      .finally(() => {
        sessionCheckInFlight = false;
      });
  }

  function reconnectNow() {
    if (state.socket === null) {
      state.attempts = 0;
      connect();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Frames from the server.
  // ---------------------------------------------------------------------------------------------
  function handleFrame(frame) {
    switch (frame.type) {
      case "inbox":
        onInbox(Array.isArray(frame.conversations) ? frame.conversations : []);
        break;
      case "inbox.conversation":
        if (frame.conversation) onInboxRow(frame.conversation);
        break;
      case "inbox.conversations":
        // New messages in waiting and AI conversations, gathered by the server for a second or so.
        for (const row of Array.isArray(frame.conversations) ? frame.conversations : []) onInboxRow(row);
        break;
      case "inbox.removed":
        // Routed to a team this agent is not in: it leaves their inbox.
        state.rows.delete(frame.conversation_id);
        state.fresh.delete(frame.conversation_id);
        state.unread.delete(frame.conversation_id);
        renderInbox();
        break;
      case "conversation":
        if (frame.card) onCard(frame.card);
        break;
      case "message":
        if (frame.message) onMessage(frame.conversation_id, frame.message);
        break;
      case "state":
        if (frame.state) onState(frame.conversation_id, frame.state);
        break;
      case "typing":
        onTyping(frame);
        break;
      case "draft":
        if (frame.draft) onDraft(frame.draft);
        break;
      case "agent.presence":
        if (frame.agent) onAgentPresence(frame.agent);
        break;
      case "ack":
        if (typeof frame.note_id === "number") onNoteAck(frame);
        else if (typeof frame.flag_id === "number") onFlagAck(frame);
        else if (Object.prototype.hasOwnProperty.call(frame, "rated")) onRatedAck(frame);
        else onAck(frame);
        break;
      case "note":
        if (frame.note) onNote(frame.conversation_id, frame.note);
        break;
      case "error":
        onError(frame);
        break;
      default:
        break;
    }
  }

  function rowIsStale(row, previous) {
    if (!previous) return false;
    if ((row.last_seq || 0) < (previous.last_seq || 0)) return true;
    const next = parseTime(row.updated_at);
    const before = parseTime(previous.updated_at);
    return next !== null && before !== null && next < before;
  }

  function onInbox(rows) {
    const queuedBefore = new Set();
    for (const row of state.rows.values()) if (row.owner === "queue") queuedBefore.add(row.id);
    const reconnecting = state.inboxLoaded;
    state.rows.clear();
    for (const row of rows) {
      if (!row || typeof row.id !== "number") continue;
      state.known.set(row.id, row);
      if (row.status !== "closed") state.rows.set(row.id, row);
      if (reconnecting && row.owner === "queue" && !queuedBefore.has(row.id)) markFresh(row.id);
    }
    state.inboxLoaded = true;
    renderInbox();
    if (state.conv) {
      const row = state.known.get(state.conv.id);
      if (row) syncFromRow(row);
    }
  }

  function onInboxRow(row) {
    if (typeof row.id !== "number") return;
    const previous = state.known.get(row.id);
    if (rowIsStale(row, previous)) return;
    state.known.set(row.id, row);
    if (!previous || previous.owner !== row.owner || previous.agent_id !== row.agent_id || previous.status !== row.status) {
      scheduleAgentsRefresh();
    }
    if (row.status === "closed") {
      state.rows.delete(row.id);
      state.fresh.delete(row.id);
      state.unread.delete(row.id);
      if (state.closedLoaded) state.closedRows.set(row.id, row);
    } else {
      state.closedRows.delete(row.id);
      state.rows.set(row.id, row);
      if (row.owner === "queue" && (!previous || previous.owner !== "queue" || previous.status === "closed")) {
        markFresh(row.id);
      }
      if (row.owner !== "queue") state.fresh.delete(row.id);
      const viewing = state.conv && state.conv.id === row.id;
      if (
        !viewing &&
        previous &&
        row.owner === "agent" &&
        row.agent_id === me.id &&
        (row.last_seq || 0) > (previous.last_seq || 0)
      ) {
        state.unread.add(row.id);
      }
    }
    renderInbox();
    if (state.conv && state.conv.id === row.id) {
      syncFromRow(row);
      checkForGap(row.last_seq || 0);
    }
  }

  function markFresh(id) {
    if (state.conv && state.conv.id === id) return;
    state.fresh.set(id, Date.now());
    announceHandoff();
    const section = $('[data-section="queue"]');
    if (section) {
      section.classList.remove("is-pulsing");
      void section.offsetWidth; // restart the animation
      section.classList.add("is-pulsing");
    }
  }

  function syncFromRow(row) {
    const conv = state.conv;
    const before = snapshot(conv);
    conv.status = row.status;
    conv.owner = row.owner;
    conv.agentId = row.owner === "agent" ? row.agent_id : null;
    conv.agentName = row.owner === "agent" ? row.agent_name || "" : "";
    conv.autonomy = row.autonomy_level || conv.autonomy;
    conv.reason = row.escalation_reason || "";
    afterChange(conv, before);
  }

  function snapshot(conv) {
    return { owner: conv.owner, status: conv.status, agentId: conv.agentId, mine: isMine(conv) };
  }

  // Row and state frames both move a conversation: whichever comes first sees the transition.
  function afterChange(conv, before) {
    if (conv.status === "closed") hideTyping();
    if (before.owner !== conv.owner || before.status !== conv.status) clearBusy(conv);
    if (before.mine && !isMine(conv)) {
      el.handBackNote.value = "";
      if (conv.transferring) transferDone(conv);
      closeTransfer();
    }
    renderConversationHeader();
    renderConversationState();
    if (!before.mine && isMine(conv) && !el.reply.disabled) el.reply.focus({ preventScroll: true });
    if (conv.card) {
      renderReason();
      renderAutonomy();
    }
    // A fresh escalation comes with a new reason and signals: fetch the updated card.
    if (conv.loaded && conv.owner === "queue" && before.owner && before.owner !== "queue") {
      send({ type: "conversation.open", conversation_id: conv.id });
    } else if (conv.loaded && conv.owner === "agent" && before.agentId !== null && before.agentId !== conv.agentId) {
      scheduleWhyRefresh(conv); // passed from one agent to another: the card now lists the transfer
    }
  }

  function onState(conversationId, st) {
    const conv = state.conv;
    if (!conv || conversationId !== conv.id) return;
    const before = snapshot(conv);
    conv.status = st.status || conv.status;
    conv.owner = st.owner || conv.owner;
    conv.autonomy = st.autonomy_level || conv.autonomy;
    if (typeof st.visitor_read_seq === "number") conv.visitorRead = Math.max(conv.visitorRead || 0, st.visitor_read_seq);
    if (conv.owner === "agent") {
      const name = st.agent_name || "";
      const row = state.known.get(conv.id);
      if (row && row.owner === "agent" && row.agent_name === name) conv.agentId = row.agent_id;
      else if (conv.agentName !== name || conv.agentId === null) conv.agentId = name && name === me.name ? me.id : -1;
      conv.agentName = name;
    } else {
      conv.agentId = null;
      conv.agentName = "";
    }
    clearBusy(conv);
    afterChange(conv, before);
    renderReadReceipt();
    sendRead();
  }

  // Read receipts. The agent's side: what the open conversation shows while the page is visible is read (the
  // server counts it only from the agent who holds the conversation). The customer's side: "Read by the
  // customer" under the agent's last message once the visitor's read mark covers it.
  function sendRead() {
    const conv = state.conv;
    if (!conv || !conv.loaded || document.visibilityState === "hidden") return;
    if (!isMine(conv)) return;
    if ((conv.maxSeq || 0) > (conv.readSent || 0) && send({ type: "read", conversation_id: conv.id, seq: conv.maxSeq })) {
      conv.readSent = conv.maxSeq;
    }
  }

  function renderReadReceipt() {
    const conv = state.conv;
    for (const node of el.transcript.querySelectorAll("[data-testid=read-receipt]")) node.remove();
    if (!conv) return;
    let last = null;
    for (const [seq, entry] of conv.messages) {
      if (entry.message.author_kind === "human" && (!last || seq > last.message.seq)) last = entry;
    }
    if (!last || !last.node || !last.node.isConnected || (conv.visitorRead || 0) < last.message.seq) return;
    last.node.append(h("div", { class: "msg__status", "data-testid": "read-receipt", text: t("readByCustomer") }));
  }

  function onCard(card) {
    const conv = state.conv;
    if (!conv || card.conversation_id !== conv.id) return;
    conv.card = card;
    conv.loaded = true;
    const row = state.known.get(conv.id);
    if (row) {
      syncFromRow(row);
    }
    if (!row) conv.autonomy = card.autonomy_level || conv.autonomy;
    if (card.state && typeof card.state.visitor_read_seq === "number") conv.visitorRead = card.state.visitor_read_seq;
    conv.reason = (row ? row.escalation_reason : "") || card.reason || "";
    conv.messages.clear();
    conv.maxSeq = 0;
    for (const message of Array.isArray(card.transcript) ? card.transcript : []) {
      if (message && typeof message.seq === "number") {
        conv.messages.set(message.seq, { message, node: null });
        conv.maxSeq = Math.max(conv.maxSeq, message.seq);
      }
    }
    conv.notes.clear();
    for (const note of list(card.notes)) if (note && typeof note.id === "number") conv.notes.set(note.id, note);
    conv.flagged = new Set(list(card.flags).map((flag) => flag && flag.message_seq).filter((seq) => typeof seq === "number"));
    conv.rating = card.my_handoff_rating && typeof card.my_handoff_rating.score === "number" ? card.my_handoff_rating : null;
    renderTranscript(true);
    renderCard();
    renderRating();
    if (!conv.copilot) copilotLoad(conv);
    if (conv.status !== "closed") cannedLoad(conv); // ready before the agent types "/"
    if (!row) lookUpRow(conv);
    renderConversationHeader();
    renderConversationState();
    renderReadReceipt();
    sendRead();
    // Messages sent before a reconnect and never acknowledged: send them again (same client_id).
    for (const [clientId, pending] of state.pending) {
      if (pending.conversationId === conv.id && pending.status === "sending") {
        const frame = { type: "message.send", conversation_id: conv.id, client_id: clientId, text: pending.text };
        if (typeof pending.suggestionId === "number") frame.suggestion_id = pending.suggestionId;
        send(frame);
      }
    }
  }

  // The card carries no status or owner: for a conversation the live inbox does not list (closed,
  // or beyond the inbox limit), ask the staff API once.
  function lookUpRow(conv) {
    if (conv.lookedUp || !window.fetch) return;
    conv.lookedUp = true;
    fetch(`${apiInboxUrl}?closed=1`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        const rows = data && Array.isArray(data.conversations) ? data.conversations : [];
        const row = rows.find((candidate) => candidate && candidate.id === conv.id);
        if (!row || state.conv !== conv || state.known.has(conv.id)) return;
        state.known.set(row.id, row);
        syncFromRow(row);
      })
      .catch(() => {});
  }

  function onMessage(conversationId, message) {
    const conv = state.conv;
    if (!conv || conversationId !== conv.id || typeof message.seq !== "number") return;
    if (message.author_kind === "customer") {
      hideTyping();
      // With a person (or waiting for one), routing still records what the customer's words show.
      if (conv.owner === "agent" || conv.owner === "queue") scheduleWhyRefresh(conv);
      scheduleCopilotRefresh(conv);
    }
    addMessage(message);
    sendRead();
  }

  function onTyping(frame) {
    const conv = state.conv;
    if (!conv || frame.conversation_id !== conv.id || frame.author_kind !== "customer") return;
    if (frame.active && conv.status !== "closed") {
      el.typing.hidden = false;
      clearTimeout(conv.typingTimer);
      conv.typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
    } else {
      hideTyping();
    }
  }

  function hideTyping() {
    el.typing.hidden = true;
    if (state.conv) clearTimeout(state.conv.typingTimer);
  }

  function onAck(frame) {
    const pending = state.pending.get(frame.client_id);
    if (!pending) return;
    state.pending.delete(frame.client_id);
    const conv = state.conv;
    if (!conv || conv.id !== pending.conversationId || typeof frame.seq !== "number") {
      if (pending.node) pending.node.remove();
      return;
    }
    if (conv.messages.has(frame.seq)) {
      // The live message arrived first: it is already shown.
      if (pending.node) pending.node.remove();
      return;
    }
    const message = {
      id: null,
      seq: frame.seq,
      client_id: null,
      author_kind: "human",
      author_name: me.name,
      provenance: "human",
      text: pending.text,
      sources: [],
      created_at: new Date().toISOString(),
    };
    if (pending.node) pending.node.remove();
    addMessage(message, { own: true });
  }

  function onError(frame) {
    const code = typeof frame.code === "string" ? frame.code : "";
    const text = tOr(`error_${code}`, typeof frame.message === "string" && frame.message ? frame.message : code);
    if (typeof frame.client_id === "string" && state.pending.has(frame.client_id)) {
      const pending = state.pending.get(frame.client_id);
      pending.status = "failed";
      if (pending.node) markPendingFailed(pending, frame.client_id);
    }
    if (typeof frame.client_id === "string" && state.pendingNotes.has(frame.client_id)) {
      const pending = state.pendingNotes.get(frame.client_id);
      state.pendingNotes.delete(frame.client_id);
      if (pending.node) {
        pending.node.classList.add("is-failed");
        const status = pending.node.querySelector(".note__status");
        if (status) status.textContent = t("noteNotSaved");
      }
    }
    const conv = state.conv;
    if (conv) clearBusy(conv);
    // A flag or a rating refused (they carry no client_id): the form is usable again.
    if (conv && conv.flagging !== null && typeof frame.client_id !== "string") {
      conv.flagging = null;
      renderFlagForms();
    }
    if (conv && conv.ratingBusy && typeof frame.client_id !== "string") {
      conv.ratingBusy = false;
      renderRating();
    }
    if (code.startsWith("draft_") || code.startsWith("message_")) approvalsIdle();
    if (code === "presence_invalid" || code === "capacity_invalid") presenceIdle();
    renderConversationState();
    // A refused transfer is explained in the transfer form, next to the choice that was refused.
    if (conv && conv.transferring && typeof frame.client_id !== "string" && !el.transferPanel.hidden) {
      transferIdle(conv);
      showTransferError(text, code);
      return;
    }
    toast(text, code);
  }

  function checkForGap(lastSeq) {
    const conv = state.conv;
    if (!conv || !conv.loaded || lastSeq <= conv.maxSeq) return;
    clearTimeout(conv.gapTimer);
    conv.gapTimer = setTimeout(() => {
      const row = state.known.get(conv.id);
      if (state.conv === conv && row && (row.last_seq || 0) > conv.maxSeq) {
        // A live message went missing: the card carries the whole transcript again.
        send({ type: "conversation.open", conversation_id: conv.id });
      }
    }, 2500);
  }

  // ---------------------------------------------------------------------------------------------
  // Inbox.
  // ---------------------------------------------------------------------------------------------
  const itemNodes = new Map(); // conversation id -> <li>

  function groupOf(row) {
    if (row.status === "closed") return "closed";
    if (row.owner === "queue") return "queue";
    if (row.owner === "ai") return "ai";
    return row.agent_id === me.id ? "mine" : "others";
  }

  function renderInbox() {
    const groups = { queue: [], mine: [], ai: [], others: [], closed: [] };
    let total = 0;
    let waiting = 0;
    const candidates = [...state.rows.values(), ...(state.closedLoaded ? state.closedRows.values() : [])];
    for (const row of candidates) {
      const group = groupOf(row);
      if (!groups[group]) continue;
      if (group === "closed" && state.rows.has(row.id)) continue;
      total += 1;
      if (group === "queue") waiting += 1;
      if (rowMatches(row)) groups[group].push(row);
    }
    if (!waiting) state.alerts = 0;
    const byQueuedAt = (a, b) =>
      (parseTime(a.queued_at) ?? parseTime(a.updated_at) ?? 0) - (parseTime(b.queued_at) ?? parseTime(b.updated_at) ?? 0) ||
      a.id - b.id;
    const byRecent = (a, b) => (parseTime(b.updated_at) || 0) - (parseTime(a.updated_at) || 0) || b.id - a.id;
    groups.queue.sort(byQueuedAt);
    groups.mine.sort(byRecent);
    groups.ai.sort(byRecent);
    groups.others.sort(byRecent);
    groups.closed.sort(byRecent);

    const seen = new Set();
    for (const [group, rows] of Object.entries(groups)) {
      const list = el.lists[group];
      rows.forEach((row, index) => {
        seen.add(row.id);
        let item = itemNodes.get(row.id);
        if (!item) {
          item = buildInboxItem(row.id);
          itemNodes.set(row.id, item);
        }
        fillInboxItem(item, row, group);
        if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
      });
      while (list.children.length > rows.length) list.lastElementChild.remove();
      if (group === "closed" && !state.closedLoaded) {
        el.counts.closed.textContent = "…";
        list.parentElement.classList.remove("is-empty");
        continue;
      }
      el.counts[group].textContent = String(rows.length);
      list.parentElement.classList.toggle("is-empty", rows.length === 0);
    }
    renderFilterSummary(Object.values(groups).reduce((sum, rows) => sum + rows.length, 0), total);
    fillFilterOptions();
    for (const [id, item] of itemNodes) {
      if (!seen.has(id)) {
        item.remove();
        itemNodes.delete(id);
      }
    }
    updateTitle(waiting);
    renderApprovals();
    tickClocks();
  }

  function buildInboxItem(id) {
    const button = h("button", {
      type: "button",
      class: "item",
      "data-testid": "inbox-item",
      "data-conversation-id": String(id),
      onclick: () => selectConversation(id),
    });
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    const name = h("span", { class: "item__name" });
    const time = h("span", { class: "item__time" });
    const top = h("span", { class: "item__top" }, [name, time]);
    const sub = h("span", { class: "item__sub" });
    const tags = h("span", { class: "item__tags" });
    const body = h("span", { class: "item__body" }, [top, sub, tags]);
    button.append(avatar, body);
    return h("li", { class: "inbox-row" }, [button]);
  }

  function fillInboxItem(item, row, group) {
    const button = item.firstElementChild;
    const [avatar, body] = button.children;
    const [top, sub, tags] = body.children;
    const [name, time] = top.children;
    const customer = row.customer || t("authorCustomer");
    button.dataset.owner = row.owner;
    button.dataset.group = group;
    const selected = state.conv && state.conv.id === row.id;
    if (selected) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    button.classList.toggle("is-fresh", state.fresh.has(row.id));
    button.classList.toggle("is-unread", state.unread.has(row.id));
    if (avatar.dataset.name !== customer) {
      paintAvatar(avatar, customer);
      avatar.dataset.name = customer;
    }
    name.textContent = customer;
    if (group === "queue") {
      time.dataset.waitSince = row.queued_at || row.updated_at || "";
      delete time.dataset.ago;
      time.classList.add("item__time--wait");
    } else {
      time.dataset.ago = row.updated_at || "";
      delete time.dataset.waitSince;
      time.classList.remove("item__time--wait", "is-warn", "is-late");
    }
    if (group === "queue" && row.escalation_reason) {
      sub.textContent = row.escalation_reason;
      sub.classList.add("item__sub--reason");
    } else {
      sub.textContent = row.last_message || "—";
      sub.classList.remove("item__sub--reason");
    }
    tags.replaceChildren();
    if (state.fresh.has(row.id)) tags.append(h("span", { class: "tag tag--new", text: t("newInQueue") }));
    if (state.unread.has(row.id)) tags.append(h("span", { class: "tag tag--unread", text: t("unread") }));
    if (group === "others" && row.agent_name) tags.append(h("span", { class: "tag tag--agent", text: row.agent_name }));
    if (row.autonomy_level === "human_only") {
      tags.append(h("span", { class: "tag tag--level", text: t("level_human_only") }));
    }
    if (group === "queue" && Number(row.priority) > 0) {
      tags.append(h("span", { class: "tag tag--priority", "data-testid": "priority", text: t("priorityTag", { n: row.priority }) }));
    }
    if (group === "closed" && row.outcome) {
      tags.append(h("span", { class: "tag tag--outcome", "data-testid": "outcome", text: tOr(`outcome_${row.outcome}`, humanize(row.outcome)) }));
    }
    if (row.channel && row.channel !== "widget") tags.append(h("span", { class: "tag", text: tOr(`channel_${row.channel}`, row.channel) }));
    if (row.locale) tags.append(h("span", { class: "tag tag--locale", text: String(row.locale).toUpperCase() }));
    tags.hidden = tags.childElementCount === 0;
  }

  function tickClocks() {
    const now = Date.now();
    for (const node of $$(".item__time[data-wait-since]")) {
      const since = parseTime(node.dataset.waitSince);
      if (since === null) {
        node.textContent = "";
        continue;
      }
      const waited = now - since;
      node.textContent = formatWait(waited);
      node.title = t("waitingFor", { time: formatWait(waited) });
      node.classList.toggle("is-warn", waited >= 120000 && waited < 300000);
      node.classList.toggle("is-late", waited >= 300000);
    }
    for (const node of $$(".item__time[data-ago]")) {
      const at = parseTime(node.dataset.ago);
      node.textContent = at === null ? "" : formatAgo(at);
      node.title = at === null ? "" : fmtFull.format(at);
    }
    // Fade the "new in queue" highlight after a while.
    let changed = false;
    for (const [id, at] of state.fresh) {
      if (now - at > NEW_HIGHLIGHT_MS) {
        state.fresh.delete(id);
        changed = true;
      }
    }
    if (changed) renderInbox();
  }

  function updateTitle(waiting) {
    let title = waiting > 0 ? `(${waiting}) ${t("appName")}` : t("appName");
    if (state.alerts > 0) title = `(${state.alerts}) ${t("titleNewHandoff")}`;
    if (document.title !== title) document.title = title;
  }

  // ---------------------------------------------------------------------------------------------
  // Selecting a conversation.
  // ---------------------------------------------------------------------------------------------
  function selectConversation(id, hint) {
    if (typeof id !== "number" || !Number.isFinite(id)) return;
    const previous = state.conv;
    if (previous && previous.id === id) {
      if (!previous.loaded) send({ type: "conversation.open", conversation_id: id });
      return;
    }
    if (previous) {
      saveDraft(previous.id);
      stopTyping();
      suggestionsLeft(previous);
      clearTimeout(previous.copilotTimer);
      clearTimeout(previous.gapTimer);
      clearTimeout(previous.busyTimer);
      clearTimeout(previous.typingTimer);
      clearTimeout(previous.whyTimer);
      if (previous.transferring) clearTimeout(previous.transferring.timer);
    }
    closeTransfer();
    closeClosePanel();
    cannedClose();
    const wasQueued = state.fresh.has(id) || (state.known.get(id) && state.known.get(id).owner === "queue");
    state.conv = newConversationView(id, hint);
    state.fresh.delete(id);
    state.unread.delete(id);
    if (wasQueued) state.alerts = 0;
    const row = state.known.get(id);
    if (row) syncFromRow(row);
    if (window.location.hash !== `#c${id}`) history.replaceState(null, "", `#c${id}`);
    el.placeholder.hidden = true;
    el.view.hidden = false;
    el.handBackNote.value = "";
    el.reply.value = state.drafts.get(id) || "";
    hideTyping();
    el.transcript.replaceChildren(h("div", { class: "transcript__loading", text: t("loading") }));
    el.jump.hidden = true;
    el.cardPlaceholder.hidden = false;
    el.cardBody.hidden = true;
    el.card.removeAttribute("data-conversation-id");
    setMode("reply");
    hideWarning();
    resetCopilot();
    el.rating.hidden = true;
    renderConversationHeader();
    renderConversationState();
    renderInbox();
    send({ type: "conversation.open", conversation_id: id });
    document.dispatchEvent(new CustomEvent("cxhub:conversation", { detail: { id } }));
  }

  function saveDraft(id) {
    const text = el.reply.value;
    if (text.trim()) state.drafts.set(id, text);
    else state.drafts.delete(id);
  }

  // ---------------------------------------------------------------------------------------------
  // Conversation header, owner label and actions.
  // ---------------------------------------------------------------------------------------------
  function isMine(conv) {
    return conv.owner === "agent" && conv.agentId === me.id;
  }

  function ownerText(conv) {
    if (conv.owner === "ai") return t("ownerAi");
    if (conv.owner === "queue") return t("ownerQueue");
    if (conv.owner === "agent") return conv.agentName ? t("ownerAgent", { name: conv.agentName }) : t("ownerAgentUnknown");
    return t("ownerUnknown");
  }

  function renderConversationHeader() {
    const conv = state.conv;
    if (!conv) return;
    const row = state.known.get(conv.id);
    const card = conv.card;
    const name = (card && card.customer && card.customer.name) || (row && row.customer) || t("authorCustomer");
    el.customer.textContent = name;
    paintAvatar(el.avatar, name);
    const parts = [t("conversationNumber", { id: conv.id })];
    const channel = row && row.channel;
    if (channel) parts.push(tOr(`channel_${channel}`, channel));
    const locale = (row && row.locale) || (card && card.customer && card.customer.locale);
    if (locale) parts.push(String(locale).toUpperCase());
    el.meta.textContent = parts.join(" · ");

    el.owner.dataset.owner = conv.owner || "";
    el.owner.textContent = ownerText(conv);
    el.owner.classList.toggle("is-mine", isMine(conv));
    el.owner.title = isMine(conv) ? t("youBadge") : "";
    el.owner.hidden = !conv.owner && conv.status === "closed";
    el.closed.hidden = conv.status !== "closed";
  }

  function renderConversationState() {
    const conv = state.conv;
    if (!conv) return;
    const online = state.connection === "open" && isOpen();
    const open = conv.status !== "closed";
    const mine = isMine(conv);
    const ready = online && conv.loaded && open && !conv.busy;
    const canTakeOver = ready && (conv.owner === "ai" || conv.owner === "queue" || conv.owner === null);
    const canHandBack = ready && mine;
    const canClose = ready && (mine || conv.owner === "ai" || conv.owner === "queue");
    const canReply = online && conv.loaded && open && mine;

    el.takeOver.disabled = !canTakeOver;
    el.handBack.disabled = !canHandBack;
    el.handBackNote.disabled = !canHandBack;
    el.close.disabled = !canClose;
    el.transferButton.hidden = !(mine && open);
    el.transferButton.disabled = !ready || !mine;
    if (!mine || !open) closeTransfer();
    else renderTransferForm();
    el.takeOver.textContent = conv.busy === "take_over" ? t("takingOver") : t("takeOver");
    el.handBack.textContent = conv.busy === "hand_back" ? t("handingBack") : t("handBack");
    el.close.textContent = conv.busy === "close" ? t("closing") : t("close");
    el.handBack.title = mine && conv.autonomy === "human_only" ? t("humanOnlyHint") : "";
    el.view.dataset.mine = mine ? "true" : "false";
    el.view.dataset.status = conv.status || "";

    const noteMode = state.mode === "note";
    const canNote = online && conv.loaded;
    if (!canClose) closeClosePanel();
    el.reply.disabled = noteMode ? !canNote : !canReply;
    el.cannedButton.disabled = el.reply.disabled;
    if (el.reply.disabled) cannedClose();
    let placeholder;
    if (noteMode) placeholder = canNote ? t("notePlaceholder") : t("replyOffline");
    else if (!open) placeholder = t("replyClosed");
    else if (!online) placeholder = t("replyOffline");
    else if (mine) placeholder = t("replyPlaceholder");
    else if (conv.owner === "queue") placeholder = t("replyQueue");
    else if (conv.owner === "ai") placeholder = t("replyAi");
    else if (conv.owner === "agent") placeholder = t("replyOther", { name: conv.agentName || t("authorAgent") });
    else placeholder = t("replyTakeOverFirst");
    el.reply.placeholder = placeholder;
    el.hint.textContent = canReply ? t("replyHint") : "";
    el.hint.classList.toggle("is-warning", false);
    if (noteMode) el.hint.textContent = canNote ? t("noteHint") : "";
    else if (mine && open && conv.autonomy === "human_only") {
      el.hint.textContent = t("humanOnlyHint");
      el.hint.classList.add("is-warning");
    }
    updateSendButton();
    renderSuggestionButtons();
  }

  function updateSendButton() {
    const conv = state.conv;
    const length = el.reply.value.length;
    const canReply = !el.reply.disabled && conv && (state.mode === "note" || isMine(conv));
    el.send.disabled = !canReply || el.reply.value.trim() === "" || length > MAX_REPLY_CHARS;
    el.counter.textContent = length > MAX_REPLY_CHARS * 0.8 ? `${length} / ${MAX_REPLY_CHARS}` : "";
    el.counter.classList.toggle("is-over", length > MAX_REPLY_CHARS);
  }

  function setBusy(conv, action) {
    conv.busy = action;
    clearTimeout(conv.busyTimer);
    conv.busyTimer = setTimeout(() => {
      if (conv.busy === action) {
        conv.busy = null;
        renderConversationState();
      }
    }, ACTION_TIMEOUT_MS);
    renderConversationState();
  }

  function clearBusy(conv) {
    conv.busy = null;
    clearTimeout(conv.busyTimer);
  }

  function takeOver() {
    const conv = state.conv;
    if (!conv || el.takeOver.disabled) return;
    if (send({ type: "conversation.take_over", conversation_id: conv.id })) setBusy(conv, "take_over");
  }

  function handBack() {
    const conv = state.conv;
    if (!conv || el.handBack.disabled) return;
    const note = el.handBackNote.value.trim().slice(0, 1000);
    if (send({ type: "conversation.hand_back", conversation_id: conv.id, note })) setBusy(conv, "hand_back");
  }

  // Close asks how it ended first: the outcome feeds the dashboard and the follow-ups.
  function closeConversation() {
    const conv = state.conv;
    if (!conv || el.close.disabled) return;
    if (!el.closePanel.hidden) return closeClosePanel();
    closeTransfer();
    el.closePanel.hidden = false;
    el.close.setAttribute("aria-expanded", "true");
    const checked = el.closePanel.querySelector("input[name=outcome]:checked") || el.closePanel.querySelector("input[name=outcome]");
    if (checked) checked.focus();
  }

  function closeClosePanel() {
    if (!el.closePanel || el.closePanel.hidden) return;
    el.closePanel.hidden = true;
    el.close.setAttribute("aria-expanded", "false");
  }

  function submitClose(event) {
    event.preventDefault();
    const conv = state.conv;
    if (!conv || el.close.disabled) return;
    const picked = el.closePanel.querySelector("input[name=outcome]:checked");
    const outcome = picked ? picked.value : "resolved";
    stopTyping();
    if (send({ type: "conversation.close", conversation_id: conv.id, outcome })) {
      setBusy(conv, "close");
      closeClosePanel();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Replying, with the agent's own typing indicator.
  // ---------------------------------------------------------------------------------------------
  let typingSentAt = 0;
  let typingActive = false;
  let typingStopTimer = null;

  function noteTyping() {
    const conv = state.conv;
    if (!conv || !isMine(conv) || state.mode === "note") return;
    const now = Date.now();
    if (!typingActive || now - typingSentAt > 3000) {
      if (send({ type: "typing", conversation_id: conv.id, active: true })) {
        typingActive = true;
        typingSentAt = now;
      }
    }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(typingStopTimer);
    if (typingActive && state.conv) send({ type: "typing", conversation_id: state.conv.id, active: false });
    typingActive = false;
  }

  function sendReply() {
    const conv = state.conv;
    if (!conv || el.send.disabled) return;
    const text = el.reply.value.trim();
    if (!text) return;
    if (state.mode === "note") return sendNote(conv, text);
    messageSend(conv, text, conv.insertedSuggestion);
    el.reply.value = "";
    state.drafts.delete(conv.id);
    hideWarning();
    updateSendButton();
    el.reply.focus();
  }

  // With the copilot suggestion it came from, the server tells used from edited and the customer sees
  // "with AI assistance".
  function messageSend(conv, text, suggestionId) {
    const clientId = uuid();
    const pending = { conversationId: conv.id, text, status: "sending", node: null, suggestionId: suggestionId || null };
    state.pending.set(clientId, pending);
    pending.node = buildPendingNode(pending, clientId);
    el.transcript.appendChild(pending.node);
    scrollToBottom();
    stopTyping();
    const frame = { type: "message.send", conversation_id: conv.id, client_id: clientId, text };
    if (typeof suggestionId === "number") {
      frame.suggestion_id = suggestionId;
      conv.usedSuggestions.add(suggestionId);
      const item = el.suggestions.querySelector(`[data-suggestion-id="${suggestionId}"]`);
      if (item) item.classList.add("is-used");
    }
    conv.insertedSuggestion = null;
    conv.sentSinceSuggestions = true;
    send(frame);
  }

  function buildPendingNode(pending, clientId) {
    const node = buildMessageNode(
      {
        seq: null,
        author_kind: "human",
        author_name: me.name,
        provenance: "human",
        text: pending.text,
        sources: [],
        created_at: new Date().toISOString(),
      },
      { pending: true }
    );
    node.dataset.clientId = clientId;
    return node;
  }

  function markPendingFailed(pending, clientId) {
    const node = pending.node;
    node.classList.remove("is-pending");
    node.classList.add("is-failed");
    const status = node.querySelector(".msg__status");
    if (!status) return;
    status.replaceChildren(
      h("span", { text: t("notSent") }),
      h("button", {
        type: "button",
        class: "link-button",
        text: t("retry"),
        onclick: () => {
          const conv = state.conv;
          if (!conv || conv.id !== pending.conversationId || !isMine(conv) || !isOpen()) {
            toast(t("error_not_owner"), "not_owner");
            return;
          }
          pending.status = "sending";
          node.classList.remove("is-failed");
          node.classList.add("is-pending");
          status.replaceChildren(h("span", { text: t("sending") }));
          const frame = { type: "message.send", conversation_id: conv.id, client_id: clientId, text: pending.text };
          if (typeof pending.suggestionId === "number") frame.suggestion_id = pending.suggestionId;
          send(frame);
        },
      })
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Transcript.
  // ---------------------------------------------------------------------------------------------
  function authorLabel(message) {
    switch (message.author_kind) {
      case "customer":
        return t("authorCustomer");
      case "ai":
        return t("authorAi");
      case "human":
        return message.author_name || t("authorAgent");
      case "system":
        return t("authorSystem");
      default:
        return humanize(message.author_kind);
    }
  }

  function buildMessageNode(message, options) {
    const kind = ["customer", "ai", "human", "system"].includes(message.author_kind) ? message.author_kind : "system";
    const createdAt = parseTime(message.created_at);
    const node = h("article", {
      class: `msg msg--${kind}`,
      "data-testid": "message",
      "data-author-kind": message.author_kind,
      "data-seq": message.seq === null || message.seq === undefined ? "" : String(message.seq),
    });
    if (options && options.pending) node.classList.add("is-pending");
    if (kind === "human" && message.author_name && message.author_name === me.name) node.classList.add("is-own");

    const meta = h("header", { class: "msg__meta" });
    meta.append(h("span", { class: "msg__author", "data-testid": "author", text: authorLabel(message) }));
    // Who wrote it, on every reply: the AI, a person, an AI draft a person approved, a person with AI help.
    const provenance = message.provenance || (kind === "ai" ? "ai" : kind === "human" ? "human" : "");
    node.dataset.provenance = provenance;
    if (kind === "ai" || kind === "human") {
      const plain = provenance === "ai" || provenance === "human";
      meta.append(
        h("span", {
          class: plain ? `badge badge--prov badge--${provenance === "ai" ? "ai" : "person"}` : "msg__provenance",
          "data-testid": "provenance",
          "data-provenance": provenance,
          title: plain ? t(`provenanceTitle_${provenance}`) : null,
          text: tOr(`provenance_${provenance}`, humanize(provenance)),
        })
      );
    }
    if (createdAt !== null) {
      meta.append(
        h("time", {
          class: "msg__time",
          datetime: new Date(createdAt).toISOString(),
          title: fmtFull.format(createdAt),
          text: fmtTime.format(createdAt),
        })
      );
    }

    const bubble = h("div", { class: "msg__bubble" }, [h("div", { class: "msg__text", "data-testid": "text", text: message.text || "" })]);
    const sources = Array.isArray(message.sources) ? message.sources.filter((s) => s && (s.title || s.slug)) : [];
    if (kind === "ai" && sources.length) {
      const list = h("ul", { class: "msg__sources", "data-testid": "sources" });
      for (const source of sources) {
        list.append(h("li", { class: "source", title: source.slug || "", text: source.title || source.slug }));
      }
      bubble.append(h("div", { class: "msg__sources-wrap" }, [h("span", { class: "msg__sources-label", text: t("sources") }), list]));
    }
    node.append(meta, bubble);
    if (options && options.pending) node.append(h("div", { class: "msg__status" }, [h("span", { text: t("sending") })]));
    else if (kind === "ai" && typeof message.seq === "number") node.append(flagControls(message));
    return node;
  }

  function dividerNode(ms) {
    return h("div", { class: "day-divider", role: "separator", "data-day": dayKey(ms) }, [h("span", { text: dayLabel(ms) })]);
  }

  function pendingNodesOf(conv) {
    const nodes = [];
    for (const pending of state.pending.values()) {
      if (pending.conversationId === conv.id && pending.node) nodes.push(pending.node);
    }
    return nodes;
  }

  function renderTranscript(stickToBottom) {
    const conv = state.conv;
    if (!conv) return;
    const wasNearBottom = isNearBottom();
    const previousScroll = el.transcript.scrollTop;
    const fragment = document.createDocumentFragment();
    let lastDay = null;
    const seqs = Array.from(conv.messages.keys()).sort((a, b) => a - b);
    // Notes sit among the messages by time.
    const notes = notesInOrder(conv);
    for (const seq of seqs) {
      const entry = conv.messages.get(seq);
      const at = parseTime(entry.message.created_at);
      while (notes.length && at !== null && (parseTime(notes[0].created_at) ?? 0) < at) fragment.append(buildNoteNode(notes.shift()));
      if (at !== null && dayKey(at) !== lastDay) {
        fragment.append(dividerNode(at));
        lastDay = dayKey(at);
      }
      entry.node = buildMessageNode(entry.message);
      fragment.append(entry.node);
    }
    for (const note of notes) fragment.append(buildNoteNode(note));
    for (const pending of state.pendingNotes.values()) if (pending.conversationId === conv.id && pending.node) fragment.append(pending.node);
    for (const node of pendingNodesOf(conv)) fragment.append(node);
    el.transcript.replaceChildren(fragment);
    el.transcript.dataset.lastDay = lastDay || "";
    renderReadReceipt();
    if (stickToBottom || wasNearBottom) scrollToBottom();
    else el.transcript.scrollTop = previousScroll;
  }

  function addMessage(message, options) {
    const conv = state.conv;
    const existing = conv.messages.get(message.seq);
    if (existing) {
      // Same seq seen twice (ack then live message): keep one, refreshed with the server's copy.
      if (options && options.own) return;
      existing.message = message;
      if (existing.node && existing.node.isConnected) {
        const fresh = buildMessageNode(message);
        existing.node.replaceWith(fresh);
        existing.node = fresh;
        renderReadReceipt();
      }
      return;
    }
    const nearBottom = isNearBottom();
    const entry = { message, node: null };
    conv.messages.set(message.seq, entry);
    if (message.seq < conv.maxSeq) {
      renderTranscript(false);
      return;
    }
    conv.maxSeq = message.seq;
    const at = parseTime(message.created_at);
    const firstPending = pendingNodesOf(conv).find((node) => node.isConnected) || null;
    if (at !== null && dayKey(at) !== el.transcript.dataset.lastDay) {
      el.transcript.insertBefore(dividerNode(at), firstPending);
      el.transcript.dataset.lastDay = dayKey(at);
    }
    const loading = el.transcript.querySelector(".transcript__loading");
    if (loading) loading.remove();
    entry.node = buildMessageNode(message);
    el.transcript.insertBefore(entry.node, firstPending);
    renderReadReceipt();
    if (nearBottom || (options && options.own)) scrollToBottom();
    else el.jump.hidden = false;
  }

  function isNearBottom() {
    const node = el.transcript;
    return node.scrollHeight - node.scrollTop - node.clientHeight < 120;
  }

  function scrollToBottom() {
    el.transcript.scrollTop = el.transcript.scrollHeight;
    el.jump.hidden = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Handoff card.
  // ---------------------------------------------------------------------------------------------
  function renderCard() {
    const conv = state.conv;
    if (!conv || !conv.card) return;
    const card = conv.card;
    el.card.dataset.conversationId = String(conv.id);
    el.cardPlaceholder.hidden = true;
    el.cardBody.hidden = false;

    renderSignals();
    renderReason();
    renderWhy();

    el.summary.textContent = card.summary || t("cardNoSummary");
    el.summary.classList.toggle("is-muted", !card.summary);

    el.tried.replaceChildren();
    const tried = Array.isArray(card.tried) ? card.tried : [];
    for (const item of tried) {
      if (!item) continue;
      const value = typeof item.confidence === "number" ? item.confidence : null;
      const percent = value === null ? null : Math.round((value <= 1 ? value * 100 : value) * 1) / 1;
      const bar = h("span", { class: "meter", "aria-hidden": "true" }, [h("span", { class: "meter__fill" })]);
      if (percent !== null) {
        bar.firstChild.style.width = `${Math.max(0, Math.min(100, percent))}%`;
        bar.classList.toggle("is-low", percent < 45);
      }
      el.tried.append(
        h("li", { class: "tried__item" }, [
          h("span", { class: "tried__title", title: item.article || "", text: item.title || item.article || "—" }),
          h("span", { class: "tried__confidence" }, [
            bar,
            h("span", { class: "tried__value", text: percent === null ? "—" : t("confidence", { value: `${percent}%` }) }),
          ]),
        ])
      );
    }
    if (!tried.length) el.tried.append(h("li", { class: "tried__empty", text: t("cardNothingTried") }));
    const abstentions = Number(card.ai_abstentions) || 0;
    el.abstentions.textContent = abstentions > 0 ? t("cardAbstentions", { n: abstentions }) : "";
    el.abstentions.hidden = abstentions === 0;

    renderAutonomy();

    const customer = card.customer || {};
    el.customerFacts.replaceChildren();
    const fact = (label, value, className) =>
      el.customerFacts.append(h("dt", { text: label }), h("dd", { class: className || null }, [value]));
    fact(t("factName"), customer.name || "—");
    fact(t("factEmail"), customer.email || t("noEmail"), customer.email ? null : "is-muted");
    if (customer.phone) fact(t("factPhone"), customer.phone);
    const proofs = [];
    if (customer.email) proofs.push(verifiedBadge(customer.email_verified, "Email"));
    if (customer.phone) proofs.push(verifiedBadge(customer.phone_verified, "Phone"));
    if ("email_verified" in customer || "phone_verified" in customer) {
      fact(
        t("factVerification"),
        h("span", { class: "badges", "data-testid": "customer-verification" }, proofs.length ? proofs : [h("span", { class: "badge badge--muted", text: t("nothingVerified") })])
      );
    }
    if (customer.vip) fact(t("factVip"), h("span", { class: "badge badge--vip", "data-testid": "customer-vip", text: t("vipCustomer") }));
    if (customer.segment) fact(t("factSegment"), h("span", { "data-testid": "customer-segment", text: customer.segment }));
    fact(
      t("factIdentity"),
      h("span", {
        class: `badge ${customer.identified ? "badge--ok" : "badge--muted"}`,
        "data-testid": "customer-identified",
        "data-identified": customer.identified ? "true" : "false",
        text: customer.identified ? t("identified") : t("anonymous"),
      })
    );
    if (customer.locale) fact(t("factLocale"), String(customer.locale).toUpperCase());

    el.previous.replaceChildren();
    const previous = Array.isArray(customer.previous_conversations) ? customer.previous_conversations : [];
    for (const item of previous) {
      if (!item || typeof item.id !== "number") continue;
      const at = parseTime(item.created_at);
      el.previous.append(
        h("li", {}, [
          h(
            "button",
            {
              type: "button",
              class: "previous__item",
              "data-conversation-id": String(item.id),
              onclick: () => selectConversation(item.id, { status: item.status }),
            },
            [
              h("span", { class: "previous__id", text: `#${item.id}` }),
              h("span", { class: `status-dot status-dot--${item.status === "open" ? "open" : "closed"}`, text: tOr(`status_${item.status}`, humanize(item.status)) }),
              item.channel ? h("span", { class: "tag previous__channel", "data-testid": "previous-channel", text: tOr(`channel_${item.channel}`, item.channel) }) : null,
              item.outcome ? h("span", { class: "previous__outcome", text: tOr(`outcome_${item.outcome}`, humanize(item.outcome)) }) : null,
              h("span", { class: "previous__date", text: at === null ? "" : fmtDate.format(at) }),
            ]
          ),
        ])
      );
    }
    if (!previous.length) el.previous.append(h("li", { class: "previous__empty", text: t("cardNoPrevious") }));
  }

  function verifiedBadge(verified, what) {
    return h("span", {
      class: `badge ${verified ? "badge--ok" : "badge--muted"}`,
      "data-testid": `verified-${what.toLowerCase()}`,
      "data-verified": verified ? "true" : "false",
      text: t(`${verified ? "verified" : "unverified"}${what}`),
    });
  }

  function renderSignals() {
    const card = state.conv.card;
    el.signals.replaceChildren();
    for (const signal of Array.isArray(card.signals) ? card.signals : []) {
      const code = typeof signal === "string" ? signal : signal && (signal.name || signal.code);
      if (!code) continue;
      el.signals.append(h("li", { class: "chip chip--signal", title: String(code), text: signalName(code) }));
    }
  }

  function renderReason() {
    const conv = state.conv;
    const reason = conv.reason || "";
    el.reason.textContent = reason || t("cardNoReason");
    el.reason.dataset.empty = reason ? "false" : "true";
    el.reason.classList.toggle("is-muted", !reason);
    // Signals belong to the current escalation: none once the conversation went back to the AI.
    el.signals.hidden = !reason || el.signals.childElementCount === 0;
  }

  function renderAutonomy() {
    const conv = state.conv;
    const level = conv.autonomy || (conv.card && conv.card.autonomy_level) || "";
    el.autonomy.textContent = level ? tOr(`level_${level}`, humanize(level)) : "—";
    el.autonomy.dataset.level = level;
    el.scale.replaceChildren();
    const index = AUTONOMY_LEVELS.indexOf(level);
    AUTONOMY_LEVELS.forEach((name, i) => {
      el.scale.append(
        h("li", {
          class: `scale__step${i === index ? " is-current" : ""}${i <= index ? " is-filled" : ""}`,
          title: t(`level_${name}`),
        })
      );
    });
  }

  // ---------------------------------------------------------------------------------------------
  // "Why is this here?": the routing decisions behind the conversation, the customer's own words,
  // reminders, the emotional context with a suggested next step, and transfers with their notes.
  // ---------------------------------------------------------------------------------------------
  function list(value) {
    return Array.isArray(value) ? value : [];
  }
  function quoted(text) {
    return t("quote", { text: String(text) });
  }
  function signalName(code) {
    return tOr(`signal_${code}`, humanize(code));
  }
  function topicName(code) {
    return tOr(`topic_${code}`, humanize(code).toLowerCase());
  }
  function percent(value) {
    return `${Math.round(Math.max(0, Math.min(1, Number(value) || 0)) * 100)}%`;
  }
  function timeNode(value) {
    const at = parseTime(value);
    if (at === null) return null;
    return h("time", {
      class: "why-time",
      datetime: new Date(at).toISOString(),
      title: fmtFull.format(at),
      text: dayKey(at) === dayKey(Date.now()) ? fmtTime.format(at) : `${fmtShortDate.format(at)} ${fmtTime.format(at)}`,
    });
  }

  function renderWhy() {
    const card = state.conv.card;
    const decisions = list(card.decisions).filter((d) => d && typeof d === "object");

    // Reminders first and loud: from the routing rules that fired, then the admin's compliance rules.
    const reminders = [];
    const seen = new Set();
    const remind = (text, name, kind) => {
      const key = String(text).trim();
      if (!key || seen.has(key)) return;
      seen.add(key);
      reminders.push({ text: key, name, kind });
    };
    for (const decision of decisions) for (const text of list(decision.reminders)) if (typeof text === "string") remind(text, "", "rule");
    for (const item of list(card.compliance_reminders)) if (item && typeof item.reminder === "string") remind(item.reminder, item.name || "", "compliance");
    el.whyRemindersList.replaceChildren(
      ...reminders.map((item) =>
        h("li", { class: "why-reminder", "data-testid": "reminder", "data-kind": item.kind }, [
          item.name ? h("strong", { class: "why-reminder__name", text: item.name }) : null,
          h("span", { class: "why-reminder__text", text: item.text }),
        ])
      )
    );
    el.whyReminders.hidden = reminders.length === 0;

    // How the customer seems, in their own words, and what to do about it.
    const emotion = card.emotional_context && typeof card.emotional_context === "object" ? card.emotional_context : null;
    el.emotion.replaceChildren();
    if (emotion) {
      const frustration = emotion.frustration;
      if (frustration && typeof frustration === "object") {
        const key = Number(frustration.strength) >= 0.6 ? "emotionVeryFrustrated" : "emotionFrustrated";
        el.emotion.append(
          h("li", {
            class: "why-emotion__item why-emotion__item--frustration",
            "data-emotion": "frustration",
            title: t("whyStrength", { value: percent(frustration.strength) }),
            text: t(key, { quote: frustration.evidence ? quoted(frustration.evidence) : "" }).replace(/[:\s]+$/, ""),
          })
        );
      }
      for (const topic of list(emotion.sensitive_topics)) {
        if (!topic || !topic.name) continue;
        const text = topic.evidence
          ? t("emotionSensitive", { topic: topicName(topic.name), quote: quoted(topic.evidence) })
          : t("emotionSensitiveNoWords", { topic: topicName(topic.name) });
        el.emotion.append(
          h("li", { class: "why-emotion__item why-emotion__item--sensitive", "data-emotion": "sensitive", "data-topic": topic.name, text })
        );
      }
    }
    el.emotion.hidden = el.emotion.childElementCount === 0;
    const step = emotion && typeof emotion.next_step === "string" ? emotion.next_step : "";
    const stepText = step ? tOr(`next_${step}`, "") : "";
    el.nextStep.dataset.step = step;
    el.nextStepText.textContent = stepText;
    el.nextStep.hidden = !stepText;
    el.nextStep.classList.toggle("is-calm", step === "answer");

    // Each routing decision: what it did, the signals with the words behind them, the rules that fired.
    el.decisions.replaceChildren(...decisions.map(buildDecision));
    el.decisionsBlock.hidden = decisions.length === 0;

    el.transfers.replaceChildren(...list(card.transfers).filter((x) => x && typeof x === "object").map(buildTransfer));
    el.transfersBlock.hidden = el.transfers.childElementCount === 0;
  }

  function buildDecision(decision) {
    const action = ["hand", "offer", "none"].includes(decision.action) ? decision.action : "none";
    const node = h("li", { class: `why-decision why-decision--${action}`, "data-testid": "why-decision", "data-action": action }, [
      h("div", { class: "why-decision__top" }, [
        h("span", { class: "why-action", text: t(`whyAction_${action}`) }),
        timeNode(decision.at),
      ]),
    ]);
    if (decision.reason) node.append(h("p", { class: "why-decision__reason", text: String(decision.reason) }));
    const signals = list(decision.signals).filter((s) => s && s.name);
    if (signals.length) {
      node.append(
        h(
          "ul",
          { class: "why-signals" },
          signals.map((signal) =>
            h("li", { class: "why-signal", "data-testid": "why-signal", "data-signal": signal.name, title: t("whyStrength", { value: percent(signal.strength) }) }, [
              h("span", { class: "why-signal__name", text: signalName(signal.name) }),
              signal.evidence ? h("span", { class: "why-signal__words", "data-testid": "why-words", text: quoted(signal.evidence) }) : null,
            ])
          )
        )
      );
    }
    for (const rule of list(decision.rules)) {
      if (!rule || !rule.name) continue;
      node.append(
        h("div", { class: "why-rule", "data-testid": "why-rule" }, [
          h("span", { class: "why-rule__name", text: t("whyRule", { name: rule.name }) }),
          h(
            "ul",
            { class: "why-rule__conditions" },
            list(rule.conditions).filter((c) => typeof c === "string").map((condition) => h("li", { text: condition }))
          ),
        ])
      );
    }
    return node;
  }

  function buildTransfer(transfer) {
    const from = transfer.from_agent || t("authorAgent");
    const line = transfer.to_team_id || transfer.to_team
      ? t("whyTransferTeam", { from, to: transfer.to_team || "—" })
      : t("whyTransferAgent", { from, to: transfer.to_agent || t("authorAgent") });
    return h("li", { class: "why-transfer", "data-testid": "why-transfer" }, [
      h("div", { class: "why-transfer__top" }, [h("span", { class: "why-transfer__who", text: line }), timeNode(transfer.at)]),
      transfer.note
        ? h("p", { class: "why-transfer__note", "data-testid": "why-transfer-note", text: quoted(transfer.note) })
        : h("p", { class: "why-transfer__note is-muted", text: t("whyNoNote") }),
    ]);
  }

  // The websocket sends the card only when a conversation is opened; the panel follows later
  // decisions and transfers from the staff API without redrawing the transcript. Debounced: the
  // card also brings the summary, which may be phrased by an LLM.
  function scheduleWhyRefresh(conv) {
    if (!conv || !conv.loaded || !window.fetch) return;
    clearTimeout(conv.whyTimer);
    conv.whyTimer = setTimeout(() => refreshWhy(conv), 1500);
  }

  function refreshWhy(conv) {
    fetch(`${apiInboxUrl}${conv.id}/handoff`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((card) => {
        if (!card || state.conv !== conv || !conv.card || card.conversation_id !== conv.id) return;
        for (const key of ["decisions", "emotional_context", "transfers", "compliance_reminders", "signals", "summary"]) {
          if (key in card) conv.card[key] = card[key];
        }
        renderSignals();
        renderReason();
        renderWhy();
        el.summary.textContent = conv.card.summary || t("cardNoSummary");
        el.summary.classList.toggle("is-muted", !conv.card.summary);
      })
      .catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // Presence (the header switch) and the team list, from GET /api/staff/agents on every connect,
  // then agent.presence frames. Loads change with every assignment, so the list is re-read then.
  // ---------------------------------------------------------------------------------------------
  const apiAgentsUrl = root.dataset.apiAgentsUrl || "/api/staff/agents";
  const presence = { pending: null, timer: null };
  let agentsTimer = null;

  function newer(row, previous) {
    if (!previous) return true;
    const next = parseTime(row.updated_at);
    const before = parseTime(previous.updated_at);
    return next === null || before === null || next >= before;
  }

  function loadAgents() {
    if (!window.fetch) return;
    fetch(apiAgentsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data || !Array.isArray(data.agents)) return;
        const agents = new Map();
        for (const row of data.agents) {
          if (!row || typeof row.id !== "number") continue;
          const previous = state.agents.get(row.id);
          // A presence frame that arrived while this answer was on its way is the fresher one.
          agents.set(row.id, newer(row, previous) ? row : Object.assign({}, row, {
            status: previous.status,
            capacity: previous.capacity,
            updated_at: previous.updated_at,
          }));
        }
        state.agents = agents;
        agentsChanged();
      })
      .catch(() => {});
  }

  function scheduleAgentsRefresh() {
    clearTimeout(agentsTimer);
    agentsTimer = setTimeout(loadAgents, 800);
  }

  function onAgentPresence(agent) {
    if (typeof agent.id !== "number") return;
    const previous = state.agents.get(agent.id);
    if (!newer(agent, previous)) return;
    state.agents.set(agent.id, agent);
    if (agent.id === me.id) presenceIdle();
    agentsChanged();
  }

  function agentsChanged() {
    renderPresence();
    renderTeam();
    fillFilterOptions();
    if (!el.transferPanel.hidden) fillTransferTargets();
  }

  function myPresence() {
    return state.agents.get(me.id) || null;
  }

  function renderPresence() {
    const mine = myPresence();
    const status = presence.pending || (mine ? mine.status : "");
    const online = state.connection === "open" && isOpen();
    el.presence.dataset.status = mine ? mine.status : "";
    el.presence.dataset.pending = presence.pending ? "true" : "false";
    for (const radio of el.presenceRadios) {
      radio.checked = radio.value === status;
      radio.disabled = !online;
    }
    el.capacity.disabled = !online;
    if (mine && typeof mine.capacity === "number" && document.activeElement !== el.capacity) {
      el.capacity.value = String(mine.capacity);
      el.capacity.removeAttribute("aria-invalid");
    }
  }

  function capacityValue() {
    const text = el.capacity.value.trim();
    const value = Number(text);
    return text !== "" && Number.isInteger(value) && value >= CAPACITY_MIN && value <= CAPACITY_MAX ? value : null;
  }

  function setPresence(status, capacity) {
    if (!PRESENCE_STATUSES.includes(status)) return;
    const frame = { type: "presence.set", status };
    if (capacity !== null && capacity !== undefined) frame.capacity = capacity;
    if (!send(frame)) return renderPresence();
    presence.pending = status;
    clearTimeout(presence.timer);
    presence.timer = setTimeout(() => {
      presenceIdle();
      renderPresence();
    }, ACTION_TIMEOUT_MS);
    renderPresence();
  }

  function presenceIdle() {
    presence.pending = null;
    clearTimeout(presence.timer);
  }

  function onPresencePicked(event) {
    setPresence(event.target.value, capacityValue());
  }

  function onCapacityChanged() {
    const capacity = capacityValue();
    if (capacity === null) {
      el.capacity.setAttribute("aria-invalid", "true");
      toast(t("error_capacity_invalid"), "capacity_invalid");
      return;
    }
    el.capacity.removeAttribute("aria-invalid");
    dismissToasts("capacity_invalid");
    const mine = myPresence();
    if (mine && mine.capacity === capacity) return;
    // Before the agent has ever said whether they are there, the capacity waits for their first choice:
    // setting a presence opts everyone into "nobody is available" messages.
    if (!mine || !mine.updated_at) return;
    setPresence(presence.pending || mine.status, capacity);
  }

  const STATUS_RANK = { online: 0, away: 1, offline: 2 };

  function renderTeam() {
    const rows = Array.from(state.agents.values()).sort(
      (a, b) =>
        (STATUS_RANK[a.status] ?? 3) - (STATUS_RANK[b.status] ?? 3) ||
        String(a.name || a.username).localeCompare(String(b.name || b.username), LOCALE)
    );
    el.teamList.replaceChildren(...rows.map(buildTeamItem));
    el.teamCount.textContent = String(rows.filter((row) => row.status === "online").length);
    el.teamSection.classList.toggle("is-empty", rows.length === 0);
  }

  function buildTeamItem(row) {
    const name = row.name || row.username || t("authorAgent");
    const status = PRESENCE_STATUSES.includes(row.status) ? row.status : "offline";
    const avatar = h("span", { class: "avatar avatar--sm", "aria-hidden": "true" });
    paintAvatar(avatar, name);
    const teams = list(row.teams).map((team) => team && team.name).filter(Boolean);
    const load = Number(row.load) || 0;
    const capacity = Number(row.capacity) || 0;
    return h(
      "li",
      { class: "team-agent", "data-testid": "team-agent", "data-agent-id": String(row.id), "data-status": status },
      [
        avatar,
        h("span", { class: "team-agent__body" }, [
          h("span", { class: "team-agent__name" }, [
            h("span", { text: name }),
            row.id === me.id ? h("span", { class: "team-agent__you", text: t("teamYou") }) : null,
          ]),
          h("span", { class: "team-agent__sub" }, [
            h("span", { class: `presence-dot presence-dot--${status}`, "data-testid": "team-agent-status", text: t(`presence_${status}`) }),
            teams.length ? h("span", { class: "team-agent__teams", text: teams.join(", ") }) : null,
          ]),
        ]),
        h("span", {
          class: `team-agent__load${capacity && load >= capacity ? " is-full" : ""}`,
          "data-testid": "team-agent-load",
          title: t("teamLoadTitle", { load, capacity }),
          text: t("teamLoad", { load, capacity }),
        }),
      ]
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Transfer: only the agent holding the conversation, to a colleague online with room or a team.
  // ---------------------------------------------------------------------------------------------
  function openTransfer() {
    const conv = state.conv;
    if (!conv || !isMine(conv) || el.transferButton.disabled) return;
    if (!el.transferPanel.hidden) return closeTransfer();
    el.transferPanel.hidden = false;
    el.transferButton.setAttribute("aria-expanded", "true");
    el.transferError.hidden = true;
    fillTransferTargets();
    renderTransferForm();
    loadAgents();
    el.transferTarget.focus();
  }

  function closeTransfer() {
    if (el.transferPanel.hidden) return;
    el.transferPanel.hidden = true;
    el.transferButton.setAttribute("aria-expanded", "false");
    el.transferNote.value = "";
    el.transferError.hidden = true;
    el.transferError.textContent = "";
  }

  function transferTeams() {
    const teams = new Map();
    for (const row of state.agents.values()) {
      for (const team of list(row.teams)) {
        if (!team || typeof team.id !== "number") continue;
        const entry = teams.get(team.id) || { id: team.id, name: team.name || team.slug || `#${team.id}`, online: 0 };
        if (row.status === "online") entry.online += 1;
        teams.set(team.id, entry);
      }
    }
    return Array.from(teams.values()).sort((a, b) => String(a.name).localeCompare(String(b.name), LOCALE));
  }

  function fillTransferTargets() {
    const previous = el.transferTarget.value;
    const options = [h("option", { value: "", text: t("transferChoose") })];
    const colleagues = Array.from(state.agents.values())
      .filter((row) => row.id !== me.id && row.status === "online")
      .sort(
        (a, b) =>
          (Number(a.load) || 0) / Math.max(1, Number(a.capacity) || 0) - (Number(b.load) || 0) / Math.max(1, Number(b.capacity) || 0) ||
          String(a.name).localeCompare(String(b.name), LOCALE)
      );
    const agents = h("optgroup", { label: t("transferAgents") });
    for (const row of colleagues) {
      const load = Number(row.load) || 0;
      const capacity = Number(row.capacity) || 0;
      const full = load >= capacity;
      const name = row.name || row.username;
      agents.append(
        h("option", {
          value: `agent:${row.id}`,
          disabled: full,
          "data-name": name,
          text: full ? t("transferAgentFull", { name }) : t("transferAgentOption", { name, load, capacity }),
        })
      );
    }
    if (!colleagues.length) agents.append(h("option", { value: "none", disabled: true, text: t("transferNoOne") }));
    options.push(agents);
    const teams = transferTeams();
    if (teams.length) {
      const group = h("optgroup", { label: t("transferTeams") });
      for (const team of teams) {
        group.append(
          h("option", { value: `team:${team.id}`, "data-name": team.name, text: t("transferTeamOption", { name: team.name, online: team.online }) })
        );
      }
      options.push(group);
    }
    el.transferTarget.replaceChildren(...options);
    const keep = $$("option", el.transferTarget).find((option) => option.value === previous && !option.disabled);
    el.transferTarget.value = keep ? previous : "";
  }

  function renderTransferForm() {
    const conv = state.conv;
    const busy = Boolean(conv && conv.transferring);
    el.transferTarget.disabled = busy;
    el.transferNote.disabled = busy;
    el.transferSend.disabled = busy || !isOpen();
    el.transferSend.textContent = busy ? t("transferring") : t("transferSend");
  }

  function showTransferError(text, code) {
    el.transferError.textContent = text;
    el.transferError.dataset.code = code || "";
    el.transferError.hidden = false;
  }

  function submitTransfer(event) {
    event.preventDefault();
    const conv = state.conv;
    if (!conv || !isMine(conv) || conv.transferring) return;
    const match = /^(agent|team):(\d+)$/.exec(el.transferTarget.value);
    if (!match) {
      showTransferError(t("transferPickFirst"), "transfer_invalid");
      el.transferTarget.focus();
      return;
    }
    const [, kind, id] = match;
    const option = el.transferTarget.selectedOptions[0];
    const frame = { type: "conversation.transfer", conversation_id: conv.id, note: el.transferNote.value.trim().slice(0, 1000) };
    frame[kind === "agent" ? "agent_id" : "team_id"] = Number(id);
    if (!send(frame)) return;
    el.transferError.hidden = true;
    const transferring = { kind, name: option ? option.dataset.name || "" : "", timer: null };
    transferring.timer = setTimeout(() => {
      if (conv.transferring === transferring) transferIdle(conv);
    }, ACTION_TIMEOUT_MS);
    conv.transferring = transferring;
    renderTransferForm();
  }

  function transferIdle(conv) {
    if (conv.transferring) clearTimeout(conv.transferring.timer);
    conv.transferring = null;
    if (state.conv === conv) renderTransferForm();
  }

  // The conversation left this agent while a transfer was on its way: that was the transfer.
  function transferDone(conv) {
    const { kind, name } = conv.transferring;
    transferIdle(conv);
    notify(t(kind === "agent" ? "transferDoneAgent" : "transferDoneTeam", { name }));
  }

  // ---------------------------------------------------------------------------------------------
  // Toasts (errors for the agent).
  // ---------------------------------------------------------------------------------------------
  function toast(text, code, title) {
    const node = h("div", { class: "toast", role: "alert", "data-testid": "error", "data-code": code || "" }, [
      h("div", { class: "toast__body" }, [
        h("strong", { class: "toast__title", text: title || t("errorTitle") }),
        h("span", { class: "toast__text", text }),
      ]),
      h("button", { type: "button", class: "toast__close", "aria-label": t("dismiss"), text: "×", onclick: () => node.remove() }),
    ]);
    el.toasts.append(node);
    while (el.toasts.childElementCount > 4) el.toasts.firstElementChild.remove();
    setTimeout(() => node.remove(), 9000);
  }

  function dismissToasts(code) {
    for (const node of $$(".toast[data-code]", el.toasts)) if (node.dataset.code === code) node.remove();
  }

  // Confirmations, in the same place as errors but calmer.
  function notify(text) {
    const node = h("div", { class: "toast toast--ok", role: "status", "data-testid": "notice" }, [
      h("div", { class: "toast__body" }, [
        h("strong", { class: "toast__title", text: t("noticeTitle") }),
        h("span", { class: "toast__text", text }),
      ]),
      h("button", { type: "button", class: "toast__close", "aria-label": t("dismiss"), text: "×", onclick: () => node.remove() }),
    ]);
    el.toasts.append(node);
    while (el.toasts.childElementCount > 4) el.toasts.firstElementChild.remove();
    setTimeout(() => node.remove(), 9000);
  }

  // ---------------------------------------------------------------------------------------------
  // Awaiting approval: AI drafts at "AI, checked by a person". Loaded over HTTP on every connect,
  // then kept live by "draft" frames; any staff member may approve, edit or reject.
  // ---------------------------------------------------------------------------------------------
  const approvalEls = {
    section: $('[data-section="approvals"]'),
    list: $("[data-testid=approvals-list]"),
    count: $("[data-count=approvals]"),
  };
  const apiDraftsUrl = root.dataset.apiDraftsUrl || "/api/staff/drafts";
  const approvals = new Map(); // draft id -> {draft, node, mode, busy, busyTimer}
  const settledDrafts = new Set(); // reviewed or expired: a slower HTTP answer must not bring them back

  function loadApprovals() {
    if (!window.fetch || !approvalEls.list) return;
    fetch(apiDraftsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data || !Array.isArray(data.drafts)) return;
        const listed = new Set();
        for (const draft of data.drafts) {
          if (!draft || typeof draft.id !== "number" || settledDrafts.has(draft.id)) continue;
          listed.add(draft.id);
          upsertApproval(draft);
        }
        // Reviewed while this console was away: no longer pending.
        for (const id of Array.from(approvals.keys())) if (!listed.has(id)) dropApproval(id);
        renderApprovals();
      })
      .catch(() => {});
  }

  function onDraft(draft) {
    if (typeof draft.id !== "number") return;
    if (draft.status === "pending" && !settledDrafts.has(draft.id)) upsertApproval(draft);
    else {
      settledDrafts.add(draft.id);
      dropApproval(draft.id);
    }
    renderApprovals();
  }

  function upsertApproval(draft) {
    const entry = approvals.get(draft.id);
    if (entry) entry.draft = draft;
    else approvals.set(draft.id, { draft, node: null, mode: "view", busy: false, busyTimer: null });
  }

  function dropApproval(id) {
    const entry = approvals.get(id);
    if (!entry) return;
    clearTimeout(entry.busyTimer);
    if (entry.node) entry.node.remove();
    approvals.delete(id);
  }

  // A draft whose conversation went to a person or closed can no longer be sent: not shown.
  function approvalVisible(draft) {
    const row = state.known.get(draft.conversation_id);
    return !row || (row.status !== "closed" && row.owner === "ai");
  }

  function renderApprovals() {
    if (!approvalEls.list) return;
    const visible = Array.from(approvals.values())
      .filter((entry) => approvalVisible(entry.draft))
      .sort((a, b) => (parseTime(a.draft.created_at) || 0) - (parseTime(b.draft.created_at) || 0) || a.draft.id - b.draft.id);
    visible.forEach((entry, index) => {
      if (!entry.node) entry.node = buildApproval(entry);
      if (approvalEls.list.children[index] !== entry.node) {
        approvalEls.list.insertBefore(entry.node, approvalEls.list.children[index] || null);
      }
    });
    for (const entry of approvals.values()) {
      if (entry.node && !visible.includes(entry)) entry.node.remove();
    }
    approvalEls.count.textContent = String(visible.length);
    approvalEls.section.classList.toggle("is-empty", visible.length === 0);
    keepApprovalSelection(visible);
    tickApprovals();
  }

  function buildApproval(entry) {
    const draft = entry.draft;
    const node = h("li", { class: "approval", "data-testid": "approval", "data-draft-id": String(draft.id) });
    const open = h("button", {
      type: "button",
      class: "approval__customer link-button",
      title: t("approvalOpen"),
      text: draft.customer || t("conversationNumber", { id: draft.conversation_id }),
      onclick: () => selectConversation(draft.conversation_id),
    });
    const deadline = h("span", { class: "approval__deadline", "data-review-by": draft.review_by || "" });
    const tags = h("div", { class: "approval__tags" });
    if (draft.article && (draft.article.title || draft.article.slug)) {
      tags.append(h("span", { class: "tag", title: draft.article.slug || "", text: t("approvalSource", { title: draft.article.title || draft.article.slug }) }));
    }
    if (draft.abstained) tags.append(h("span", { class: "tag tag--level", text: t("approvalNotSure") }));
    if (typeof draft.confidence === "number") {
      tags.append(h("span", { class: "tag", text: t("confidence", { value: `${Math.round(draft.confidence * 100)}%` }) }));
    }
    if (draft.locale) tags.append(h("span", { class: "tag tag--locale", text: String(draft.locale).toUpperCase() }));

    const editor = h("textarea", {
      class: "approval__editor",
      "data-testid": "approval-edit-text",
      rows: "4",
      maxlength: String(MAX_REPLY_CHARS),
      "aria-label": t("editLabel"),
      hidden: true,
    });
    const editNote = h("p", { class: "approval__note", text: t("approvalEditedNote"), hidden: true });
    const reason = h("input", {
      type: "text",
      class: "approval__reason",
      "data-testid": "approval-reject-reason",
      maxlength: "160",
      placeholder: t("rejectReason"),
      "aria-label": t("rejectReason"),
      hidden: true,
    });
    const actions = h("div", { class: "approval__actions" });
    node.append(
      h("div", { class: "approval__top" }, [open, deadline]),
      h("p", { class: "approval__label", text: t("approvalAsked") }),
      h("p", { class: "approval__question", "data-testid": "approval-question", text: draft.question || "" }),
      h("p", { class: "approval__label", text: t("approvalDraft") }),
      h("p", { class: "approval__text", "data-testid": "approval-text", text: draft.text || "" }),
      tags,
      editor,
      editNote,
      reason,
      actions
    );
    entry.parts = { editor, editNote, reason, actions };
    node.setAttribute("tabindex", "-1");
    node.addEventListener("focusin", () => selectApproval(draft.id, false));
    reason.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        reviewDraft(entry, { type: "draft.reject", draft_id: draft.id, reason: reason.value.trim().slice(0, 160) });
      } else if (event.key === "Escape") {
        event.preventDefault();
        setApprovalMode(entry, "view");
        node.focus();
      }
    });
    editor.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        const text = editor.value.trim();
        if (text && text.length <= MAX_REPLY_CHARS) reviewDraft(entry, { type: "draft.edit", draft_id: draft.id, text });
      } else if (event.key === "Escape") {
        event.preventDefault();
        setApprovalMode(entry, "view");
        node.focus();
      }
    });
    renderApprovalMode(entry);
    return node;
  }

  function renderApprovalMode(entry) {
    const { editor, editNote, reason, actions } = entry.parts;
    const id = entry.draft.id;
    const button = (label, testid, className, onclick, key) =>
      h("button", {
        type: "button",
        class: `btn ${className || ""}`.trim(),
        "data-testid": testid,
        text: t(label),
        title: key ? t("withKey", { label: t(label), key }) : null,
        "aria-keyshortcuts": key || null,
        disabled: entry.busy,
        onclick,
      });
    editor.hidden = entry.mode !== "edit";
    editNote.hidden = entry.mode !== "edit";
    reason.hidden = entry.mode !== "reject";
    if (entry.mode === "edit") {
      actions.replaceChildren(
        button("sendEdited", "approval-send-edit", "btn--primary", () => {
          const text = editor.value.trim();
          if (text && text.length <= MAX_REPLY_CHARS) reviewDraft(entry, { type: "draft.edit", draft_id: id, text });
        }),
        button("cancel", "approval-cancel", "", () => setApprovalMode(entry, "view"))
      );
    } else if (entry.mode === "reject") {
      actions.replaceChildren(
        button("rejectConfirm", "approval-confirm-reject", "btn--danger", () =>
          reviewDraft(entry, { type: "draft.reject", draft_id: id, reason: reason.value.trim().slice(0, 160) })
        ),
        button("cancel", "approval-cancel", "", () => setApprovalMode(entry, "view"))
      );
    } else {
      actions.replaceChildren(
        button("approve", "approval-approve", "btn--primary", () => reviewDraft(entry, { type: "draft.approve", draft_id: id }), "a"),
        button("edit", "approval-edit", "", () => setApprovalMode(entry, "edit"), "e"),
        button("reject", "approval-reject", "btn--danger", () => setApprovalMode(entry, "reject"), "r")
      );
    }
  }

  function setApprovalMode(entry, mode) {
    entry.mode = mode;
    if (mode === "edit" && !entry.parts.editor.value) entry.parts.editor.value = entry.draft.text || "";
    renderApprovalMode(entry);
    if (mode === "edit") entry.parts.editor.focus();
    if (mode === "reject") entry.parts.reason.focus();
  }

  // Buttons wait for the server's "draft" frame (or an error) rather than assuming the review went through.
  function reviewDraft(entry, frame) {
    if (entry.busy || !send(frame)) return;
    entry.busy = true;
    clearTimeout(entry.busyTimer);
    entry.busyTimer = setTimeout(() => approvalIdle(entry), ACTION_TIMEOUT_MS);
    renderApprovalMode(entry);
  }

  function approvalIdle(entry) {
    entry.busy = false;
    clearTimeout(entry.busyTimer);
    if (entry.parts) renderApprovalMode(entry);
  }

  function approvalsIdle() {
    for (const entry of approvals.values()) if (entry.busy) approvalIdle(entry);
  }

  function tickApprovals() {
    const now = Date.now();
    for (const node of $$(".approval__deadline[data-review-by]")) {
      const until = parseTime(node.dataset.reviewBy);
      if (until === null) continue;
      const left = until - now;
      node.textContent = left > 0 ? formatWait(left) : t("approvalOverdue");
      node.title = left > 0 ? t("approvalTimeLeft", { time: formatWait(left) }) : t("approvalOverdue");
      node.classList.toggle("is-late", left <= 30000);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Staff HTTP helpers: same-origin, session cookie, CSRF token from the page's logout form.
  // ---------------------------------------------------------------------------------------------
  const apiStaffUrl = root.dataset.apiStaffUrl || "/api/staff/";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    });
  }

  function postJson(url, body, options) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(options && options.keepalive),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Inbox filters (client-side over the rows) and the closed list, loaded when opened.
  // ---------------------------------------------------------------------------------------------
  const filters = { team: "", channel: "", locale: "", status: "" };
  const CHANNELS = ["widget", "email", "sms", "whatsapp", "api"];
  const FILTER_STATUSES = ["queue", "ai", "agent", "closed"];
  let filterSignature = "";

  function rowTeamId(row) {
    if (typeof row.team_id === "number") return row.team_id;
    if (row.team && typeof row.team.id === "number") return row.team.id;
    return null;
  }

  function rowMatches(row) {
    if (filters.team) {
      const id = rowTeamId(row);
      if (filters.team === "none" ? id !== null : String(id) !== filters.team) return false;
    }
    if (filters.channel && (row.channel || "widget") !== filters.channel) return false;
    if (filters.locale && String(row.locale || "").slice(0, 2).toLowerCase() !== filters.locale) return false;
    if (filters.status) {
      const status = row.status === "closed" ? "closed" : row.owner;
      if (status !== filters.status) return false;
    }
    return true;
  }

  function knownTeams() {
    const teams = new Map();
    for (const row of [...state.rows.values(), ...state.closedRows.values()]) {
      const id = rowTeamId(row);
      if (id !== null) teams.set(id, (row.team && row.team.name) || teams.get(id) || `#${id}`);
    }
    for (const agent of state.agents.values()) {
      for (const team of list(agent.teams)) if (team && typeof team.id === "number") teams.set(team.id, team.name || `#${team.id}`);
    }
    return Array.from(teams, ([id, name]) => ({ id, name })).sort((a, b) => String(a.name).localeCompare(String(b.name), LOCALE));
  }

  function fillFilterOptions() {
    const locales = new Set(["en", "fr"]);
    for (const row of [...state.rows.values(), ...state.closedRows.values()]) {
      if (row.locale) locales.add(String(row.locale).slice(0, 2).toLowerCase());
    }
    const teams = knownTeams();
    const options = {
      team: [["", t("filterAny")], ...teams.map((team) => [String(team.id), team.name]), ["none", t("filterNoTeam")]],
      channel: [["", t("filterAny")], ...CHANNELS.map((code) => [code, tOr(`channel_${code}`, code)])],
      locale: [["", t("filterAny")], ...Array.from(locales).sort().map((code) => [code, tOr(`lang_${code}`, code.toUpperCase())])],
      status: [["", t("filterAny")], ...FILTER_STATUSES.map((code) => [code, t(`filterStatus_${code}`)])],
    };
    const signature = JSON.stringify(options);
    if (signature === filterSignature) return;
    filterSignature = signature;
    for (const select of el.filterSelects) {
      const name = select.dataset.filter;
      const current = filters[name];
      select.replaceChildren(...options[name].map(([value, label]) => h("option", { value, text: label })));
      select.value = options[name].some(([value]) => value === current) ? current : "";
    }
  }

  function renderFilterSummary(shown, total) {
    const active = Object.values(filters).some(Boolean);
    el.filterSummary.hidden = !active;
    el.filterSummaryText.textContent = active ? t("filterSummary", { shown, total }) : "";
    for (const select of el.filterSelects) select.classList.toggle("is-active", Boolean(filters[select.dataset.filter]));
  }

  function onFilterChanged(event) {
    const select = event.target;
    filters[select.dataset.filter] = select.value;
    if (filters.status === "closed") expandClosed();
    renderInbox();
  }

  function clearFilters() {
    for (const key of Object.keys(filters)) filters[key] = "";
    for (const select of el.filterSelects) select.value = "";
    renderInbox();
  }

  function expandClosed() {
    const toggle = el.closedSection.querySelector(".inbox-section__toggle");
    el.closedSection.classList.remove("is-collapsed");
    toggle.setAttribute("aria-expanded", "true");
    loadClosed();
  }

  function loadClosed() {
    if (state.closedLoading || !window.fetch) return;
    state.closedLoading = true;
    el.closedLoadingNote.hidden = false;
    el.closedLoadingNote.textContent = t("loadingClosed");
    getJson(`${apiInboxUrl}?closed=1`)
      .then((data) => {
        state.closedRows.clear();
        for (const row of list(data && data.conversations)) {
          if (!row || typeof row.id !== "number" || row.status !== "closed") continue;
          state.closedRows.set(row.id, row);
          if (!state.known.has(row.id)) state.known.set(row.id, row);
        }
        state.closedLoaded = true;
        el.closedLoadingNote.hidden = true;
        renderInbox();
      })
      .catch(() => {
        el.closedLoadingNote.textContent = t("closedLoadFailed");
      })
      .finally(() => {
        state.closedLoading = false;
      });
  }

  // ---------------------------------------------------------------------------------------------
  // New handoffs: the page title and, when the agent turned it on, a short beep.
  // ---------------------------------------------------------------------------------------------
  const SOUND_KEY = "cxhub.console.sound";
  const sound = { on: false, context: null, beeps: 0 };

  function soundLoad() {
    try {
      sound.on = window.localStorage.getItem(SOUND_KEY) === "on";
    } catch (error) {
      sound.on = false;
    }
    renderSound();
  }

  function renderSound() {
    el.sound.setAttribute("aria-pressed", sound.on ? "true" : "false");
    el.sound.title = t(sound.on ? "soundOnTitle" : "soundOffTitle");
    el.sound.dataset.on = sound.on ? "true" : "false";
  }

  function toggleSound() {
    sound.on = !sound.on;
    try {
      window.localStorage.setItem(SOUND_KEY, sound.on ? "on" : "off");
    } catch (error) {
      // Private windows may refuse storage: the choice then lasts for this page only.
    }
    renderSound();
    if (sound.on) beep(); // also unlocks audio: browsers only allow it after a click
  }

  function beep() {
    if (!sound.on) return;
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    try {
      sound.context = sound.context || new AudioContext();
      const audio = sound.context;
      const now = audio.currentTime;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.setValueAtTime(880, now);
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.18, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(now);
      oscillator.stop(now + 0.3);
      sound.beeps += 1;
      el.sound.dataset.beeps = String(sound.beeps);
    } catch (error) {
      // No audio device: the title still says it.
    }
  }

  function announceHandoff() {
    state.alerts += 1;
    beep();
  }

  function alertsSeen() {
    if (!state.alerts) return;
    state.alerts = 0;
    renderInbox();
  }

  // ---------------------------------------------------------------------------------------------
  // Composer modes: a reply to the customer, or a private note only staff see.
  // ---------------------------------------------------------------------------------------------
  function setMode(mode) {
    const next = mode === "note" ? "note" : "reply";
    if (next === "note") stopTyping();
    state.mode = next;
    el.composer.dataset.mode = next;
    for (const tab of el.modeTabs) {
      const selected = tab.dataset.mode === next;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
    }
    el.noteBanner.hidden = next !== "note";
    el.send.textContent = next === "note" ? t("addNote") : t("send");
    if (state.conv) renderConversationState();
  }

  function onModeKey(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    setMode(state.mode === "note" ? "reply" : "note");
    el.modeTabs.find((tab) => tab.dataset.mode === state.mode).focus();
  }

  function notesInOrder(conv) {
    return Array.from(conv.notes.values()).sort(
      (a, b) => (parseTime(a.created_at) || 0) - (parseTime(b.created_at) || 0) || a.id - b.id
    );
  }

  function buildNoteNode(note, options) {
    const at = parseTime(note.created_at);
    const node = h("article", {
      class: `note${options && options.pending ? " is-pending" : ""}`,
      "data-testid": "note",
      "data-note-id": typeof note.id === "number" ? String(note.id) : "",
      "aria-label": t("noteLabel"),
    });
    node.append(
      h("header", { class: "note__meta" }, [
        h("span", { class: "note__label", text: t("noteBanner") }),
        h("span", { class: "note__author", "data-testid": "note-author", text: note.author_name || t("authorAgent") }),
        at === null ? null : h("time", { class: "msg__time", datetime: new Date(at).toISOString(), title: fmtFull.format(at), text: fmtTime.format(at) }),
      ]),
      h("div", { class: "note__text", "data-testid": "note-text", text: note.text || "" })
    );
    if (options && options.pending) node.append(h("div", { class: "note__status", text: t("sending") }));
    return node;
  }

  function insertLive(node) {
    const conv = state.conv;
    const loading = el.transcript.querySelector(".transcript__loading");
    if (loading) loading.remove();
    const firstPending = pendingNodesOf(conv).find((candidate) => candidate.isConnected) || null;
    const nearBottom = isNearBottom();
    el.transcript.insertBefore(node, firstPending);
    if (nearBottom) scrollToBottom();
  }

  function sendNote(conv, text) {
    const clientId = uuid();
    if (!send({ type: "note.add", conversation_id: conv.id, text, client_id: clientId })) return;
    const pending = { conversationId: conv.id, text, node: null };
    pending.node = buildNoteNode({ id: null, author_name: me.name, author_id: me.id, text, created_at: new Date().toISOString() }, { pending: true });
    state.pendingNotes.set(clientId, pending);
    insertLive(pending.node);
    scrollToBottom();
    el.reply.value = "";
    hideWarning();
    updateSendButton();
    el.reply.focus();
  }

  function onNote(conversationId, note) {
    const conv = state.conv;
    if (!conv || conversationId !== conv.id || typeof note.id !== "number" || conv.notes.has(note.id)) return;
    conv.notes.set(note.id, note);
    // Our own note: the pending copy gives way to the server's.
    for (const [clientId, pending] of state.pendingNotes) {
      if (pending.conversationId === conv.id && pending.text === note.text && note.author_id === me.id) {
        if (pending.node) pending.node.remove();
        state.pendingNotes.delete(clientId);
        pending.settled = note.id;
        break;
      }
    }
    insertLive(buildNoteNode(note));
  }

  function onNoteAck(frame) {
    const pending = state.pendingNotes.get(frame.client_id);
    if (!pending) return;
    state.pendingNotes.delete(frame.client_id);
    if (pending.node) pending.node.remove();
    const conv = state.conv;
    if (!conv || conv.id !== pending.conversationId || conv.notes.has(frame.note_id)) return;
    onNote(conv.id, { id: frame.note_id, author_name: me.name, author_id: me.id, text: pending.text, created_at: new Date().toISOString() });
  }

  // ---------------------------------------------------------------------------------------------
  // Canned responses: "/" at the start of the composer, or the button; arrows, Enter, Escape.
  // ---------------------------------------------------------------------------------------------
  const canned = { conversationId: null, items: null, loading: false, failed: false, open: false, via: null, query: "", active: 0 };

  function cannedLoad(conv) {
    if (canned.conversationId === conv.id && (canned.items || canned.loading)) return;
    canned.conversationId = conv.id;
    canned.items = null;
    canned.loading = true;
    canned.failed = false;
    getJson(`${apiStaffUrl}canned?conversation_id=${conv.id}`)
      .then((data) => {
        if (canned.conversationId !== conv.id) return;
        canned.items = list(data && data.canned).filter((item) => item && typeof item.id === "number");
      })
      .catch(() => {
        if (canned.conversationId === conv.id) canned.failed = true;
      })
      .finally(() => {
        if (canned.conversationId === conv.id) canned.loading = false;
        renderCanned();
      });
  }

  function cannedOpen(via) {
    const conv = state.conv;
    if (!conv || el.reply.disabled) return;
    canned.open = true;
    canned.via = via;
    canned.active = 0;
    if (via === "button") canned.query = el.cannedSearch.value = "";
    el.cannedPicker.hidden = false;
    el.cannedSearch.hidden = via !== "button";
    el.cannedButton.setAttribute("aria-expanded", "true");
    cannedLoad(conv);
    renderCanned();
    if (via === "button") el.cannedSearch.focus();
    else el.reply.setAttribute("aria-controls", "canned-list");
  }

  function cannedClose() {
    if (!canned.open) return;
    canned.open = false;
    el.cannedPicker.hidden = true;
    el.cannedButton.setAttribute("aria-expanded", "false");
    el.reply.removeAttribute("aria-activedescendant");
    el.cannedSearch.removeAttribute("aria-activedescendant");
  }

  function cannedMatches() {
    const query = canned.query.trim().toLowerCase();
    const items = canned.items || [];
    if (!query) return items;
    const starts = items.filter((item) => String(item.shortcut || "").toLowerCase().startsWith(query));
    const rest = items.filter(
      (item) =>
        !starts.includes(item) &&
        `${item.shortcut || ""} ${item.title || ""} ${item.text || ""}`.toLowerCase().includes(query)
    );
    return [...starts, ...rest];
  }

  function renderCanned() {
    if (!canned.open) return;
    const matches = cannedMatches();
    canned.active = Math.max(0, Math.min(canned.active, matches.length - 1));
    el.cannedList.replaceChildren(
      ...matches.map((item, index) => {
        const missing = list(item.missing);
        return h(
          "li",
          {
            id: `canned-option-${item.id}`,
            class: `canned__option${index === canned.active ? " is-active" : ""}`,
            role: "option",
            "aria-selected": index === canned.active ? "true" : "false",
            "data-testid": "canned-option",
            "data-shortcut": item.shortcut || "",
            onmousedown: (event) => event.preventDefault(), // keep the focus in the composer
            onclick: () => cannedChoose(item),
          },
          [
            h("span", { class: "canned__top" }, [
              h("span", { class: "canned__shortcut", text: `/${item.shortcut || ""}` }),
              h("span", { class: "canned__title", text: item.title || "" }),
              item.locale ? h("span", { class: "tag tag--locale", text: String(item.locale).toUpperCase() }) : null,
              missing.length ? h("span", { class: "canned__missing", title: t("cannedMissing", { names: missingNames(missing) }), text: "!" }) : null,
            ]),
            h("span", { class: "canned__preview", text: item.rendered || item.text || "" }),
          ]
        );
      })
    );
    const active = matches[canned.active];
    const owner = canned.via === "button" ? el.cannedSearch : el.reply;
    if (active) owner.setAttribute("aria-activedescendant", `canned-option-${active.id}`);
    else owner.removeAttribute("aria-activedescendant");
    let empty = "";
    if (canned.loading) empty = t("cannedLoading");
    else if (canned.failed) empty = t("cannedFailed");
    else if (canned.items && !canned.items.length) empty = t("cannedNoneAtAll");
    else if (!matches.length) empty = t("cannedNone");
    el.cannedEmpty.textContent = empty;
    el.cannedEmpty.hidden = !empty;
    const activeNode = el.cannedList.querySelector(".is-active");
    if (activeNode && activeNode.scrollIntoView) activeNode.scrollIntoView({ block: "nearest" });
  }

  function missingNames(missing) {
    return missing.map((name) => `{${name}}`).join(", ");
  }

  function cannedChoose(item) {
    const rendered = item.rendered || item.text || "";
    if (canned.via === "slash" || !el.reply.value.trim()) el.reply.value = rendered;
    else el.reply.value = `${el.reply.value.replace(/\s+$/, "")}\n\n${rendered}`;
    cannedClose();
    const missing = list(item.missing);
    if (missing.length) showWarning(t("cannedMissing", { names: missingNames(missing) }));
    else hideWarning();
    el.reply.focus();
    el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length);
    updateSendButton();
    noteTyping();
  }

  // Keys while the picker is open; true when the key was the picker's.
  function cannedKey(event) {
    if (!canned.open) return false;
    const matches = cannedMatches();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (matches.length) canned.active = (canned.active + (event.key === "ArrowDown" ? 1 : -1) + matches.length) % matches.length;
      renderCanned();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && !event.isComposing) {
      if (!matches.length) return false;
      event.preventDefault();
      cannedChoose(matches[canned.active]);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      const via = canned.via;
      cannedClose();
      if (via === "button") el.cannedButton.focus();
      return true;
    }
    return false;
  }

  function onReplyInputForCanned() {
    const match = /^\/(\S*)$/.exec(el.reply.value);
    if (match) {
      if (!canned.open || canned.via !== "slash") cannedOpen("slash");
      canned.query = match[1];
      renderCanned();
    } else if (canned.open && canned.via === "slash") {
      cannedClose();
    }
    if (!el.reply.value.trim()) {
      hideWarning();
      if (state.conv) state.conv.insertedSuggestion = null;
    }
  }

  function showWarning(text) {
    el.warning.textContent = text;
    el.warning.hidden = false;
  }

  function hideWarning() {
    el.warning.textContent = "";
    el.warning.hidden = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Copilot: suggested replies with their articles, article search, summary, reminders, translation.
  // ---------------------------------------------------------------------------------------------
  function resetCopilot() {
    el.copilotStatus.textContent = "";
    el.copilotDisabled.hidden = true;
    el.copilotTranslate.hidden = true;
    el.translation.hidden = true;
    el.translation.replaceChildren();
    el.suggestions.replaceChildren();
    el.noSuggestions.hidden = true;
    el.articles.replaceChildren();
    el.noArticles.hidden = true;
    el.articleSearch.value = "";
  }

  function copilotLoad(conv) {
    if (!window.fetch) return;
    el.copilotStatus.textContent = t("copilotLoading");
    getJson(`${apiInboxUrl}${conv.id}/copilot`)
      .then((data) => {
        if (state.conv !== conv || !data) return;
        conv.copilot = data;
        el.copilotStatus.textContent = "";
        renderCopilot();
      })
      .catch(() => {
        if (state.conv === conv) el.copilotStatus.textContent = t("copilotFailed");
      });
  }

  function scheduleCopilotRefresh(conv) {
    if (!conv || !conv.loaded) return;
    clearTimeout(conv.copilotTimer);
    conv.copilotTimer = setTimeout(() => copilotLoad(conv), 1200);
  }

  function customerLocale(conv) {
    const data = conv.copilot || {};
    const row = state.known.get(conv.id);
    const locale = data.customer_locale || (row && row.locale) || (conv.card && conv.card.customer && conv.card.customer.locale) || "";
    return String(locale).slice(0, 2).toLowerCase();
  }

  function renderCopilot() {
    const conv = state.conv;
    if (!conv || !conv.copilot) return;
    const data = conv.copilot;
    el.copilotDisabled.hidden = !data.disabled;
    el.copilotDisabled.textContent = data.disabled ? t("copilotDisabled") : "";
    el.suggestionsBlock.hidden = Boolean(data.disabled);

    // Suggestions: a new set means a new customer message; what the agent did with the old set was settled.
    const suggestions = list(data.suggestions).filter((item) => item && typeof item.id === "number");
    if (suggestions.some((item) => !conv.shownSuggestions.has(item.id))) {
      suggestionsLeft(conv);
      conv.shownSuggestions = new Map();
      conv.sentSinceSuggestions = false;
      conv.heldWhileShown = false;
    }
    for (const item of suggestions) if (item.status === "offered" || !item.status) conv.shownSuggestions.set(item.id, item);
    el.suggestions.replaceChildren(...suggestions.map(buildSuggestion));
    el.noSuggestions.hidden = Boolean(data.disabled) || suggestions.length > 0;
    renderSuggestionButtons();

    renderArticles(list(data.articles));

    // The summary and reminders live on the card; the panel's fresher copy replaces them.
    if (conv.card) {
      const summary = data.summary && typeof data.summary === "object" ? data.summary.text : data.summary;
      if (typeof summary === "string" && summary) {
        conv.card.summary = summary;
        el.summary.textContent = summary;
        el.summary.classList.remove("is-muted");
      }
      if (Array.isArray(data.reminders)) {
        conv.card.compliance_reminders = data.reminders;
        renderWhy();
      }
    }

    const theirs = customerLocale(conv);
    const differs = Boolean(theirs) && theirs !== LANG && !data.disabled;
    el.copilotTranslate.hidden = !differs;
    if (differs) {
      el.copilotLang.textContent = t("copilotLang", { customer: tOr(`lang_${theirs}`, theirs.toUpperCase()), agent: tOr(`lang_${LANG}`, LANG.toUpperCase()) });
    }
  }

  function buildSuggestion(item) {
    const node = h("li", { class: "suggestion", "data-testid": "suggestion", "data-suggestion-id": String(item.id) });
    node.append(h("p", { class: "suggestion__text", "data-testid": "suggestion-text", text: item.text || "" }));
    if (item.article_title || item.article_slug) {
      node.append(h("p", { class: "suggestion__source", "data-testid": "suggestion-source", title: item.article_slug || "", text: t("suggestionSource", { title: item.article_title || item.article_slug }) }));
    }
    node.append(
      h("div", { class: "suggestion__actions" }, [
        h("button", { type: "button", class: "btn btn--sm", "data-testid": "suggestion-insert", "data-role": "insert", text: t("insert"), onclick: () => suggestionInsert(item) }),
        h("button", { type: "button", class: "btn btn--sm btn--primary", "data-testid": "suggestion-send", "data-role": "send", text: t("sendSuggestion"), onclick: () => suggestionSend(item) }),
      ])
    );
    return node;
  }

  function renderSuggestionButtons() {
    const conv = state.conv;
    const usable = Boolean(conv && isMine(conv) && conv.status !== "closed" && state.connection === "open" && isOpen());
    if (usable && conv.shownSuggestions.size) conv.heldWhileShown = true;
    for (const button of $$(".suggestion__actions button", el.suggestions)) {
      button.disabled = !usable;
      button.title = usable ? t(button.dataset.role === "send" ? "sendSuggestionTitle" : "insertTitle") : t("suggestionTakeOver");
    }
    for (const button of $$(".article__insert", el.articles)) button.disabled = !usable;
  }

  function suggestionInsert(item) {
    const conv = state.conv;
    if (!conv || !isMine(conv)) return;
    setMode("reply");
    el.reply.value = item.text || "";
    conv.insertedSuggestion = item.id;
    hideWarning();
    el.reply.focus();
    el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length);
    updateSendButton();
    noteTyping();
  }

  function suggestionSend(item) {
    const conv = state.conv;
    if (!conv || !isMine(conv) || !isOpen() || !item.text) return;
    messageSend(conv, item.text, item.id);
  }

  // Suggestions the agent saw and left without sending anything: "ignored", for the acceptance rate.
  function suggestionsLeft(conv) {
    // Only the agent who could have used them ignored them; a colleague watching the AI did not.
    if (!conv || !conv.heldWhileShown || conv.sentSinceSuggestions || !window.fetch) return;
    for (const [id, item] of conv.shownSuggestions) {
      if (conv.usedSuggestions.has(id) || (item.status && item.status !== "offered")) continue;
      postJson(`${apiStaffUrl}suggestions/${id}/outcome`, { sent_text: null }, { keepalive: true }).catch(() => {});
      item.status = "ignored";
    }
  }

  function renderArticles(articles) {
    el.articles.replaceChildren(
      ...articles
        .filter((item) => item && (item.title || item.slug))
        .map((item) =>
          h("li", { class: "article", "data-testid": "article", "data-slug": item.slug || "" }, [
            h("div", { class: "article__top" }, [
              h("span", { class: "article__title", text: item.title || item.slug }),
              typeof item.confidence === "number" ? h("span", { class: "article__score", text: percent(item.confidence) }) : null,
            ]),
            item.answer ? h("p", { class: "article__answer", text: item.answer }) : null,
            item.answer
              ? h("button", {
                  type: "button",
                  class: "btn btn--sm article__insert",
                  title: t("insertArticleTitle"),
                  text: t("insert"),
                  onclick: () => {
                    const conv = state.conv;
                    if (!conv || !isMine(conv)) return;
                    setMode("reply");
                    el.reply.value = el.reply.value.trim() ? `${el.reply.value.replace(/\s+$/, "")}\n\n${item.answer}` : item.answer;
                    el.reply.focus();
                    updateSendButton();
                  },
                })
              : null,
          ])
        )
    );
    el.noArticles.hidden = el.articles.childElementCount > 0;
    renderSuggestionButtons();
  }

  function searchArticles(event) {
    event.preventDefault();
    const conv = state.conv;
    if (!conv) return;
    const query = el.articleSearch.value.trim();
    if (!query) return renderArticles(list(conv.copilot && conv.copilot.articles));
    el.copilotStatus.textContent = t("copilotLoading");
    getJson(`${apiInboxUrl}${conv.id}/articles?q=${encodeURIComponent(query)}`)
      .then((data) => {
        if (state.conv !== conv) return;
        el.copilotStatus.textContent = "";
        renderArticles(list(data && data.articles));
      })
      .catch(() => {
        if (state.conv === conv) el.copilotStatus.textContent = t("copilotFailed");
      });
  }

  function lastCustomerSeq(conv) {
    let last = null;
    for (const [seq, entry] of conv.messages) if (entry.message.author_kind === "customer" && (last === null || seq > last)) last = seq;
    return last;
  }

  function translate(kind) {
    const conv = state.conv;
    if (!conv) return;
    const theirs = customerLocale(conv);
    let body;
    if (kind === "customer") {
      const seq = lastCustomerSeq(conv);
      if (seq === null) return showTranslation(t("translateNothing"));
      body = { seq, to: LANG };
    } else {
      const text = el.reply.value.trim();
      if (!text) return showTranslation(t("translateEmptyReply"));
      body = { text, to: theirs };
    }
    showTranslation(t("translating"));
    postJson(`${apiInboxUrl}${conv.id}/translate`, body)
      .then((data) => {
        if (state.conv !== conv) return;
        if (!data || !data.available) {
          showTranslation(t("translationUnavailable", { reason: (data && data.reason) || "—" }), "unavailable");
          return;
        }
        const lang = tOr(`lang_${body.to}`, String(body.to).toUpperCase());
        const label = kind === "customer" ? t("translationOfCustomer", { lang }) : t("translationOfReply", { lang });
        el.translation.replaceChildren(
          ...[
            h("p", { class: "copilot__translation-label", text: label }),
            h("p", { class: "copilot__translation-text", "data-testid": "translation-text", text: data.text || "" }),
            kind === "reply"
            ? h("button", {
                type: "button",
                class: "btn btn--sm",
                "data-testid": "translation-use",
                text: t("useTranslation"),
                onclick: () => {
                  el.reply.value = data.text || "";
                  el.reply.focus();
                  updateSendButton();
                },
              })
            : null,
          ].filter(Boolean)
        );
        el.translation.dataset.state = "done";
        el.translation.hidden = false;
      })
      .catch(() => {
        if (state.conv === conv) showTranslation(t("translationFailed"), "failed");
      });
  }

  function showTranslation(text, stateName) {
    el.translation.replaceChildren(h("p", { class: "copilot__translation-label", "data-testid": "translation-message", text }));
    el.translation.dataset.state = stateName || "info";
    el.translation.hidden = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Handoff quality: the agent rates the card 1–5.
  // ---------------------------------------------------------------------------------------------
  function hadHandoff(conv) {
    const card = conv.card || {};
    return Boolean(
      conv.rating ||
        conv.reason ||
        card.reason ||
        list(card.signals).length ||
        list(card.transfers).length ||
        list(card.decisions).some((decision) => decision && decision.action === "hand")
    );
  }

  function renderRating() {
    const conv = state.conv;
    if (!conv || !conv.card) return;
    el.rating.hidden = !hadHandoff(conv);
    const score = conv.rating ? conv.rating.score : 0;
    if (!conv.ratingBusy) {
      for (const radio of el.ratingRadios) radio.checked = Number(radio.value) === score;
      if (conv.rating && document.activeElement !== el.ratingComment) el.ratingComment.value = conv.rating.comment || "";
      if (!conv.rating && document.activeElement !== el.ratingComment) el.ratingComment.value = "";
    }
    paintStars();
    el.ratingSend.disabled = Boolean(conv.ratingBusy) || !isOpen();
    el.ratingStatus.textContent = conv.rating ? t("ratingYours", { score: conv.rating.score }) : "";
  }

  function paintStars(hover) {
    const picked = el.ratingRadios.find((radio) => radio.checked);
    const value = hover || (picked ? Number(picked.value) : 0);
    el.ratingStars.forEach((star, index) => star.classList.toggle("is-on", index < value));
  }

  function submitRating(event) {
    event.preventDefault();
    const conv = state.conv;
    if (!conv || conv.ratingBusy) return;
    const picked = el.ratingRadios.find((radio) => radio.checked);
    if (!picked) {
      el.ratingStatus.textContent = t("ratingPickFirst");
      return;
    }
    const score = Number(picked.value);
    const comment = el.ratingComment.value.trim().slice(0, 500);
    if (!send({ type: "handoff.rate", conversation_id: conv.id, score, comment })) return;
    conv.ratingBusy = { score, comment };
    renderRating();
  }

  function onRatedAck(frame) {
    const conv = state.conv;
    if (!conv || frame.conversation_id !== conv.id) return;
    const sent = conv.ratingBusy || {};
    conv.ratingBusy = false;
    conv.rating = { score: Number(frame.rated) || sent.score, comment: sent.comment || "" };
    renderRating();
    el.ratingStatus.textContent = t("ratingSaved", { score: conv.rating.score });
  }

  // ---------------------------------------------------------------------------------------------
  // Feedback to the AI: flag an answer as wrong, with the right article or a note.
  // ---------------------------------------------------------------------------------------------
  function flagControls(message) {
    const conv = state.conv;
    const wrap = h("div", { class: "msg__actions" });
    if (conv && conv.flagged.has(message.seq)) {
      wrap.append(h("span", { class: "badge badge--flagged", "data-testid": "flagged", title: t("flaggedTitle"), text: t("flagged") }));
      return wrap;
    }
    const form = h("form", { class: "flag", "data-testid": "flag-form", hidden: true });
    const button = h("button", {
      type: "button",
      class: "link-button msg__flag",
      "data-testid": "flag",
      "aria-expanded": "false",
      title: t("flagTitle"),
      text: t("flag"),
      onclick: () => {
        form.hidden = !form.hidden;
        button.setAttribute("aria-expanded", form.hidden ? "false" : "true");
        if (!form.hidden) fillFlagForm(form, message);
      },
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitFlag(form, message);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        form.hidden = true;
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
    wrap.append(button, form);
    return wrap;
  }

  function fillFlagForm(form, message) {
    const conv = state.conv;
    const seen = new Set();
    const options = [h("option", { value: "", text: t("flagArticleNone") })];
    const add = (slug, title) => {
      if (!slug || seen.has(slug)) return;
      seen.add(slug);
      options.push(h("option", { value: slug, text: title || slug }));
    };
    for (const item of list(conv && conv.copilot && conv.copilot.articles)) if (item) add(item.slug, item.title);
    for (const item of $$("[data-testid=article]", el.articles)) add(item.dataset.slug, item.querySelector(".article__title").textContent);
    for (const source of list(message.sources)) if (source) add(source.slug, source.title);
    const id = `flag-${message.seq}`;
    form.replaceChildren(
      h("label", { class: "flag__label", for: `${id}-article`, text: t("flagArticle") }),
      h("select", { id: `${id}-article`, class: "flag__article", "data-testid": "flag-article" }, options),
      h("label", { class: "flag__label", for: `${id}-note`, text: t("flagNote") }),
      h("input", { id: `${id}-note`, type: "text", class: "flag__note", "data-testid": "flag-note", maxlength: "1000" }),
      h("div", { class: "flag__actions" }, [
        h("button", { type: "submit", class: "btn btn--sm btn--danger", "data-testid": "flag-send", text: t("flagSend") }),
        h("button", {
          type: "button",
          class: "btn btn--sm",
          text: t("cancel"),
          onclick: () => {
            form.hidden = true;
            const toggle = form.parentElement && form.parentElement.querySelector("[data-testid=flag]");
            if (toggle) toggle.setAttribute("aria-expanded", "false");
          },
        }),
      ])
    );
    form.querySelector("select").focus();
  }

  function submitFlag(form, message) {
    const conv = state.conv;
    if (!conv || conv.flagging !== null) return;
    const frame = {
      type: "answer.flag",
      conversation_id: conv.id,
      message_seq: message.seq,
      article_slug: form.querySelector("select").value,
      note: form.querySelector("input").value.trim().slice(0, 1000),
    };
    if (!send(frame)) return;
    conv.flagging = message.seq;
    renderFlagForms();
  }

  function renderFlagForms() {
    const conv = state.conv;
    for (const button of $$("[data-testid=flag-send]", el.transcript)) button.disabled = Boolean(conv && conv.flagging !== null);
  }

  function onFlagAck(frame) {
    const conv = state.conv;
    if (!conv || frame.conversation_id !== conv.id || conv.flagging === null) return;
    const seq = conv.flagging;
    conv.flagging = null;
    conv.flagged.add(seq);
    const entry = conv.messages.get(seq);
    if (entry && entry.node && entry.node.isConnected) {
      const fresh = buildMessageNode(entry.message);
      entry.node.replaceWith(fresh);
      entry.node = fresh;
      renderReadReceipt();
    }
    notify(t("flagDone"));
  }

  // ---------------------------------------------------------------------------------------------
  // Keyboard: j/k through pending drafts, a/e/r to review, ? for help — never while typing.
  // ---------------------------------------------------------------------------------------------
  let selectedDraft = null;
  let selectedIndex = 0;

  function visibleApprovalEntries() {
    return Array.from(approvalEls.list.children)
      .map((node) => approvals.get(Number(node.dataset.draftId)))
      .filter(Boolean);
  }

  function selectApproval(id, focus) {
    selectedDraft = id;
    const entries = visibleApprovalEntries();
    entries.forEach((entry, index) => {
      const selected = entry.draft.id === id;
      entry.node.classList.toggle("is-selected", selected);
      if (selected) {
        selectedIndex = index;
        entry.node.setAttribute("aria-current", "true");
        if (focus) {
          entry.node.focus({ preventScroll: true });
          if (entry.node.scrollIntoView) entry.node.scrollIntoView({ block: "nearest" });
        }
      } else {
        entry.node.removeAttribute("aria-current");
      }
    });
  }

  // The reviewed draft leaves the list: the next one takes its place under the keyboard.
  function keepApprovalSelection(visible) {
    if (selectedDraft === null) return;
    if (visible.some((entry) => entry.draft.id === selectedDraft)) return selectApproval(selectedDraft, false);
    const next = visible[Math.min(selectedIndex, visible.length - 1)];
    const hadFocus = !document.activeElement || document.activeElement === document.body;
    selectedDraft = null;
    if (next) selectApproval(next.draft.id, hadFocus);
  }

  function moveApproval(delta) {
    const entries = visibleApprovalEntries();
    if (!entries.length) return;
    const index = entries.findIndex((entry) => entry.draft.id === selectedDraft);
    const next = index === -1 ? (delta > 0 ? 0 : entries.length - 1) : Math.max(0, Math.min(entries.length - 1, index + delta));
    selectApproval(entries[next].draft.id, true);
  }

  // Nothing selected yet: the key only selects the oldest draft, so a stray key never sends anything unseen.
  function selectedApproval() {
    const entries = visibleApprovalEntries();
    const entry = entries.find((candidate) => candidate.draft.id === selectedDraft);
    if (!entry && entries.length) selectApproval(entries[0].draft.id, true);
    return entry || null;
  }

  function isTextField(node) {
    if (!node || node === document.body) return false;
    if (node.isContentEditable) return true;
    if (node.tagName === "TEXTAREA" || node.tagName === "SELECT") return true;
    if (node.tagName !== "INPUT") return false;
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(node.type);
  }

  function toggleShortcuts(show) {
    const open = show === undefined ? el.shortcuts.hidden : show;
    if (open) {
      shortcutsReturn = document.activeElement;
      el.shortcuts.hidden = false;
      el.shortcutsDialog.focus();
    } else if (!el.shortcuts.hidden) {
      el.shortcuts.hidden = true;
      if (shortcutsReturn && shortcutsReturn.focus) shortcutsReturn.focus();
    }
  }
  let shortcutsReturn = null;

  function onShortcut(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (!el.shortcuts.hidden) {
      if (event.key === "Escape" || event.key === "?") {
        event.preventDefault();
        toggleShortcuts(false);
      } else if (event.key === "Tab") {
        event.preventDefault();
        el.shortcutsClose.focus();
      }
      return;
    }
    if (event.key === "Escape") {
      if (!el.closePanel.hidden) {
        closeClosePanel();
        el.close.focus();
      }
      return;
    }
    if (isTextField(event.target)) return;
    const key = event.key;
    if (key === "?") {
      event.preventDefault();
      toggleShortcuts(true);
      return;
    }
    if (key === "j" || key === "k") {
      event.preventDefault();
      moveApproval(key === "j" ? 1 : -1);
      return;
    }
    if (key !== "a" && key !== "e" && key !== "r") return;
    const entry = selectedApproval();
    if (!entry || entry.busy) return;
    event.preventDefault();
    if (key === "a") reviewDraft(entry, { type: "draft.approve", draft_id: entry.draft.id });
    else setApprovalMode(entry, key === "e" ? "edit" : "reject");
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring.
  // ---------------------------------------------------------------------------------------------
  function wire() {
    el.takeOver.addEventListener("click", takeOver);
    el.handBack.addEventListener("click", handBack);
    el.close.addEventListener("click", closeConversation);
    el.handBackNote.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        handBack();
      }
    });
    el.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      sendReply();
    });
    el.reply.addEventListener("keydown", (event) => {
      if (cannedKey(event)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        sendReply();
      }
    });
    el.reply.addEventListener("input", () => {
      onReplyInputForCanned();
      updateSendButton();
      if (el.reply.value.trim()) noteTyping();
      else stopTyping();
    });
    el.reply.addEventListener("blur", () => {
      stopTyping();
      setTimeout(() => {
        const active = document.activeElement;
        if (canned.via === "slash" && active !== el.reply && !el.cannedPicker.contains(active)) cannedClose();
      }, 150);
    });
    el.closePanel.addEventListener("submit", submitClose);
    el.closeCancel.addEventListener("click", () => {
      closeClosePanel();
      el.close.focus();
    });
    for (const tab of el.modeTabs) {
      tab.addEventListener("click", () => {
        setMode(tab.dataset.mode);
        if (!el.reply.disabled) el.reply.focus();
      });
      tab.addEventListener("keydown", onModeKey);
    }
    el.cannedButton.addEventListener("click", () => (canned.open ? cannedClose() : cannedOpen("button")));
    el.cannedSearch.addEventListener("input", () => {
      canned.query = el.cannedSearch.value;
      canned.active = 0;
      renderCanned();
    });
    el.cannedSearch.addEventListener("keydown", cannedKey);
    el.cannedSearch.addEventListener("blur", () => {
      setTimeout(() => {
        const active = document.activeElement;
        if (canned.via === "button" && active !== el.cannedSearch && !el.cannedPicker.contains(active)) cannedClose();
      }, 150);
    });
    el.sound.addEventListener("click", toggleSound);
    el.shortcutsButton.addEventListener("click", () => toggleShortcuts(true));
    el.shortcutsClose.addEventListener("click", () => toggleShortcuts(false));
    el.shortcuts.addEventListener("click", (event) => {
      if (event.target === el.shortcuts) toggleShortcuts(false);
    });
    document.addEventListener("keydown", onShortcut);
    for (const select of el.filterSelects) select.addEventListener("change", onFilterChanged);
    el.filterClear.addEventListener("click", clearFilters);
    el.closedSection.querySelector(".inbox-section__toggle").addEventListener("click", () => {
      // After the section toggle's own handler: load when it has just been opened.
      setTimeout(() => {
        if (!el.closedSection.classList.contains("is-collapsed")) loadClosed();
      }, 0);
    });
    el.translateCustomer.addEventListener("click", () => translate("customer"));
    el.translateReply.addEventListener("click", () => translate("reply"));
    el.articleSearchForm.addEventListener("submit", searchArticles);
    el.ratingForm.addEventListener("submit", submitRating);
    for (const radio of el.ratingRadios) radio.addEventListener("change", () => paintStars());
    el.ratingStars.forEach((star, index) => {
      star.addEventListener("mouseenter", () => paintStars(index + 1));
      star.addEventListener("mouseleave", () => paintStars());
    });
    el.jump.addEventListener("click", scrollToBottom);
    for (const radio of el.presenceRadios) radio.addEventListener("change", onPresencePicked);
    el.capacity.addEventListener("change", onCapacityChanged); // also fires on Enter
    el.transferButton.addEventListener("click", openTransfer);
    el.transferCancel.addEventListener("click", () => {
      closeTransfer();
      el.transferButton.focus();
    });
    el.transferPanel.addEventListener("submit", submitTransfer);
    el.transferTarget.addEventListener("change", () => {
      el.transferError.hidden = true;
    });
    el.transferPanel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        closeTransfer();
        el.transferButton.focus();
      }
    });
    el.transcript.addEventListener("scroll", () => {
      if (isNearBottom()) el.jump.hidden = true;
    });
    for (const toggle of $$(".inbox-section__toggle")) {
      toggle.addEventListener("click", () => {
        const section = toggle.closest(".inbox-section");
        const collapsed = section.classList.toggle("is-collapsed");
        toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      });
    }
    window.addEventListener("hashchange", () => {
      const id = idFromHash();
      if (id !== null && (!state.conv || state.conv.id !== id)) selectConversation(id);
    });
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        reconnectNow();
        sendRead();
      }
    });
    window.addEventListener("beforeunload", () => {
      stopTyping();
      suggestionsLeft(state.conv);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && document.hasFocus()) alertsSeen();
    });
  }

  function idFromHash() {
    const match = /^#c(\d+)$/.exec(window.location.hash || "");
    return match ? Number(match[1]) : null;
  }

  applyStaticStrings();
  wire();
  soundLoad();
  setMode("reply");
  renderInbox();
  renderTeam();
  const initial = idFromHash();
  if (initial !== null) selectConversation(initial);
  connect();
  setInterval(tickClocks, 1000);
  setInterval(tickApprovals, 1000);
})();
