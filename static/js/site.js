// Site-wide behaviour: close the account menu on an outside click or Escape; ask before a form
// that carries data-confirm (deletions) is sent, unless its data-confirm-needs selector matches
// nothing (e.g. no row selected: the server then says what to do). Also the emotions' names in the
// page's language for the page scripts (as analysis/models.py EMOTION_NAMES; catalog loaded first).
window.emotionName = (() => {
  const names = {
    angry: pgettext("emotion", "Angry"), disgust: pgettext("emotion", "Disgust"), fear: pgettext("emotion", "Fear"),
    happy: pgettext("emotion", "Happy"), sad: pgettext("emotion", "Sad"), surprise: pgettext("emotion", "Surprise"),
    neutral: pgettext("emotion", "Neutral"),
  };
  return (code) => names[code] || code;
})();

(() => {
  const menus = () => document.querySelectorAll("details.account-menu[open]");
  document.addEventListener("click", (event) => {
    for (const menu of menus()) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus()) {
      menu.removeAttribute("open");
      menu.querySelector("summary")?.focus();
    }
  });
  document.addEventListener("submit", (event) => {
    const { confirm: question, confirmNeeds: needs } = event.target.dataset || {};
    if (!question || (needs && !document.querySelector(needs))) return;
    if (!window.confirm(question)) event.preventDefault();
  });
})();

// Status polling for the photo and video upload pages: every id being watched is asked about in one
// request per period, each answer goes to `show(item, record)` (which drops finished ids from
// `watching`), and polling rests while nothing is watched. `onBody` sees the whole answer.
window.statusPoller = ({ url, key, every, show, onBody }) => {
  const watching = new Map(); // id -> list item
  let timer = null;
  function poll() {
    if (timer || watching.size === 0) return;
    timer = setTimeout(async () => {
      timer = null;
      try {
        const response = await fetch(url + "?ids=" + [...watching.keys()].join(","), { headers: { Accept: "application/json" } });
        if (response.ok) {
          const body = await response.json();
          body[key].forEach((record) => watching.has(record.id) && show(watching.get(record.id), record));
          if (onBody) onBody(body);
        }
      } catch (err) { /* network blip: try again */ }
      poll();
    }, every);
  }
  return { watching, poll };
};
