// Site-wide behaviour: close the account menu on an outside click or Escape.
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
})();
